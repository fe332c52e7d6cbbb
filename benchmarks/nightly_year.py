"""Benchmark: the nightly flow at a year's scale (issue 20, parts 1 and 2).

A year of the demo generator at scale (benchmarks/year_export.py: about 5,000 sessions, 16,000
trainees, 800 trainers, 600 clients over the 11 OPCOs; invoices and bank
lines follow from them) replayed through the real nightly flow, on a Prefect server started once (its
start is reported apart), the embedded SQLite database, e-mails as .eml files.

Measured nights, each in a process of its own (so its peak RSS is its own): the first day on an
empty database, an ordinary day, a busy Monday (the most sessions starting that day and ending
the days before), the same Monday run again, the last day of the year; then the same Monday
with three years of history. Between two measured nights the history is built by the same
nightly flow on anchor nights (one every `--step` days, and always the night before), with the
PDF rendering replaced by a fixed PDF (the database holds what those nights did; their files
are placeholders), nothing forced to disk (no fsync, unsynced commits) and the heartbeat off:
replaying 365 nights with their PDFs would take hours. The three-year world's history runs in a
process of its own beside the one-year world from the start, stopped (SIGSTOP) while a night is
measured, so that each measured night has the machine to itself.
After each history night the operators do what no run does for them (they record the OPCO
invoices deposited on the portals and close the late-documents items, `operators_work`); the
bank books the funders' payments and the debit of each batch of trainer transfers.

Per measured night: wall and CPU seconds (the render worker processes included), peak RSS,
database queries, PDFs rendered, e-mails written; and, in the same process right after, the
bare cost of the same work: the same HTML rendered by WeasyPrint alone (one process, the
stylesheet parsed once) and the same CSV files read by pandas. Targets (issue 20): a busy
day <= 60 s and <= 1.5x its bare cost, its re-run <= 10 s, peak RSS <= 1 GB, three years of
history <= 1.2x one.

    .venv/bin/python benchmarks/nightly_year.py [--scale 1.0] [--step 7] [--steps]

Quick run: `--scale 0.1`. `--steps` prints the time of each task of each measured night.
`BENCH_PROFILE=<folder>` writes a cProfile of each measured night's own process there
(`<day>-<label>.prof`; the render workers are other processes).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import shutil
import signal
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.year_export import (
    ExportedBatch,
    IssuedInvoice,
    Sizes,
    World,
    build_world,
    statement_lines,
    write_export,
    write_statement,
)

YEAR = 2026
FIRST_DAY = date(YEAR, 1, 2)  # the first business day of the year
ORDINARY_DAY = date(YEAR, 6, 11)  # a Thursday
LAST_DAY = date(YEAR, 12, 31)
BANK_LINES_PER_DAY = 55  # the bank's own lines (fees, direct debits, cards) per business day
BANK_STATE = "bench-bank.json"  # the last day a statement was handed over for


@dataclass
class Figures:
    label: str
    day: str
    wall: float = 0.0
    cpu: float = 0.0
    rss_mb: float = 0.0
    queries: int = 0
    pdfs: int = 0
    emails: int = 0
    bare_render: float = 0.0
    bare_csv: float = 0.0
    state: str = ""
    steps: dict[str, float] = field(default_factory=dict)
    export_rows: int = 0
    bank_lines: int = 0
    bare_sampled: int = 0  # PDFs rendered bare when a sample stands for them all

    @property
    def bare(self) -> float:
        return self.bare_render + self.bare_csv


# --- child processes: the environment of a run -------------------------------------------------

def _complete_opco_identities() -> None:
    """The committed data/opcos.csv lacks the billing address of most OPCOs (operators complete
    it): their invoices would be held every night. The benchmark fills placeholders in, so a
    year's invoices are issued, paid and matched as they will be in production."""
    from dataclasses import replace

    from adapters.reference_data import reference_data

    opcos = reference_data().opcos
    for code, opco in list(opcos.items()):
        opcos[code] = replace(
            opco, billing_address=opco.billing_address or "1 rue de l'Exemple",
            billing_postcode=opco.billing_postcode or "75001",
            billing_city=opco.billing_city or "Paris",
            billing_email=opco.billing_email or f"facturation@{code.lower()}.example")


