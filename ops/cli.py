"""The `backoffice` command: the same flows as the Prefect UI, run locally.

    backoffice demo                       build the demo export, run the nightly flow, write reports
    backoffice ingest DIR                 ingest a platform export folder
    backoffice nightly [--as-of DATE]     the whole nightly pipeline for a business date
    backoffice backfill --start D --end D the nightly pipeline for each date of a period, in order
    backoffice import-statements [--account A] [--mapping M] FILE...  import bank statements (CSV
                                          exports, camt.053, CFONB 120; A: their account when a file
                                          does not say; M: a saved column mapping), match
    backoffice import-invoices CSV        open invoices of a previous tool, to match payments
    backoffice pay-trainers [--as-of D]   track transfers, decide payouts, write the SEPA file
    backoffice audit-pack (--session S | --dossier N)  the audit zip of a session or OPCO dossier
    backoffice report --out DIR [--as-of D] CSV snapshots of the state (receivables aged as of D)
    backoffice bpf --year YYYY [--out DIR] the BPF draft of a year: CSV per cadre, missing data, PDF
    backoffice fec --year YYYY [--out DIR] the FEC (fichier des écritures comptables) of a year
    backoffice close-period --through D   close the books up to a past day, included (final)
    backoffice migrate                    upgrade the database schema (every command does it too)

`report`, `bpf`, `fec`, `migrate` and `import-invoices` run no flow: they call their use case without Prefect.
The flows run on the configured Prefect API (PREFECT_API_URL), else on the server `make ui`
started when it runs, else on a temporary server Prefect starts for the command (5 to 15 s):
ops/local_prefect.py, docs/performance.md.
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date
from pathlib import Path
from typing import Any, NoReturn

from adapters.settings import PROJECT_ROOT
from backoffice.dates import DateFormatError, parse_date

# Commands that run no flow: they call their use case directly, without importing Prefect
# (no temporary server, no second of import).
WITHOUT_PREFECT = frozenset({"report", "bpf", "fec", "migrate", "import-invoices"})


def _prepare_prefect() -> None:
    """Local runs use a private Prefect home and no telemetry; an explicit setting wins. Then
    the Prefect the flows talk to (ops/local_prefect.py): the configured API, else the server
    `make ui` started when it runs, else a temporary one. Before Prefect is imported: it reads
    its settings once."""
    from ops.local_prefect import choose_api

    os.environ.setdefault("PREFECT_HOME", str(PROJECT_ROOT / ".prefect"))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
    os.environ.setdefault("PREFECT_LOGGING_EXTRA_LOGGERS", "adapters,services,tasks,flows,ops,backoffice")
    os.environ.setdefault("PREFECT_LOGGING_CONFIG_PATH", str(PROJECT_ROOT / "logging.yml"))
    _, note = choose_api()
    if note:
        print(f"NOTE {note}", file=sys.stderr)


class _FrenchParser(argparse.ArgumentParser):
    """Errors in French, without a traceback, exit code 2 (usage first, as argparse does)."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"ERREUR {message}\n")


def _business_date(text: str) -> date:
    """A date as the operator typed it: YYYY-MM-DD only, refused in French otherwise."""
    try:
        return parse_date(text)
    except DateFormatError as error:
        raise argparse.ArgumentTypeError(f"« {text} » : {error} (ex. 2026-11-30)") from error


