"""The dependency rule of the design brief: the domain core imports the standard library only,
and none of its I/O modules."""

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


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_the_core_has_modules_to_check():
    assert len(list(CORE.rglob("*.py"))) >= 5


def test_the_core_imports_only_pure_standard_library_modules():
    offenders = {}
    for path in CORE.rglob("*.py"):
        bad = {root for root in imported_roots(path)
               if root != "backoffice" and (root not in sys.stdlib_module_names
                                            or root in IO_MODULES)}
        if bad:
            offenders[path.name] = sorted(bad)
    assert offenders == {}


def test_the_rule_catches_an_io_import(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import sqlalchemy\nfrom pathlib import Path\nfrom decimal import Decimal\n")
    assert imported_roots(sample) == {"sqlalchemy", "pathlib", "decimal"}
