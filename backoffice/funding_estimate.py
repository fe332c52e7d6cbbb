"""The expected OPCO share before the PEC arrives, from the OPCOs' funding criteria (data).

Funded = funded share × min(price, hourly cap × hours × trainees, annual cap per company);
nothing below the minimum duration. The annual cap is what a company may get in a calendar year:
the pipeline cannot see what the company already used, so the estimate is an upper bound, and
the PEC is the truth. Unknown criteria give no estimate, and say so; when the latest criteria
known for the client have expired, the estimate is made from them and says so.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from backoffice.dates import format_date_fr
from backoffice.money import ZERO, format_eur, quantize


@dataclass(frozen=True, slots=True)
class FundingCriterion:
    opco: str
    scope: str
    idccs: frozenset[str]  # empty: the whole OPCO for that size band
    size_min: int
    size_max: int | None
    valid_from: date
    valid_to: date | None
    hourly_cap_ht: Decimal | None
    annual_cap_ht: Decimal | None
    min_hours: Decimal | None
    funded_share: Decimal
    source: str
    auto_apply: bool = True  # False: informative only (e.g. a branch whose IDCCs are unknown)

    def applies(self, opco: str, idcc: str | None, headcount: int | None, on: date) -> bool:
        if not self.auto_apply or opco != self.opco:
            return False
        if on < self.valid_from or (self.valid_to and on > self.valid_to):
            return False
        if self.idccs and idcc not in self.idccs:
            return False
        if headcount is None:
            return self.size_min == 0 and self.size_max is None
        return self.size_min <= headcount and (self.size_max is None or headcount <= self.size_max)


@dataclass(frozen=True, slots=True)
class Estimate:
    opco_share: Decimal | None
    reste_a_charge: Decimal | None
    basis: str  # French: which criterion and how, or why there is no estimate


def estimate_funding(criteria: Iterable[FundingCriterion], *, opco: str | None, idcc: str | None,
                     headcount: int | None, hours_per_trainee: Decimal, trainees: int,
                     price_ht: Decimal, on: date) -> Estimate:
    if opco is None:
        return Estimate(None, None, "pas d'estimation : OPCO du client inconnu")
    criteria = tuple(criteria)
    matching = [c for c in criteria if c.applies(opco, idcc, headcount, on)]
    expired = [c for c in criteria if c.valid_to is not None and c.valid_to < on
               and c.applies(opco, idcc, headcount, c.valid_to)]
    if not matching and not expired:
        size = "effectif inconnu" if headcount is None else f"effectif {headcount}"
        return Estimate(None, None, f"pas d'estimation : critères de financement inconnus pour "
                                    f"{opco}, IDCC {idcc or 'inconnu'}, {size}, au {on}")
    if matching:
        criterion, caveat = max(matching, key=lambda c: (bool(c.idccs), c.valid_from)), ""
    else:  # the latest criteria known have expired: an estimate still, that says so
        criterion = max(expired, key=lambda c: (c.valid_to or on, bool(c.idccs)))
        caveat = (f"critères expirés le {format_date_fr(criterion.valid_to or on)}, les derniers "
                  "connus : estimation à revérifier ; ")
    share, how = _funded(criterion, hours_per_trainee, trainees, price_ht)
    share = quantize(min(share, price_ht))
    return Estimate(share, quantize(price_ht - share),
                    f"{caveat}{criterion.opco}, {criterion.scope} ({criterion.source}) : {how}")


def expiring(criteria: Iterable[FundingCriterion], on: date, within_days: int = 60
             ) -> list[FundingCriterion]:
    """The criteria whose validity ends within `within_days` after `on` (to check again: the
    OPCOs publish next year's criteria in January, sometimes change them during the year)."""
    return sorted((c for c in criteria if c.valid_to is not None
                   and on <= c.valid_to <= on + timedelta(days=within_days)),
                  key=lambda c: (c.valid_to or on, c.opco, c.scope, c.size_min))


def _funded(c: FundingCriterion, hours: Decimal, trainees: int, price: Decimal
            ) -> tuple[Decimal, str]:
    if c.min_hours is not None and hours < c.min_hours:
        return ZERO, f"durée inférieure au minimum de {c.min_hours} h : non finançable"
    amount, how = price, ["prix"]
    if c.hourly_cap_ht is not None:
        amount = min(amount, c.hourly_cap_ht * hours * trainees)
        how.append(f"plafond {format_eur(c.hourly_cap_ht)}/h × {hours} h × {trainees} stagiaire(s)")
    if c.annual_cap_ht is not None:
        amount = min(amount, c.annual_cap_ht)
        how.append(f"plafond annuel {format_eur(c.annual_cap_ht)} par entreprise")
    if c.funded_share != 1:
        amount *= c.funded_share
        how.append(f"financé à {c.funded_share:.0%}")
    return amount, ", ".join(how)
