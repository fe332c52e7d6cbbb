#!/usr/bin/env bash
# Everything the project needs on a fresh Debian/Ubuntu machine with Python 3.11+:
# the system libraries WeasyPrint renders with (installed when missing and run as root),
# then the virtualenv .venv with the project and its pinned dependencies.
# Safe to run again: it only does what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
SYSTEM_PACKAGES=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig fonts-dejavu-core)

say() { printf '%s\n' "$*" >&2; }

check_python() {
  if ! command -v "$PYTHON" >/dev/null 2>&1; then
    say "Python 3.11+ is required: install python3 (or set PYTHON=/path/to/python3.11)."; exit 1
  fi
  if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    say "Python 3.11+ is required; $PYTHON is $("$PYTHON" --version 2>&1)."; exit 1
  fi
}

missing_system_packages() {
  local missing=() libraries
  # Read once, then matched in the shell: piping ldconfig into `grep -q` under pipefail failed
  # now and then with SIGPIPE (grep exits at the first match while ldconfig still writes),
  # reporting a present library as missing.
  libraries=$(ldconfig -p 2>/dev/null || true)
  [[ $libraries == *libpango-1.0.so.0* ]] || missing+=(libpango-1.0-0)
  [[ $libraries == *libpangoft2-1.0.so.0* ]] || missing+=(libpangoft2-1.0-0)
  [[ $libraries == *libharfbuzz-subset.so.0* ]] || missing+=(libharfbuzz-subset0)
  command -v fc-list >/dev/null 2>&1 || missing+=(fontconfig)
  if ! command -v fc-list >/dev/null 2>&1 || [ -z "$(fc-list 2>/dev/null || true)" ]; then
    missing+=(fonts-dejavu-core)
  fi
  "$PYTHON" -m venv --help >/dev/null 2>&1 && "$PYTHON" -c 'import ensurepip' 2>/dev/null \
    || missing+=("python3-venv")
  printf '%s\n' "${missing[@]}"
}

install_system_packages() {
  local missing
  mapfile -t missing < <(missing_system_packages | sed '/^$/d')
  [ "${#missing[@]}" -eq 0 ] && return 0
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "Installing system packages: ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    say "Missing system packages: ${missing[*]}"
    say "Install them, then run this again:  sudo apt-get install -y ${SYSTEM_PACKAGES[*]} python3-venv"
    exit 1
  fi
}

install_virtualenv() {
  local stamp=.venv/.installed
  if [ -f "$stamp" ] && [ "$stamp" -nt pyproject.toml ] && [ "$stamp" -nt constraints.txt ] \
     && [ -x .venv/bin/backoffice ]; then
    return 0
  fi
  say "Creating .venv and installing the project (about a minute the first time)..."
  [ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
  .venv/bin/python -m pip install -q --disable-pip-version-check -U pip
  .venv/bin/python -m pip install -q --disable-pip-version-check -c constraints.txt -e '.[dev]'
  touch "$stamp"
}

check_python
install_system_packages
install_virtualenv
