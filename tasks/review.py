"""The review queue as operators see it in a run's artifacts, and an operator closing an item."""

from __future__ import annotations

from datetime import date

from prefect import task
from prefect.cache_policies import NO_CACHE

from adapters.database import unit_of_work
from adapters.review import open_items
from services.review import close_item
from tasks import context


@task(cache_policy=NO_CACHE)
def review_queue(today: date) -> list[dict[str, str]]:
    """Every open review item, those of `today` first, with its reasons and the flow (or fix)
    that resolves it."""
    with unit_of_work(context.engine()) as db:
        return open_items(db, today)


@task(cache_policy=NO_CACHE)
def close_review_item(key: str, note: str, operator: str) -> str:
    """An operator closes an item once its action is done outside the pipeline (audit-logged):
    what was done, in French."""
    return close_item(context.engine(), key=key, note=note, operator=operator, now=context.now())