@dataclass(frozen=True)
class Target:
    """Where a world's nights run: its data folder, the Prefect API, its database (None: the
    embedded SQLite database of the data folder)."""

    data_dir: Path
    api_url: str
    database_url: str | None = None


def _environment(target: Target) -> None:
    os.environ.update({
        "BACKOFFICE_DATA_DIR": str(target.data_dir), "PREFECT_API_URL": target.api_url,
        "BACKOFFICE_ALLOW_RESERVED_EMAIL_DOMAINS": "yes",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_LOGGING_LEVEL": "WARNING",
    })
    if target.database_url:
        os.environ["DATABASE_URL"] = target.database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    _complete_opco_identities()


def _write_bank_statement(day: date) -> int:
    """The bank's statement for the night of `day`: the lines booked since the last statement
    up to the day before (the funders paying the invoices issued so far)."""
    from sqlalchemy import select

    from adapters.database import unit_of_work
    from adapters.models import Invoice, PayoutBatch
    from tasks import context

    settings = context.settings()
    if day.weekday() >= 5:  # fetched on business-day nights, covering the days since the last
        return 0
    state_file = settings.data_dir / BANK_STATE
    last = (date.fromisoformat(json.loads(state_file.read_text())["last"])
            if state_file.exists() else day - timedelta(days=1))
    first, until = last + timedelta(days=1), day - timedelta(days=1)
    state_file.write_text(json.dumps({"last": until.isoformat()}))
    if until < first:
        return 0
    with unit_of_work(context.engine()) as db:
        invoices = [IssuedInvoice(i.number, i.funder_kind, i.funder_name, i.dossier_number,
                                  i.issue_date, i.total_ttc)
                    for i in db.scalars(select(Invoice).where(Invoice.kind == "invoice",
                                                              Invoice.issue_date >= first
                                                              - timedelta(days=60)))]
        batches = [ExportedBatch(b.id, b.execution_date, b.total) for b in db.scalars(
            select(PayoutBatch).where(PayoutBatch.execution_date.between(first, until)))]
    lines = statement_lines(invoices, first, until, BANK_LINES_PER_DAY, batches)
    if lines:
        write_statement(settings.bank_inbox, lines, first, until)
    return len(lines)


def _stub_rendering() -> None:
    """History nights: no HTML, one fixed PDF, no Factur-X embedding, e-mails not written (the
    outbox marks them done as the mailer would, all at once: a history night's e-mails went
    one transaction each, a sixth of its time)."""
    from sqlalchemy import update

    import services.documents
    import services.invoicing
    import services.payouts
    import tasks.mail
    from adapters.database import unit_of_work
    from adapters.models import Effect
    from adapters.outbox import OutboxReport
    from adapters.pdf import html_to_pdf

    class Unwritten:
        def send(self, email: Any) -> str:
            return str(email.key)

    def deliver_unwritten(key_prefix: str) -> OutboxReport:
        with unit_of_work(tasks.mail.context.engine()) as db:
            done = db.execute(update(Effect).where(
                Effect.kind == "email", Effect.state == "pending",
                Effect.idempotency_key.startswith(key_prefix)).values(
                state="done", attempts=Effect.attempts + 1, result=Effect.idempotency_key,
                done_at=tasks.mail.context.now())).rowcount
        return OutboxReport(done, 0)

    tasks.mail.context.mailer = Unwritten  # type: ignore[assignment]
    tasks.mail.deliver = deliver_unwritten  # type: ignore[assignment]

    plain = html_to_pdf("<p>history</p>")
    archival = html_to_pdf("<p>history</p>", pdf_variant="pdf/a-3b")
    services.documents.render_html = lambda template, context: ""  # type: ignore[assignment]
    services.documents.render_pdfs = (  # type: ignore[assignment]
        lambda htmls, workers=1: [plain] * len(htmls))
    for module in (services.invoicing, services.payouts):
        module.render_facturx_pdfs = (  # type: ignore[attr-defined]
            lambda invoices, workers=1: [archival] * len(invoices))
        module.render_html = lambda template, context: ""  # type: ignore[attr-defined]


