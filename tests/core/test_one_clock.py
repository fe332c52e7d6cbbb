"""One clock: no module of the project reads the wall clock but adapters/clock.py, so that a
backfill is exact and no outcome depends on the day the code runs (FAKED_TODAYS in
tests/conftest.py then moves the wall clock under the date-sensitive tests)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("backoffice", "adapters", "tasks", "flows", "ops", "demo")
# Reading the wall clock: `datetime.now()`, `date.today()`, `time.time()`... whatever the name
# the module was imported under.
WALL_CLOCK_CALLS = {"now", "utcnow", "today", "time", "time_ns", "localtime", "gmtime", "ctime"}
WALL_CLOCK_OWNERS = {"datetime", "date", "time", "dt"}
ALLOWED = {
    "adapters/clock.py": "the clock itself",
    "ops/operator_setup.py": "process supervision: compares a worker's heartbeat, stamped by "
                               "the Prefect server, with the real time; no business value",
}


def wall_clock_reads(path: Path, root: Path = ROOT) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        owner = node.func.value
        name = owner.id if isinstance(owner, ast.Name) else \
            owner.attr if isinstance(owner, ast.Attribute) else ""
        if node.func.attr in WALL_CLOCK_CALLS and name in WALL_CLOCK_OWNERS:
            found.append(f"{path.relative_to(root)}:{node.lineno} {name}.{node.func.attr}()")
    return found


def test_only_the_clock_reads_the_wall_clock():
    offenders = [read for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))
                 if str(path.relative_to(ROOT)) not in ALLOWED for read in wall_clock_reads(path)]
    assert offenders == []


def test_the_rule_sees_the_usual_ways_of_reading_it(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import datetime as dt\nimport time\nfrom datetime import date, datetime\n"
                      "a = datetime.now(UTC)\nb = date.today()\nc = time.time()\n"
                      "d = dt.datetime.now()\ne = clock.now()\nf = time.monotonic()\n")
    assert [read.split(" ")[1] for read in wall_clock_reads(sample, tmp_path)] == [
        "datetime.now()", "date.today()", "time.time()", "datetime.now()"]
