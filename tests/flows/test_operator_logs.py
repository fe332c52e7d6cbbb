"""What operators read in the UI: the project's loggers reach the run's logs, and neither the
logs nor the artifacts show an IBAN or an e-mail address in clear (logging.yml, prefect.toml)."""

from __future__ import annotations

import logging

import pytest
from prefect import flow
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    ArtifactFilter,
    ArtifactFilterFlowRunId,
    LogFilter,
    LogFilterFlowRunId,
)
from prefect.logging.handlers import APILogHandler
from prefect.settings import get_current_settings

from backoffice.outcomes import PaymentToReview
from services.payments import MatchingReport
from tasks.log_filters import MaskPersonalData
from tasks.summary import LISTED, RunSummary, add_payments, masked_tables, publish_summary

IBAN = "FR7630006000011234567890189"
MASKED = "FR76 **** **** **** **** ***0 189"


def test_the_filter_masks_the_formatted_message_and_the_traceback():
    try:
        raise ValueError(f"IBAN refusé : {IBAN}")
    except ValueError as error:
        record = logging.LogRecord("adapters.sepa", logging.WARNING, __file__, 1,
                                   "virement vers %s pour %s", (IBAN, "jeanne@acme.fr"),
                                   (type(error), error, error.__traceback__))
    assert MaskPersonalData().filter(record) is True
    assert record.getMessage() == f"virement vers {MASKED} pour j***@acme.fr"
    assert IBAN not in record.exc_text and MASKED in record.exc_text


def test_the_published_tables_are_masked_cell_by_cell():
    summary = RunSummary("Paiements", tables={"payments": [{"IBAN": IBAN, "montant": 12}],
                                              "empty": []})
    assert masked_tables(summary) == {"payments": [{"IBAN": MASKED, "montant": 12}]}


def test_the_project_loggers_are_configured_for_the_ui():
    settings = get_current_settings().logging
    assert set(settings.extra_loggers) == {"adapters", "services", "tasks", "flows", "ops",
                                          "backoffice"}
    assert settings.config_path.name == "logging.yml" and settings.config_path.exists()
    for name in ("adapters", "services", "tasks", "flows", "ops"):
        assert logging.getLogger(name).getEffectiveLevel() == logging.INFO


@flow(name="logs-of-an-adapter")
def _logs_of_an_adapter() -> None:
    logging.getLogger("adapters.test_operator_logs").info(
        "virement préparé vers %s, avis à %s", IBAN, "jeanne.dupont@acme.fr")
    summary = RunSummary(f"Virement vers {IBAN}", lines=["avis à jeanne.dupont@acme.fr"],
                         tables={"virements": [{"IBAN": IBAN, "e-mail": "jf@formateurs.example"}]})
    publish_summary("test-masking", summary)


@pytest.mark.prefect
def test_an_adapter_log_line_reaches_the_run_logs_masked_and_so_do_artifacts(prefect_harness):
    state = _logs_of_an_adapter(return_state=True)
    assert state.is_completed()
    APILogHandler().flush()
    run_id = state.state_details.flow_run_id
    with get_client(sync_client=True) as client:
        logs = client.read_logs(log_filter=LogFilter(
            flow_run_id=LogFilterFlowRunId(any_=[run_id])))
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(
            flow_run_id=ArtifactFilterFlowRunId(any_=[run_id])))

    ours = [log for log in logs if log.name == "adapters.test_operator_logs"]
    assert [(log.level, log.message) for log in ours] == [
        (logging.INFO, f"virement préparé vers {MASKED}, avis à j***@acme.fr")]
    published = {artifact.key: str(artifact.data) + str(artifact.description)
                 for artifact in artifacts}
    assert set(published) == {"test-masking", "test-masking-virements"}
    assert MASKED in published["test-masking"] and "j***@acme.fr" in published["test-masking"]
    assert MASKED in published["test-masking-virements"]
    assert "j***@formateurs.example" in published["test-masking-virements"]
    everything = " ".join(log.message for log in logs) + " ".join(published.values())
    assert IBAN not in everything and "jeanne.dupont@acme.fr" not in everything


def test_a_backfill_lists_the_first_review_items_and_counts_the_others():
    review = [PaymentToReview(n, (), 0, "aucune facture candidate") for n in range(LISTED + 7)]
    summary = RunSummary("Import de relevés bancaires", today="2026-12-01")
    add_payments(summary, [], MatchingReport(review=review))
    summary.review = [{"clé": f"payment:{n}", "objet": f"ligne {n}", "raisons": "aucune facture",
                       "depuis": "2026-12-01", "que faire": "flow `decide-payment`"}
                      for n in range(LISTED + 7)]

    listed = [line for line in summary.to_markdown().splitlines()
              if line.startswith("  - [aujourd’hui] ligne ")]
    assert len(listed) == LISTED
    assert "  - … et 7 autres" in summary.to_markdown()
    assert len(summary.tables["payments"]) == LISTED + 7


@flow(name="logs-of-a-bulk-import")
def _logs_of_a_bulk_import() -> None:
    from tasks.outcome_text import log_outcomes

    log_outcomes([PaymentToReview(n, (), 0, "aucune facture candidate") for n in range(250)],
                 limit=20)


@pytest.mark.prefect
def test_a_bulk_run_logs_its_first_outcomes_and_counts_the_rest(prefect_harness):
    state = _logs_of_a_bulk_import(return_state=True)
    APILogHandler().flush()
    with get_client(sync_client=True) as client:
        logs = client.read_logs(log_filter=LogFilter(
            flow_run_id=LogFilterFlowRunId(any_=[state.state_details.flow_run_id])))

    told = [log.message for log in logs if "paiement ligne" in log.message or "autre(s)" in log.message]
    assert len(told) == 21 and told[0] == "paiement ligne 0 à revoir : aucune facture candidate"
    assert told[-1] == "… et 230 autre(s) ligne(s) de même nature : voir les tables du run"
