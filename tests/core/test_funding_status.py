"""Where a session's funding stands (backoffice/funding_status.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from backoffice.funding_status import FundingStatus, funding_status, opco_share


@pytest.mark.parametrize(("funded", "switched", "in_review", "status"), [
    (True, False, False, FundingStatus.funded),
    (True, True, True, FundingStatus.funded),  # a PEC validated after the switch funds it
    (False, True, True, FundingStatus.company_billing),  # started without one: billed in full
    (False, False, True, FundingStatus.pec_review),
    (False, False, False, FundingStatus.awaiting_pec),
])
def test_the_status_of_a_session(funded, switched, in_review, status):
    assert funding_status(funded=funded, switched=switched, in_review=in_review) is status


def test_the_opco_pays_what_it_granted_never_more_than_the_price():
    assert opco_share(Decimal("1800.00"), Decimal("2450.00")) == Decimal("1800.00")
    assert opco_share(Decimal("3000.00"), Decimal("2450.00")) == Decimal("2450.00")


def test_statuses_are_stored_as_their_names():
    assert [status.value for status in FundingStatus] == [
        "funded", "company_billing", "pec_review", "awaiting_pec"]
