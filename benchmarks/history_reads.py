"""Benchmark: the ingest and the documents' planning on a database with years of history, with
the code of a git revision (before) and the current code (after), each on its own copy.

Prints wall and CPU seconds and queries of `ingest_export` and `plan_due_documents`, twice each
(the second time: a night with nothing new). The database and export come from
`benchmarks/nightly_year.py --keep DIR` (DIR/three-years):

    .venv/bin/python benchmarks/history_reads.py DIR/three-years [--before REV] [--day 2026-10-19]
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Engine, event

from adapters.clock import night_of
from adapters.database import ready_engine
from adapters.settings import Marketplace

ROOT = Path(__file__).resolve().parent.parent


def module_at(revision: str | None, path: str, folder: Path) -> ModuleType:
    """The module at `path` as of `revision` (None: the working tree), under a name of its own."""
    source = ROOT / path
    if revision is not None:
        source = folder / f"{revision}-{Path(path).name}"
        source.write_text(subprocess.run(["git", "show", f"{revision}:{path}"], cwd=ROOT,
                                         check=True, capture_output=True, text=True).stdout)
    name = f"bench_{revision or 'now'}_{Path(path).stem}".replace("~", "_").replace("^", "_")
    spec = importlib.util.spec_from_file_location(name, source)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--before", default="HEAD", help="git revision of the code before")
    parser.add_argument("--day", type=date.fromisoformat, default=date(2026, 10, 19))
    args = parser.parse_args()
    queries = [0]

    def count(*_: Any) -> None:
        queries[0] += 1

    event.listen(Engine, "before_cursor_execute", count)
    now = night_of(args.day).now()
    export = args.data_dir / "inbox" / "platform-export"
    with tempfile.TemporaryDirectory() as tmp:
        for label, revision in (("before", args.before), ("after", None)):
            copy = Path(tmp) / label
            copy.mkdir()
            shutil.copy(args.data_dir / "backoffice.sqlite3", copy)
            engine = ready_engine(f"sqlite:///{copy / 'backoffice.sqlite3'}")
            ingest = module_at(revision, "services/ingest.py", Path(tmp))
            documents = module_at(revision, "services/documents.py", Path(tmp))
            for _ in range(2):
                for name in ("ingest_export", "plan_due_documents"):
                    queries[0], cpu, wall = 0, time.process_time(), time.perf_counter()
                    if name == "ingest_export":
                        ingest.ingest_export(engine, export, now=now)
                    else:
                        documents.plan_due_documents(engine, as_of=args.day, now=now,
                                                     marketplace=Marketplace())
                    print(f"{label:6} {name:18} {time.perf_counter() - wall:6.2f} s  CPU "
                          f"{time.process_time() - cpu:5.2f} s  {queries[0]:6d} queries")


if __name__ == "__main__":
    main()