def _no_durability() -> None:
    """History nights: nothing is forced to disk (no `fsync` of their files, SQLite's commits
    not synced, PostgreSQL's not waited for). What they decide and store is the same; only a
    power cut could lose it, and they are not measured. A fifth of a history night's time went
    to those syncs (cProfile of a month's night: fsync 6.3 s, SQLite's commit 5.6 s of 57 s)."""
    from sqlalchemy import event

    import adapters.database

    make_engine = adapters.database.make_engine

    def engine_without_syncs(database_url: str) -> Any:
        engine = make_engine(database_url)
        setting = ("PRAGMA synchronous=OFF" if engine.dialect.name == "sqlite"
                   else "SET synchronous_commit = off")

        def unsynced(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute(setting)
            cursor.close()

        event.listen(engine, "connect", unsynced)
        return engine

    adapters.database.make_engine = engine_without_syncs  # type: ignore[assignment]
    os.fsync = lambda _descriptor: None  # this process only: a history night's


def history_child(target: Target, years: list[int], sizes: Sizes, seed: int,
                  days: list[date]) -> tuple[float, float, str]:
    """The nightly flow on each of `days`, rendering stubbed, nothing synced, heartbeat off."""
    _environment(target)
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    from adapters.clock import night_of, use_clock
    from flows.nightly import nightly
    from tasks import context

    _stub_rendering()
    _no_durability()
    world = build_world(years, sizes, seed)
    started, cpu = time.perf_counter(), _cpu()
    states = Counter[str]()
    steps = Counter[str]()
    operated = 0
    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        for day in days:
            write_export(world, context.settings().export_inbox, day)
            _write_bank_statement(day)
            with use_clock(night_of(day)):
                state = nightly.with_options(retries=0)(as_of=day, return_state=True)
                operated += operators_work(day)
            states[state.name] += 1
            steps.update(_task_times(state.state_details.flow_run_id))
    busiest = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in steps.most_common(4))
    return time.perf_counter() - started, _cpu() - cpu, (", ".join(f"{n} {s}" for s, n in states.items())
                                           + f"; {busiest}; {operated} items done by operators")


def operators_work(day: date) -> int:
    """What the marketplace's operators do after a history night, which no run does for them:
    deposit the OPCO invoices on their portals (`record-deposit`) and regularise the documents
    of sessions that started without them (`close-review-item`; a history night comes every
    few weeks, so sessions start between two nights: with a nightly every night they would
    not). Without it the review queue would only grow (18,000 open items after three years),
    which no marketplace lets it do. The number of items done."""
    from sqlalchemy import select

    from adapters.database import unit_of_work
    from adapters.models import InvoiceDeposit, ReviewItem
    from adapters.review import ReviewKind
    from services.invoicing import record_deposit
    from services.review import close_item
    from tasks import context

    engine, now, operator = context.engine(), context.now(), "operator:benchmark"
    with unit_of_work(engine) as db:
        deposits = list(db.scalars(select(InvoiceDeposit.number).where(
            InvoiceDeposit.deposited_on.is_(None))))
        late = list(db.scalars(select(ReviewItem.key).where(
            ReviewItem.kind == ReviewKind.late_documents, ReviewItem.status == "open")))
    for number in deposits:
        record_deposit(engine, number=number, deposited_on=day, note="", operator=operator,
                       now=now)
    for key in late:
        close_item(engine, key=key, note="documents régularisés avec le client", operator=operator,
                   now=now)
    return len(deposits) + len(late)


