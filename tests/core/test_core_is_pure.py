"""The dependency rule of the design brief: the domain core imports the standard library (none of
its I/O modules) and a short list of third-party libraries that compute without I/O."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "backoffice"
IO_MODULES = {
    "os", "io", "pathlib", "shutil", "tempfile", "glob", "socket", "ssl", "select", "selectors",
    "subprocess", "multiprocessing", "threading", "asyncio", "sqlite3", "smtplib", "email",
    "http", "urllib", "ftplib", "logging", "csv", "json", "pickle", "shelve", "dbm", "zipfile",
    "tarfile", "gzip", "sys", "signal", "time", "random", "secrets", "uuid",
}

# Third-party modules the core may import, each with why it is pure (no network, no database, no
# file of the project, no clock; reading its own installed data is like importing a module).
# Adding one is one line here.
PURE_LIBRARIES = {
    "stdnum",    # check digits computed over strings, its IBAN registry bundled; online checks unused
    "holidays",  # a year's holiday dates computed in memory (Easter included), nothing fetched
}


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def is_allowed(root: str) -> bool:
    if root == "backoffice" or root in PURE_LIBRARIES:
        return True
    return root in sys.stdlib_module_names and root not in IO_MODULES


def test_the_core_has_modules_to_check():
    assert len(list(CORE.rglob("*.py"))) >= 5


def test_the_core_imports_only_pure_modules():
    offenders = {}
    for path in CORE.rglob("*.py"):
        bad = {root for root in imported_roots(path) if not is_allowed(root)}
        if bad:
            offenders[path.name] = sorted(bad)
    assert offenders == {}


def test_the_rule_catches_an_io_import(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import sqlalchemy\nfrom pathlib import Path\nfrom decimal import Decimal\n"
                      "from stdnum.fr import siret\n\ndef f():\n    import holidays\n")
    assert imported_roots(sample) == {"sqlalchemy", "pathlib", "decimal", "stdnum", "holidays"}
    assert [root for root in sorted(imported_roots(sample)) if not is_allowed(root)] == [
        "pathlib", "sqlalchemy"]


def test_only_the_listed_libraries_are_allowed():
    # any other third-party package, installed here or not, is still refused in the core
    assert not any(is_allowed(name) for name in ("requests", "dateutil", "sqlalchemy", "prefect"))
