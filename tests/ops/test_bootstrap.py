"""scripts/bootstrap.sh, which `make test` and `make demo` run first on every machine."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

BOOTSTRAP = Path(__file__).resolve().parents[2] / "scripts" / "bootstrap.sh"


def test_no_pipe_into_a_reader_that_stops_early_under_pipefail():
    # `ldconfig -p | grep -q lib` under `set -o pipefail`: grep exits at the first match, the
    # writer gets SIGPIPE, and the pipeline fails about once in a hundred runs: a present
    # library reported missing, then apt-get (which fails as non-root)
    script = BOOTSTRAP.read_text(encoding="utf-8")
    assert "set -euo pipefail" in script
    assert not re.findall(r"\|\s*(?:grep -q|head)\b", script)


def test_the_system_check_finds_nothing_missing_here_every_time():
    # on this machine (set up by this very script) nothing is missing
    check = ("set -euo pipefail; PYTHON=python3; "
             f"source <(sed -n '/^missing_system_packages()/,/^}}/p' {BOOTSTRAP}); "
             "for _ in 1 2 3; do out=$(missing_system_packages | sed '/^$/d'); "
             "[ -z \"$out\" ] || { echo \"$out\"; exit 1; }; done")
    result = subprocess.run(["bash", "-c", check], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
