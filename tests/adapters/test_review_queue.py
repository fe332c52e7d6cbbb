"""The open review queue, with what an operator does about each item."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from adapters.database import unit_of_work
from adapters.review import NEXT_STEP, open_item, open_items, resolve_item

NOW = datetime(2026, 12, 1, 3, 30, tzinfo=UTC)


def test_open_items_oldest_first_with_the_flow_that_resolves_them(engine):
    with unit_of_work(engine) as db:
        open_item(db, "payment:12", kind="payment", subject="Crédit 980,00", reasons=["deux factures"],
                  proposals=[], now=NOW + timedelta(hours=1))
        open_item(db, "pec:PEC-1", kind="pec", subject="PEC-1", reasons=["heures", "dates"],
                  proposals=[], now=NOW)
        open_item(db, "payout:S-1", kind="payout", subject="Virement S-1", reasons=["IBAN"],
                  proposals=[], now=NOW)
        open_item(db, "odd:1", kind="odd", subject="?", reasons=["?"], proposals=[], now=NOW)
        resolve_item(db, "payout:S-1", "IBAN corrigé", NOW)

    with unit_of_work(engine) as db:
        items = open_items(db)

    assert [i["clé"] for i in items] == ["odd:1", "pec:PEC-1", "payment:12"]
    assert items[1] == {"clé": "pec:PEC-1", "objet": "PEC-1", "raisons": "heures ; dates",
                        "depuis": "2026-12-01", "que faire": NEXT_STEP["pec"]}
    assert "decide-payment" in items[2]["que faire"] and items[0]["que faire"]
