"""What only the command line did before has a flow for operators who only have the UI: the CSV
reports, and the import of a previous tool's open invoices (a file named, never a path)."""

from __future__ import annotations

import pytest

from backoffice.incidents import INCOMPLETE, REFUSED
from flows.ingest import ingest_platform_export
from flows.payments import import_invoices
from flows.report import report
from tests.export_samples import write_export

pytestmark = pytest.mark.prefect
LEGACY = ("invoice_number,funder_name,funder_kind,dossier_pec_number,session_ref,amount_ttc,"
          "issue_date\nOLD-2026-0042,OPCO Atlas,OPCO,AT-2026-000042,,980.00,2026-10-15\n")


def test_the_reports_are_written_by_a_flow(pipeline_env):
    write_export(pipeline_env.export_inbox)
    ingest_platform_export()

    paths = report()

    folder = pipeline_env.output_dir / "report"
    assert str(folder / "sessions.csv") in paths
    assert (folder / "sessions.csv").read_text(encoding="utf-8").count("\n") == 3


def test_previous_invoices_are_imported_by_name_from_their_inbox(pipeline_env):
    inbox = pipeline_env.invoices_inbox
    inbox.mkdir(parents=True)
    (inbox / "ancien-outil.csv").write_text(LEGACY, encoding="utf-8")
    (inbox / "illisible.csv").write_text(LEGACY.replace("980.00", "980,00"), encoding="utf-8")

    assert import_invoices(file_name="ancien-outil.csv") == 1
    assert import_invoices(file_name="ancien-outil.csv") == 0  # already known

    rejected = import_invoices(file_name="illisible.csv", return_state=True)
    assert rejected.name == INCOMPLETE and "illisible.csv rejeté en entier" in rejected.message
    for outside in ("../../etc/passwd", "/etc/passwd", "absent.csv"):
        refused = import_invoices(file_name=outside, return_state=True)
        assert refused.name == REFUSED, outside
        assert refused.message.startswith("Import de factures impossible : ")
