"""One money-moving flow at a time: the global concurrency limit `MONEY_MOVING_LIMIT`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from prefect import runtime
from prefect.concurrency.sync import concurrency

from tasks.context import MONEY_MOVING_LIMIT


@contextmanager
def money_moving() -> Iterator[None]:
    """Hold the one slot of the `money-moving` limit (waiting for it if another run holds it).

    A deployed run refuses to start without the limit (`make ui` creates it): the run fails
    with Prefect's message "Concurrency limits ['money-moving'] must be created before acquiring
    slots". A local run (command line, tests) uses the limit when its Prefect API has it, and
    otherwise goes on (Prefect logs that the limit does not exist): there is nothing to share it
    with. Not re-entrant: a flow holding the slot must not call another flow that takes it.
    The database stays the guard against doing a thing twice (outbox, numbering under lock); a
    lost lease therefore does not stop the run.
    """
    deployed = runtime.deployment.id is not None
    with concurrency(MONEY_MOVING_LIMIT, occupy=1, strict=deployed,
                     raise_on_lease_renewal_failure=False):
        yield