def _cpu() -> float:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(
        resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _task_times(flow_run_id: Any) -> dict[str, float]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(flow_run_filter=FlowRunFilter(
            id=FlowRunFilterId(any_=[flow_run_id])))
    times: Counter[str] = Counter()
    for run in runs:
        if run.start_time and run.end_time:
            times[run.task_key.rsplit(".", 1)[-1].split("-")[0] or run.name] += (
                run.end_time - run.start_time).total_seconds()
    return dict(times.most_common())


def measured_child(target: Target, label: str, day: date, bare_sample: int | None = 0
                   ) -> Figures:
    """One night through the real flow, counted; then the bare cost of the same work (all of
    it, a sample of `bare_sample` PDFs, or none with None)."""
    _environment(target)
    from sqlalchemy import Engine, event

    import services.documents
    import services.invoicing
    import services.payouts
    from adapters.clock import night_of, use_clock
    from flows.nightly import nightly
    from tasks import context

    figures = Figures(label, day.isoformat())
    settings = context.settings()
    figures.bank_lines = _write_bank_statement(day)
    csvs = [(p, {}) for p in sorted(settings.export_inbox.glob("*.csv"))] + [
        (p, {"sep": ";", "encoding": "cp1252", "skiprows": 2})
        for p in sorted(settings.bank_inbox.glob("*.csv"))]
    kept = Path(tempfile.mkdtemp())  # the bank files are moved by the run: read a copy after
    csvs = [(Path(shutil.copy(p, kept / p.name)) if "sep" in kw else p, kw) for p, kw in csvs]

    htmls: list[tuple[str, str | None]] = []
    render_pdfs = services.documents.render_pdfs

    def recording_render(batch: list[str], workers: int = 1) -> list[bytes]:
        htmls.extend((h, None) for h in batch)
        return render_pdfs(batch, workers)

    services.documents.render_pdfs = recording_render  # type: ignore[assignment]
    for module in (services.invoicing, services.payouts):
        def recording_facturx(invoices: list[tuple[str, Any]], workers: int = 1,
                              _render: Any = module.render_facturx_pdfs  # type: ignore[attr-defined]
                              ) -> list[Any]:
            htmls.extend((html, "pdf/a-3b") for html, _document in invoices)
            return _render(invoices, workers)
        module.render_facturx_pdfs = recording_facturx  # type: ignore[attr-defined]
    queries = [0]

    def count(*_: Any) -> None:
        queries[0] += 1

    event.listen(Engine, "before_cursor_execute", count)
    emails_before = len(list(settings.outbox_dir.glob("*.eml"))) if (
        settings.outbox_dir.is_dir()) else 0

    cpu, started = _cpu(), time.perf_counter()
    with use_clock(night_of(day)):
        if os.environ.get("BENCH_PROFILE"):  # where a measured night's own process spends
            import cProfile
            with cProfile.Profile() as profile:
                state = nightly.with_options(retries=0)(as_of=day, return_state=True)
            profile.dump_stats(Path(os.environ["BENCH_PROFILE"]) / f"{day}-{label[:12]}.prof")
        else:
            state = nightly.with_options(retries=0)(as_of=day, return_state=True)
    figures.wall, figures.cpu = time.perf_counter() - started, _cpu() - cpu
    event.remove(Engine, "before_cursor_execute", count)
    figures.queries, figures.pdfs, figures.state = queries[0], len(htmls), state.name
    figures.emails = len(list(settings.outbox_dir.glob("*.eml"))) - emails_before
    figures.rss_mb = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                         resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    figures.export_rows = sum(sum(1 for _ in p.open(encoding="utf-8")) - 1
                              for p in settings.export_inbox.glob("*.csv"))
    try:
        figures.steps = _task_times(state.state_details.flow_run_id)
    except Exception as exc:  # the figures stay, without the steps
        print(f"steps of {label} not read: {exc}", file=sys.stderr)

    if bare_sample is None:
        shutil.rmtree(kept, ignore_errors=True)
        return figures
    sample = htmls[::max(1, -(-len(htmls) // bare_sample))] if bare_sample else htmls
    figures.bare_render, figures.bare_csv = _bare(sample, csvs)
    if sample and len(sample) < len(htmls):  # a sample of the PDFs, scaled to all of them
        figures.bare_render *= len(htmls) / len(sample)
        figures.bare_sampled = len(sample)
    shutil.rmtree(kept, ignore_errors=True)
    return figures


def _bare(htmls: list[tuple[str, str | None]], csvs: list[tuple[Path, dict[str, Any]]]
          ) -> tuple[float, float]:
    """The same PDFs by WeasyPrint alone, the same CSV files by pandas: seconds each."""
    import pandas as pd
    from weasyprint import CSS, HTML

    from adapters.pdf import TEMPLATES

    started = time.perf_counter()
    stylesheet = CSS(filename=str(TEMPLATES / "style.css"))
    for html, variant in htmls:
        HTML(string=html, base_url=str(TEMPLATES) + "/").write_pdf(
            stylesheets=[stylesheet], pdf_variant=variant)
    render = time.perf_counter() - started
    started = time.perf_counter()
    for path, options in csvs:
        pd.read_csv(path, dtype=str, **options)
    return render, time.perf_counter() - started


# --- the parent: the server, the scenario, the table -------------------------------------------

def _in_child(function: Any, *args: Any) -> Any:
    """`function(*args)` in a new process (not a daemon: the run starts render workers)."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(function, *args).result()


def _anchors(after: date, before: date, step: int) -> list[date]:
    """History nights from `after` (excluded) to `before` (excluded): every `step` days, and
    always the business day and the night before `before` (so the bank's statement of `before`
    covers the days since the last business day, as when the nightly runs every night)."""
    business_day = before - timedelta(days=1)
    while business_day.weekday() >= 5:
        business_day -= timedelta(days=1)
    last_ones = sorted({business_day, before - timedelta(days=1)})
    days = []
    day = after + timedelta(days=step)
    while day < last_ones[0]:
        days.append(day)
        day += timedelta(days=step)
    return days + [day for day in last_ones if day > after]


def busy_monday(world: World) -> date:
    """The Monday of September to November with the most sessions starting that day or ending
    the working days before it."""
    year = world.years[-1]
    starts = Counter(s.start for s in year.sessions)
    ends = Counter(s.end for s in year.sessions)
    mondays = [date(YEAR, 9, 7) + timedelta(weeks=n) for n in range(12)]
    return max(mondays, key=lambda d: starts[d] + sum(ends[d - timedelta(days=k)]
                                                       for k in (1, 2, 3)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--step", type=int, default=28,
                        help="days between history nights in the measured year")
    parser.add_argument("--early-step", type=int, default=91,
                        help="days between history nights in the years before it")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--bare-sample", type=int, default=300,
                        help="render at most this many PDFs bare, scaled up (0: all)")
    parser.add_argument("--steps", action="store_true", help="print each task's time")
    parser.add_argument("--no-three-years", action="store_true")
    parser.add_argument("--keep", type=Path, help="keep the data folders here")
    parser.add_argument("--snapshots", action="store_true",
                        help="with --keep (SQLite): copy each world's data folder before its "
                        "busy Monday into DIR/before/ (benchmarks/replay_night.py replays them)")
    parser.add_argument("--postgres", metavar="URL",
                        help="run on this PostgreSQL server (e.g. postgresql://postgres@"
                        "127.0.0.1:5432): each world in a database of its own, bench_one_year "
                        "and bench_three_years, dropped and created")
    args = parser.parse_args()
    sizes = Sizes().scaled(args.scale)
    root = args.keep or Path(tempfile.mkdtemp(prefix="nightly-year-"))
    root.mkdir(parents=True, exist_ok=True)
    os.environ.update({"PREFECT_HOME": str(root / "prefect-home"),
                       "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                       "PREFECT_LOGGING_LEVEL": "WARNING"})
    total = time.perf_counter()
    started = time.perf_counter()
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()
    server.start(timeout=60)
    server_start = time.perf_counter() - started
    api = server.api_url
    try:
        rows, history, totals = _scenario(args, sizes, root, api)
    finally:
        server.stop()
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    _print(rows, history, totals, sizes, args, server_start, time.perf_counter() - total)


def _target(args: argparse.Namespace, root: Path, api: str, world: str) -> Target:
    """A world's folder, and its own fresh PostgreSQL database with `--postgres`."""
    data_dir = root / world
    if not args.postgres:
        return Target(data_dir, api)
    from sqlalchemy import create_engine, make_url, text

    server = make_url(args.postgres).set(drivername="postgresql+psycopg")
    name = "bench_" + world.replace("-", "_")
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return Target(data_dir, api, server.set(database=name).render_as_string(hide_password=False))


def year_totals(target: Target) -> dict[str, int]:
    """What the year left in the database: the issue sizes a year by these."""
    _environment(target)
    from sqlalchemy import func, select

    from adapters.database import unit_of_work
    from adapters.models import (
        BankLine,
        Invoice,
        SelfBilledInvoice,
        Session,
        Trainee,
        TrainerInvoice,
    )
    from tasks import context

    with unit_of_work(context.engine()) as db:
        totals = {f"invoices ({kind})": count for kind, count in db.execute(
            select(Invoice.kind, func.count()).group_by(Invoice.kind))}
        for label, model in (("sessions", Session), ("trainees", Trainee),
                             ("self-billed invoices", SelfBilledInvoice),
                             ("trainer invoices received", TrainerInvoice),
                             ("bank lines", BankLine)):
            totals[label] = db.scalar(select(func.count()).select_from(model)) or 0
    return totals


def _scenario(args: argparse.Namespace, sizes: Sizes, root: Path, api: str
              ) -> tuple[list[Figures], list[str], dict[str, int]]:
    world = build_world([YEAR], sizes, args.seed)
    busy = busy_monday(world)
    one = _target(args, root, api, "one-year")
    rows: list[Figures] = []
    history: list[str] = []
    measured = (("first day, empty database", FIRST_DAY), ("ordinary day", ORDINARY_DAY),
                ("busy Monday", busy), ("busy Monday, re-run", busy),
                ("last day of the year", LAST_DAY))
    # the one-year world's history nights between two measured nights
    between = {label: _anchors(previous, day, args.step) for (_, previous), (label, day)
               in pairwise(measured) if day != previous}
    background = None
    if not args.no_three_years:
        # The three-year world's history runs beside the one-year world from the start, stopped
        # while a night is measured: its years before, then the very nights the one-year world
        # has before its busy Monday (the same 2026, in the same phase: its batches executed,
        # its statements cut, the same).
        three = _target(args, root, api, "three-years")
        years = [YEAR - 2, YEAR - 1, YEAR]
        nights_of_the_year = {day for _, day in measured}.union(*between.values())
        background = Background(history_child, three, years, sizes, args.seed,
                                _anchors(date(YEAR - 2, 1, 1), date(YEAR, 1, 1), args.early_step)
                                + sorted(day for day in nights_of_the_year if day < busy))

    def night(label: str, day: date, target: Target, world: World) -> None:
        write_export(world, target.data_dir / "inbox" / "platform-export", day)
        if args.snapshots and args.keep and not args.postgres and label.startswith(
                "busy Monday") and "re-run" not in label:
            shutil.copytree(target.data_dir, root / "before" / target.data_dir.name,
                            dirs_exist_ok=True)
        with background.stopped() if background else nullcontext():
            figures = _in_child(measured_child, target, label, day, args.bare_sample)
        rows.append(figures)
        print(f"  {label} ({day}): {figures.wall:.1f} s, CPU {figures.cpu:.1f} s, "
              f"{figures.queries} queries, {figures.pdfs} PDFs, bare {figures.bare:.1f} s; "
              + ", ".join(f"{name} {seconds:.1f}" for name, seconds in figures.steps.items()),
              file=sys.stderr, flush=True)

    def built(target: Target, days: list[date], result: tuple[float, float, str],
              beside: str = "") -> None:
        seconds, cpu, states = result
        history.append(f"{target.data_dir.name}: {len(days)} nights from {days[0]} to "
                       f"{days[-1]} in {seconds:.0f} s{beside}, CPU {cpu:.0f} s ({states})")
        print(f"  {history[-1]}", file=sys.stderr, flush=True)

    try:
        for label, day in measured:
            if label in between:  # niced beside the three years' longer history
                built(one, between[label], _in_child(_niced, 10 if background else 0,
                                                     history_child, one, [YEAR], sizes,
                                                     args.seed, between[label]))
            night(label, day, one, world)
        totals = _in_child(year_totals, one)
        if background:
            built(three, background.days, background.result(),
                  " (beside the one-year world, stopped during its measured nights)")
            night("busy Monday, 3 years of history", busy, three,
                  build_world(years, sizes, args.seed))
    finally:
        if background:
            background.stop()
    return rows, history, totals


class Background:
    """`function(target, years, sizes, seed, days)` in a process of its own group, started at
    once, which `stopped()` freezes (SIGSTOP) while a night is measured: the measured night has
    the machine as if it ran alone, and the history nights use the time between."""

    def __init__(self, function: Any, target: Target, years: list[int], sizes: Sizes,
                 seed: int, days: list[date]) -> None:
        self.days = days
        context = multiprocessing.get_context("spawn")
        self._results, grouped = context.SimpleQueue(), context.Event()
        self._process = context.Process(target=_in_own_group, args=(
            self._results, grouped, function, target, years, sizes, seed, days))
        self._process.start()
        if not grouped.wait(120):
            raise RuntimeError("the background history did not start")

    @contextmanager
    def stopped(self) -> Iterator[None]:
        if not self._process.is_alive():  # its history is built
            yield
            return
        os.killpg(self._process.pid, signal.SIGSTOP)
        try:
            yield
        finally:
            os.killpg(self._process.pid, signal.SIGCONT)

    def result(self) -> Any:
        while self._results.empty():  # a process killed (out of memory…) puts nothing
            if not self._process.is_alive() and self._results.empty():
                raise RuntimeError(f"the background history died ({self._process.exitcode})")
            time.sleep(1)
        outcome, value = self._results.get()
        self._process.join()
        if outcome == "error":
            raise RuntimeError(f"the background history failed:\n{value}")
        return value

    def stop(self) -> None:
        if self._process.is_alive():
            for sent in (signal.SIGCONT, signal.SIGTERM):
                with suppress(ProcessLookupError):
                    os.killpg(self._process.pid, sent)
            self._process.join()


def _niced(increment: int, function: Any, *args: Any) -> Any:
    os.nice(increment)
    return function(*args)


def _in_own_group(results: Any, grouped: Any, function: Any, *args: Any) -> None:
    os.setpgid(0, 0)  # the parent stops and resumes this process and what it starts, together
    grouped.set()
    try:
        results.put(("done", function(*args)))
    except BaseException:
        results.put(("error", traceback.format_exc()))
        raise


def _print(rows: list[Figures], history: list[str], totals: dict[str, int], sizes: Sizes,
           args: argparse.Namespace, server_start: float, total: float) -> None:
    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else []
    print(f"\nNightly at a year's scale: scale {args.scale} ({sizes.sessions} sessions a year, "
          f"{sizes.trainers} trainers, {sizes.clients} clients, 11 OPCOs), "
          f"{'PostgreSQL' if args.postgres else 'SQLite'}, "
          f"{os.cpu_count()} cores, load average {' '.join(load)}")
    print(f"Prefect server start (not in the figures): {server_start:.1f} s; "
          f"whole benchmark {total / 60:.1f} min")
    print("History built by:", *history, sep="\n  ")
    print("The year in the one-year database:",
          ", ".join(f"{count:,} {label}" for label, count in totals.items()))
    header = ("| night | day | wall s | CPU s | peak RSS MB | queries | PDFs | e-mails | "
              "export rows | bank lines | bare s (render + CSV) | wall / bare | state |")
    print(header)
    print("|" + "---|" * 13)
    for f in rows:
        ratio = f"{f.wall / f.bare:.2f}" if f.bare > 0.05 else "-"
        print(f"| {f.label} | {f.day} | {f.wall:.1f} | {f.cpu:.1f} | {f.rss_mb:.0f} | "
              f"{f.queries} | {f.pdfs} | {f.emails} | {f.export_rows} | {f.bank_lines} | "
              f"{f.bare:.1f} ({f.bare_render:.1f}{'*' if f.bare_sampled else ''} + "
              f"{f.bare_csv:.2f}) | {ratio} | {f.state} |")
    if any(f.bare_sampled for f in rows):
        print("* rendered bare for a sample of the PDFs (one in n, --bare-sample), scaled up")
    by = {f.label: f for f in rows}
    busy, rerun = by.get("busy Monday"), by.get("busy Monday, re-run")
    three = by.get("busy Monday, 3 years of history")
    if busy and rerun:
        print("\nTargets:")
        print(f"  busy day <= 60 s: {busy.wall:.1f} s; <= 1.5x bare: "
              f"{busy.wall / max(busy.bare, 1e-9):.2f}x")
        print(f"  re-run <= 10 s: {rerun.wall:.1f} s")
        print(f"  peak RSS <= 1024 MB: {max(f.rss_mb for f in rows):.0f} MB")
        if three:
            print(f"  3 years / 1 year <= 1.2: {three.wall / busy.wall:.2f} "
                  f"(CPU {three.cpu / busy.cpu:.2f})")
    if args.steps:
        for f in rows:
            print(f"\nsteps of {f.label} ({f.day}):",
                  ", ".join(f"{name} {seconds:.1f} s" for name, seconds in f.steps.items()))
    print(json.dumps([asdict(f) for f in rows]), file=sys.stderr)


if __name__ == "__main__":
    main()