def _parser() -> argparse.ArgumentParser:
    parser = _FrenchParser(prog="backoffice", description=__doc__,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True,
                                     parser_class=_FrenchParser)
    ingest = commands.add_parser("ingest", help="ingest a platform export folder")
    ingest.add_argument("folder", type=Path)
    nightly = commands.add_parser("nightly", help="run the nightly pipeline")
    nightly.add_argument("--as-of", type=_business_date, default=None,
                         help="business date YYYY-MM-DD (default: today in Paris)")
    backfill = commands.add_parser("backfill", help="replay the nightly for each date of a period")
    backfill.add_argument("--start", type=_business_date, required=True,
                          help="first business date YYYY-MM-DD")
    backfill.add_argument("--end", type=_business_date, required=True,
                          help="last business date YYYY-MM-DD (included)")
    statements = commands.add_parser("import-statements", help="import bank statements, match")
    statements.add_argument("files", type=Path, nargs="+")
    statements.add_argument("--account", default="",
                            help="the account of these statements (IBAN or the bank's account "
                                 "number), when a file does not say")
    statements.add_argument("--mapping", default="",
                            help="a saved column mapping (data/bank_mappings/<name>.toml or the "
                                 "installation's bank_mappings/<name>.toml), for a bank without "
                                 "a profile")
    pay = commands.add_parser("pay-trainers", help="trainer payouts and their SEPA file")
    pay.add_argument("--as-of", type=_business_date, default=None,
                     help="business date YYYY-MM-DD (default: today in Paris)")
    pack = commands.add_parser("audit-pack", help="the audit zip of a session or an OPCO dossier")
    which = pack.add_mutually_exclusive_group(required=True)
    which.add_argument("--session", default=None)
    which.add_argument("--dossier", default=None)
    legacy = commands.add_parser("import-invoices", help="import open invoices of a previous tool")
    legacy.add_argument("csv", type=Path)
    report = commands.add_parser("report", help="write CSV snapshots of the state")
    report.add_argument("--out", type=Path, required=True)
    report.add_argument("--as-of", type=_business_date, default=None,
                        help="age the receivables as of this date, YYYY-MM-DD (default: today)")
    draft = commands.add_parser("bpf", help="write the BPF draft of a year (Cerfa 10443)")
    draft.add_argument("--year", type=int, required=True, help="the calendar year, e.g. 2026")
    draft.add_argument("--out", type=Path, default=None,
                       help="the folder to write to (default: bpf/<year>/ in the output folder)")
    books = commands.add_parser("fec", help="write the FEC of a year (fichier des écritures "
                                "comptables)")
    books.add_argument("--year", type=int, required=True, help="the calendar year, e.g. 2026")
    books.add_argument("--out", type=Path, default=None,
                       help="the folder to write to (default: fec/ in the output folder)")
    closing = commands.add_parser("close-period", help="close the books up to a past day")
    closing.add_argument("--through", type=_business_date, required=True,
                         help="last day of the period to close, YYYY-MM-DD (included)")
    commands.add_parser("migrate", help="upgrade the database schema to the latest migration")
    demo = commands.add_parser("demo", help="run the pipeline on generated demo data")
    demo.add_argument("--seed", type=int, default=2026)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command in WITHOUT_PREFECT:
        from adapters.settings import SettingsError

        try:
            return _without_flow(args)
        except SettingsError as error:
            print(f"ERREUR {_masked(str(error))}", file=sys.stderr)
            return 1
    _prepare_prefect()
    if args.command == "ingest":
        return _ingest(args.folder)
    if args.command == "nightly":
        from flows.nightly import nightly

        return _finished(nightly(as_of=args.as_of, return_state=True), print_summary)
    if args.command == "backfill":
        return _backfill(args.start, args.end)
    if args.command == "import-statements":
        from flows.payments import import_statements

        return _finished(import_statements(files=args.files, account=args.account,
                                           mapping=args.mapping, return_state=True), print_summary)
    if args.command == "pay-trainers":
        from flows.payouts import pay_trainers

        return _finished(pay_trainers(as_of=args.as_of, return_state=True), print_summary)
    if args.command == "close-period":
        from flows.accounting import close_books

        return _finished(close_books(through=args.through, return_state=True), print)
    if args.command == "audit-pack":
        from flows.audit_pack import audit_pack

        return _finished(audit_pack(session_ref=args.session or "",
                                    dossier_number=args.dossier or "", return_state=True), print)
    from demo.run import run_demo

    return run_demo(seed=args.seed)


def _without_flow(args: argparse.Namespace) -> int:
    """The commands that run no flow: their use case, directly, without Prefect."""
    if args.command == "report":
        return _report(args.out, args.as_of)
    if args.command == "bpf":
        return _bpf(args.year, args.out)
    if args.command == "import-invoices":
        return _import_invoices(args.csv)
    if args.command == "fec":
        return _fec(args.year, args.out)
    from adapters.settings import get_settings

    _engine()
    print(f"Base à jour : {get_settings().database_url}")
    return 0


def _masked(text: str | None) -> str:
    """What the command prints, masked like the UI (no IBAN or e-mail address in clear)."""
    from backoffice.masking import mask_text

    return mask_text(text or "")


