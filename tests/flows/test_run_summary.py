"""What an operator reads under « À traiter par un opérateur »: the run's incidents, its notes,
and the whole open review queue, today's items first; "Rien." only when all are empty."""

from __future__ import annotations

from backoffice.incidents import file_rejected
from tasks.summary import RunSummary

TODAY = "2026-12-07"


def item(key: str, since: str) -> dict[str, str]:
    return {"clé": key, "objet": f"objet {key}", "raisons": "un écart", "depuis": since,
            "que faire": "flow `resolve-pec`"}


def todo(summary: RunSummary) -> str:
    return summary.to_markdown().split("## À traiter par un opérateur", 1)[1]


def test_nothing_to_do_says_so():
    assert todo(RunSummary("Traitement de nuit", today=TODAY)).strip() == "- Rien."


def test_open_review_items_are_listed_even_on_a_run_that_opened_none():
    summary = RunSummary("Traitement de nuit", today=TODAY,
                         review=[item("pec:PEC-9", TODAY), item("pec:PEC-1", "2026-11-30")])

    text = todo(summary)

    assert "Rien" not in text
    assert "File de revue : 2 élément(s) ouvert(s), dont 1 ouvert(s) aujourd'hui" in text
    assert text.index("[aujourd’hui] objet pec:PEC-9") < text.index("objet pec:PEC-1")


def test_incidents_come_first_with_what_to_do():
    summary = RunSummary("Traitement de nuit", today=TODAY, needs_human=["une note"],
                         review=[item("pec:PEC-1", "2026-11-30")])
    summary.incidents.append(file_rejected("export", "clients.csv", ["clients.csv, ligne 3 : x"],
                                           "corriger l'export"))

    text = todo(summary)

    assert text.index("**Fichier clients.csv rejeté en entier**") < text.index("une note") \
        < text.index("File de revue")
    assert "→ corriger l'export" in text


def test_a_trainer_invoice_awaited_is_asked_for_and_other_waits_are_not():
    from services.payouts import PayoutReport
    from tasks.payouts import add_payouts

    awaited = {"session": "S-001", "motif": "facture du formateur attendue"}
    report = PayoutReport(waiting=[awaited, {"session": "S-002", "motif": "factures non soldées"}],
                          awaiting_trainer_invoice=[awaited])
    summary = RunSummary("Virements formateurs", today=TODAY)

    add_payouts(summary, report)

    assert summary.needs_human == ["Session S-001 : financeurs payés, facture du formateur "
                                   "attendue (la demander au formateur)"]
