"""The demo: a generated platform export through the nightly pipeline, on the embedded defaults."""

from __future__ import annotations

from adapters.reports import write_report
from demo.generator import DEMO_AS_OF, write_demo_export
from flows.nightly import nightly
from tasks import context


def run_demo(seed: int = 2026) -> int:
    """Write the demo export into the inbox, run the nightly flow on the demo date, report.

    Deterministic: a second run finds nothing new and changes nothing.
    """
    settings = context.settings()
    if not settings.database_url.startswith("sqlite"):
        print("La démo n'écrit que dans la base SQLite embarquée : retirer DATABASE_URL.")
        return 2
    counts = write_demo_export(settings.export_inbox, seed=seed, as_of=DEMO_AS_OF)
    summary = nightly(as_of=DEMO_AS_OF)
    report_dir = settings.output_dir / "report"
    reports = write_report(context.engine(), report_dir)
    print(summary.to_markdown())
    print("Export de démonstration :", settings.export_inbox,
          "(" + ", ".join(f"{name} {count}" for name, count in counts.items()) + ")")
    print("Base de données :", settings.database_url)
    print("E-mails (.eml) :", settings.outbox_dir)
    print("Rapports CSV :", report_dir, f"({len(reports)} fichiers)")
    return 0
