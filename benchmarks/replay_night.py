"""Benchmark: replay a measured night of `nightly_year.py` on the data folders it kept, to see
what one change does to that night without building the year again.

`nightly_year.py --keep DIR --snapshots` copies each world's data folder (SQLite database,
export, bank state) just before its busy Monday into DIR/before/one-year and
DIR/before/three-years. This replays that night on a fresh copy of each, `--runs` times, through
the real nightly flow on a Prefect server started once, and prints wall and CPU seconds, queries
and the time of each task, the three-year night next to the one-year one (issue 20's target:
three years <= 1.2x one). No bare cost here: the two nights do the same work.

    .venv/bin/python benchmarks/replay_night.py DIR [--runs 2] [--day 2026-11-16]

`BENCH_PROFILE=<folder>` writes a cProfile of each replayed night there.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.nightly_year import Figures, Target, _in_child, measured_child

WORLDS = ("one-year", "three-years")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kept", type=Path, help="the --keep folder of nightly_year.py")
    parser.add_argument("--day", type=date.fromisoformat, required=True,
                        help="the busy Monday the snapshots were taken before")
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="replay-night-"))
    os.environ.update({"PREFECT_HOME": str(work / "prefect-home"),
                       "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                       "PREFECT_LOGGING_LEVEL": "WARNING"})
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()
    server.start(timeout=60)
    results: dict[str, list[Figures]] = {world: [] for world in WORLDS}
    try:
        for run in range(args.runs):
            for world in WORLDS:
                data_dir = work / f"{world}-{run}"
                _copy(args.kept / "before" / world, data_dir)
                figures = _in_child(measured_child, Target(data_dir, server.api_url), world,
                                    args.day, None)
                shutil.rmtree(data_dir, ignore_errors=True)
                results[world].append(figures)
                print(f"  {world} #{run + 1}: {figures.wall:.1f} s, CPU {figures.cpu:.1f} s, "
                      f"{figures.queries} queries, {figures.pdfs} PDFs", file=sys.stderr,
                      flush=True)
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)
    _print(results)


def _copy(snapshot: Path, data_dir: Path) -> None:
    """The database and state copied; the files of the past (PDFs, e-mails: written once, by
    replacement, never in place) hard-linked, which takes seconds instead of minutes."""
    linked = ("output", "outbox")
    shutil.copytree(snapshot, data_dir, ignore=lambda folder, _names: linked if (
        Path(folder) == snapshot) else ())
    for name in linked:
        if (snapshot / name).is_dir():
            shutil.copytree(snapshot / name, data_dir / name, copy_function=os.link)


def _print(results: dict[str, list[Figures]]) -> None:
    best = {world: min(runs, key=lambda f: f.wall) for world, runs in results.items()}
    one, three = best["one-year"], best["three-years"]
    print(f"\nBest of {len(results['one-year'])} runs each (seconds)\n")
    print("| | one year | three years | ratio |\n|---|---|---|---|")
    print(f"| wall | {one.wall:.1f} | {three.wall:.1f} | {three.wall / one.wall:.2f} |")
    print(f"| CPU | {one.cpu:.1f} | {three.cpu:.1f} | {three.cpu / one.cpu:.2f} |")
    print(f"| queries | {one.queries} | {three.queries} | |")
    print(f"| PDFs | {one.pdfs} | {three.pdfs} | |")
    for step in sorted(set(one.steps) | set(three.steps),
                       key=lambda s: -three.steps.get(s, 0.0)):
        print(f"| {step} | {one.steps.get(step, 0.0):.2f} | {three.steps.get(step, 0.0):.2f} | |")


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"\n({time.perf_counter() - started:.0f} s in all)")