def print_summary(summary: Any) -> None:
    print(_masked(summary.to_markdown()))


def _finished(state: Any, show: Any) -> int:
    """Show what a run gives back, and its exit code: 0 done, 1 done « Incomplet » (something
    to see to, listed), refused or failed (the reason on stderr)."""
    from backoffice.incidents import INCOMPLETE

    if not state.is_completed():
        print(f"ERREUR {_masked(state.message)}", file=sys.stderr)
        return 1
    show(state.result())
    return 1 if state.name == INCOMPLETE else 0


def _ingest(folder: Path) -> int:
    from flows.ingest import ingest_platform_export

    state = ingest_platform_export(folder=folder, return_state=True)
    if not state.is_completed():
        print(f"ERREUR {_masked(state.message)}", file=sys.stderr)
        return 1
    result = state.result()
    for outcome in result.files:
        if outcome.status != "absent":
            print(f"{outcome.name:22} {outcome.status:9} {outcome.rows:6} lignes  "
                  f"+{outcome.inserted} ~{outcome.updated}")
    for error in result.errors:  # masked by RowError itself
        print(f"ERREUR {error}", file=sys.stderr)
    return 1 if result.rejected else 0


def _backfill(start: date, end: date) -> int:
    from pydantic import ValidationError

    from flows.backfill import backfill
    from flows.parameters import Period

    try:
        period = Period(start=start, end=end)
    except ValidationError as error:
        reasons = "; ".join(e["msg"].removeprefix("Value error, ") for e in error.errors())
        print(f"ERREUR {reasons}", file=sys.stderr)
        return 2
    state = backfill(period=period, return_state=True)
    if not state.is_completed():
        print(f"ERREUR {_masked(state.message)}", file=sys.stderr)
        return 1
    print(f"Rattrapage terminé ({state.name}) : {len(state.result())} date(s), du {start} au "
          f"{end}")
    return 0


def _engine() -> Any:
    """The database of the settings, upgraded to the latest migration (tasks/context.py's
    `engine`, without importing Prefect)."""
    from adapters.database import ready_engine
    from adapters.settings import get_settings

    return ready_engine(get_settings().database_url)


def _import_invoices(path: Path) -> int:
    from services.payments import import_legacy_invoices

    count, errors = import_legacy_invoices(_engine(), path)
    for error in errors:
        print(f"ERREUR {error}", file=sys.stderr)
    if not errors:
        print(f"{count} facture(s) importée(s) depuis {path}")
    return 1 if errors else 0


def _fec(year: int, out: Path | None) -> int:
    """The FEC of a year, checked against the format's rules before it is written."""
    from adapters import clock
    from adapters.settings import get_settings, marketplace_identity
    from backoffice.dates import business_date
    from backoffice.money import format_eur
    from services.accounting import AccountingError, write_fec

    settings = get_settings()
    try:
        written = write_fec(_engine(), year=year, out_dir=out or settings.output_dir / "fec",
                            siren=marketplace_identity(settings).siren,
                            as_of=business_date(clock.now()))
    except AccountingError as error:
        print(f"ERREUR {error}", file=sys.stderr)
        return 1
    print(f"{written.path} : {written.entries} écritures, {written.lines} lignes, total débit = "
          f"total crédit = {format_eur(written.debit)}")
    return 0


def _report(out: Path, as_of: date | None) -> int:
    from services.reports import write_report

    for path in write_report(_engine(), out, as_of):
        print(path)
    return 0


def _bpf(year: int, out: Path | None) -> int:
    """The BPF draft of `year` (docs/bpf.md): its files, then the sessions whose data is missing."""
    from adapters.settings import get_settings
    from backoffice.dates import format_hours
    from backoffice.money import format_eur
    from services.bpf import write_bpf

    draft, paths = write_bpf(_engine(), year, out or get_settings().output_dir / "bpf" / str(year))
    for path in paths:
        print(path)
    print(f"BPF {year} (brouillon) : produits {format_eur(draft.products_ht)} HT ; "
          f"{draft.total('F-1', 'stagiaires')} stagiaire(s), {format_hours(draft.trainee_hours)}")
    for missing in draft.incomplete:
        print(f"MANQUE session {missing.session_ref} : {missing.text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
