"""The operators' side of the review queue: closing an item once its action is done."""

from __future__ import annotations

from typing import Annotated

from prefect import get_run_logger
from pydantic import Field

from flows.parameters import refused, titled
from services.review import ReviewInputError
from tasks import context
from tasks.alerts import operator_flow
from tasks.review import close_review_item


@operator_flow("close-review-item")
def close_review(key: str = titled("Élément de la file de revue (clé)"),
                 note: Annotated[str, Field(min_length=3)] = titled("Ce qui a été fait (obligatoire)")
                 ) -> str:
    """Close a review item once what it asks was done by hand: documents regularised after a
    late start, an unpaid invoice chased by telephone, a statement checked with the bank, a
    reversed payment discussed with the funder.

    Args:
        key: La clé de l'élément, telle qu'elle figure dans la table « review-queue » (ex.
            documents-late:S-0042, dunning:FA-2026-000012:J+30).
        note: Ce qui a été fait (obligatoire, gardé dans le journal d'audit).
    """
    try:
        message = close_review_item(key, note, context.operator())
    except ReviewInputError as error:
        return refused(str(error))
    get_run_logger().info(message)
    return message
