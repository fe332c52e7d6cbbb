"""What an operator reads under « À traiter par un opérateur »: the run's incidents, its notes,
and the whole open review queue, today's items first; "Rien." only when all are empty."""

from __future__ import annotations

from pathlib import Path

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
    from backoffice.outcomes import PayoutWaiting
    from services.payouts import PayoutReport
    from tasks.summary import add_payouts

    report = PayoutReport(waiting=[
        PayoutWaiting("S-001", "facture du formateur attendue", awaits_trainer_invoice=True),
        PayoutWaiting("S-002", "factures non soldées")])
    summary = RunSummary("Virements formateurs", today=TODAY)

    add_payouts(summary, report, Path("sortie"))

    assert summary.needs_human == ["Session S-001 : financeurs payés, facture du formateur "
                                   "attendue (la demander au formateur)"]


def test_payouts_are_told_in_the_summary_and_its_table_from_their_records():
    from datetime import date
    from decimal import Decimal

    from backoffice.outcomes import (
        PayoutScheduled,
        PayoutToReview,
        PayoutWarning,
        SepaFileExported,
        TrainerInvoiceNearPaymentCap,
        TransferReturned,
    )
    from services.payouts import PayoutReport
    from tasks.summary import add_payouts

    report = PayoutReport(
        scheduled=[PayoutScheduled("PO-2027-000001", "S-001", "TR-01", Decimal("1320.00"),
                                   "F-17", date(2027, 1, 6))],
        batches=[SepaFileExported("VIR-FORMATEURS-20270106-01", date(2027, 1, 6), 1,
                                  Decimal("1320.00"), "sepa/VIR-FORMATEURS-20270106-01.xml")],
        failed=[TransferReturned("PO-2026-000009", "S-000", Decimal("80.00"), "compte clos")],
        review=[PayoutToReview("S-002", "IBAN invalide")],
        warnings=[PayoutWarning("S-003", "formateur TR-03 sans NDA")],
        near_payment_cap=[
            TrainerInvoiceNearPaymentCap("S-004", "TR-04", "F-9", date(2026, 10, 8), 15),
            TrainerInvoiceNearPaymentCap("S-005", "TR-05", "F-7", date(2026, 10, 1), -4)])
    summary = RunSummary("Virements formateurs", today=TODAY)

    add_payouts(summary, report, Path("sortie"))

    assert summary.lines == [
        "Virements formateurs : 1 décidé(s), 1 fichier(s) SEPA, 0 exécuté(s), 1 revenu(s), "
        "0 en attente, 1 à revoir",
        "Fichier SEPA à déposer à la banque : `sortie/sepa/VIR-FORMATEURS-20270106-01.xml` "
        "(1 virements, 1320.00 €, exécution le 2027-01-06)"]
    assert summary.tables["payouts"] == [
        {"état": "décidé", "virement": "PO-2027-000001", "session": "S-001", "formateur": "TR-01",
         "montant": "1320.00", "facture": "F-17", "exécution prévue": "2027-01-06"},
        {"état": "revenu", "virement": "PO-2026-000009", "session": "S-000", "montant": "80.00",
         "motif": "compte clos"},
        {"état": "à revoir", "session": "S-002", "motif": "IBAN invalide"}]
    assert summary.needs_human == [
        "Session S-003 : formateur TR-03 sans NDA",
        "Facture formateur F-9 (TR-04, session S-004) reçue le 8 octobre 2026, non payée : plus "
        "que 15 jour(s) avant le délai légal de paiement de 60 jours (L441-10 du Code de "
        "commerce)",
        "Facture formateur F-7 (TR-05, session S-005) reçue le 1er octobre 2026, non payée : "
        "délai légal de paiement de 60 jours (L441-10 du Code de commerce) dépassé de 4 jour(s)"]


def test_the_receivables_are_one_line_a_table_per_funder_and_what_to_chase_first():
    from datetime import date
    from decimal import Decimal as D

    from backoffice.outcomes import ReceivablesAged
    from backoffice.receivables import AgedBalance, Receivable
    from tasks.summary import add_receivables

    def late(number: str, amount: str, days: int) -> Receivable:
        return Receivable(number, "opco", "ATLAS", "ATLAS", date(2026, 9, 1),
                          date(2026, 10, 1), date(2026, 10, 1), D(amount), days)

    zero = D("0.00")
    aged = ReceivablesAged(date(2026, 12, 7), (
        AgedBalance("opco", "ATLAS", "ATLAS", (D("100.00"), zero, D("900.00"), zero,
                                               D("1200.50")), 3, 97, D("3000.00"), D("66.0")),),
        (late("FA-2026-000001", "1200.50", 97), late("FA-2026-000002", "900.00", 45)))
    summary = RunSummary("Traitement de nuit", today=TODAY)

    add_receivables(summary, aged)

    assert summary.lines == ["Créances au 7 décembre 2026 : 2\u202f200,50\u00a0€ dus par 1 "
                             "financeur(s), dont 2\u202f100,50\u00a0€ échus (table « receivables », "
                             "et `receivables.csv` du rapport)"]
    [row] = summary.tables["receivables"]
    assert (row["financeur"], row["type"], row["non échu"], row["plus de 90 j"], row["total dû"],
            row["échu"], row["DSO (j)"]) == ("ATLAS", "OPCO", "100.00", "1200.50", "2200.50",
                                             "2100.50", "66.0")
    text = todo(summary)
    assert text.index("facture FA-2026-000001") < text.index("facture FA-2026-000002")
    assert "Relancer OPCO ATLAS : facture FA-2026-000001, 1\u202f200,50\u00a0€ dus, échue le " \
           "1er octobre 2026 (97 jours de retard)" in text


def test_prefect_passes_the_review_queue_whole_not_item_by_item():
    """Prefect walks every list, dict and dataclass a task receives or a flow returns: 18,000
    open items cost 3 to 4 s a night that way (issue 20). The queue is one object to it."""
    from prefect.utilities.collections import visit_collection

    from tasks.summary import ReviewQueue

    queue = ReviewQueue(item(f"pec:PEC-{n}", TODAY) for n in range(1_000))
    summary = RunSummary("Traitement de nuit", today=TODAY, review=queue)
    visited: list[object] = []

    visit_collection(summary, visit_fn=lambda expr: visited.append(expr), return_data=False)

    assert len(visited) < 30
    assert queue in visited and len(queue) == 1_000 and queue[999]["clé"] == "pec:PEC-999"
    assert queue[:2] == [item("pec:PEC-0", TODAY), item("pec:PEC-1", TODAY)]
