"""Where a session's funding stands, and the one rule that says so.

A session is `funded` once a PEC that passed its checks (or that an operator accepted) is
attached to it: the OPCO's share is what the PEC grants, at most the session's price. Without
one, it is `company_billing` once it started without a validated PEC (the day-1 switch: the
company is billed in full, per the terms), else `pec_review` while a PEC attached to it waits
for an operator, else `awaiting_pec`.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum


class FundingStatus(StrEnum):
    funded = "funded"
    company_billing = "company_billing"
    pec_review = "pec_review"
    awaiting_pec = "awaiting_pec"


def funding_status(*, funded: bool, switched: bool, in_review: bool) -> FundingStatus:
    """The session's status from what its PECs and the calendar decided."""
    if funded:
        return FundingStatus.funded
    if switched:
        return FundingStatus.company_billing
    if in_review:
        return FundingStatus.pec_review
    return FundingStatus.awaiting_pec


def opco_share(amount_granted_ht: Decimal, price_ht: Decimal) -> Decimal:
    """What the OPCO pays of a funded session: what it granted, never more than the price."""
    return min(amount_granted_ht, price_ht)
