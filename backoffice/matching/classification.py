"""What a bank line is, for routing: only "funder_payment" lines go to invoice matching."""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from functools import lru_cache

from backoffice.identifiers import normalize_iban
from backoffice.matching.text import words as _words
from backoffice.payouts import batch_ids_in, payout_ids_in

FUNDER_PAYMENT = "funder_payment"
OWN_TRANSFER = "own_transfer"
BANK_FEE = "bank_fee"
OTHER_DEBIT = "other_debit"
OTHER_CREDIT = "other_credit"

_FEE_WORDS = ("COMMISSION", "COMMISSIONS", "COM", "FRAIS", "COTISATION", "COTIS", "ABONNEMENT",
              "ABON", "AGIOS", "INTERETS DEBITEURS", "TENUE DE COMPTE", "FORFAIT")
_PAYOUT_MARKERS = ("VIR SEPA EMIS", "VIREMENT SEPA EMIS", "VIR EMIS", "VIREMENT EMIS", "VIR INST EMIS",
                   "VIR SEPA INST EMIS", "VIREMENT INSTANTANE EMIS", "PRLV VIR", "PAYOUT")
_RETURN_MARKERS = ("REJET", "RETOUR VIR", "RETOUR VIREMENT", "RETOUR SEPA", "EXTOURNE", "ANNULATION VIR")


def _has(words: str, phrases: Iterable[str]) -> bool:
    return _phrases(tuple(phrases)).search(words) is not None


@lru_cache(maxsize=8)
def _phrases(phrases: tuple[str, ...]) -> re.Pattern[str]:
    """Any of these phrases as whole words (in the padded text of `text.words`)."""
    return re.compile("|".join(re.escape(f" {phrase} ") for phrase in phrases))


# pragma: no mutate start
# (routing a bank line, not a score: out of the mutation scope, docs/mutation.md)
def classify(amount: Decimal, label: str, counterparty_iban: str, own_ibans: set[str]) -> str:
    """What a bank line is, for routing: only "funder_payment" lines go to invoice matching.

    * a credit from one of our own accounts, a returned or cancelled transfer of ours ("REJET",
      "RETOUR VIR", "EXTOURNE"…, or quoting a payout id "PO-2026-000042"), or a zero amount:
      "other_credit";
    * any other credit: "funder_payment";
    * a debit quoting one of our payout ids or payout file ids (the camt EndToEndId of a
      batch-booked transfer, "VIR-FORMATEURS-20261201-01"): "own_transfer";
    * a debit starting with a fee word (COMMISSION, FRAIS, COTISATION, ABONNEMENT, AGIOS…):
      "bank_fee" — checked before the payout markers, so "FRAIS VIR SEPA EMIS" is a fee;
    * a debit to one of our own accounts, or one of our SEPA payouts ("VIR SEPA EMIS",
      "VIR INST EMIS", "PAYOUT-…" of our pain.001): "own_transfer" — so "VIR SEPA EMIS
      FRAIS DEPLACEMENT" stays a payout;
    * a debit with a fee word elsewhere: "bank_fee"; any other debit: "other_debit".
    """
    iban = normalize_iban(counterparty_iban) if counterparty_iban else ""
    own = {normalize_iban(value) for value in own_ibans} if iban else set()
    words = _words(label)
    ours = bool(payout_ids_in(label) or batch_ids_in(label))  # our payout's or batch's id
    if amount > 0:
        if (iban and iban in own) or ours or _has(words, _RETURN_MARKERS):
            return OTHER_CREDIT
        return FUNDER_PAYMENT
    if amount == 0:
        return OTHER_CREDIT
    if ours:
        return OWN_TRANSFER
    first = words.split()[:3]
    if any(" ".join(first[:n]) in _FEE_WORDS for n in (1, 2, 3)):
        return BANK_FEE
    if (iban and iban in own) or _has(words, _PAYOUT_MARKERS):
        return OWN_TRANSFER
    if _has(words, _FEE_WORDS):
        return BANK_FEE
    return OTHER_DEBIT
# pragma: no mutate end
