"""The outbox: effects recorded with a unique key before they happen, performed afterwards.

A caller records an effect (an e-mail, a number, a transfer) in the same transaction as the
decision that makes it due, with a key that names the effect in business terms
(`email:pec-green-light:S-2026-0012`). Recording the same key again is a no-op, so re-runs and
backfills never duplicate anything. `perform_pending` then performs each pending effect under a
row lock and marks it done in the same transaction: two runs at once never perform it twice, and
a crash before the commit leaves it pending, so it is retried (an e-mail then carries the same
Message-ID, derived from the key, which lets the receiving side drop the copy).

A failure is retried on the next runs, up to `MAX_ATTEMPTS`, then the effect is `failed`; a
failure that performing again cannot cure (`EffectRefused`: an e-mail to a reserved domain) makes
it `failed` at once. Either way the failure is reported, and operators hear of it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session as OrmSession

from adapters.database import unit_of_work
from adapters.models import Effect

MAX_ATTEMPTS = 5


class EffectRefused(Exception):
    """The effect cannot be performed as recorded, and trying again would not change that: the
    outbox marks it `failed` at its first attempt. The message says why, for operators."""


@dataclass(frozen=True, slots=True)
class EffectFailure:
    key: str
    error: str  # "ExceptionType: message"
    final: bool = False  # the effect is `failed` for good: no attempt is left, or it was refused

    def __str__(self) -> str:
        return f"{self.key} : {self.error}"


@dataclass(frozen=True, slots=True)
class OutboxReport:
    performed: int
    failed: int
    failures: tuple[EffectFailure, ...] = ()

    @property
    def errors(self) -> tuple[str, ...]:
        return tuple(str(failure) for failure in self.failures)


def record_effect(db: OrmSession, key: str, kind: str, payload: dict[str, Any],
                  now: datetime) -> bool:
    """Record an effect once; True when this call created it, False when the key existed."""
    dialect = db.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(Effect).values(
        idempotency_key=key, kind=kind, state="pending", attempts=0, payload=payload,
        created_at=now,
    ).on_conflict_do_nothing(index_elements=["idempotency_key"]).returning(Effect.id)
    return db.execute(statement).scalar_one_or_none() is not None


def perform_pending(engine: Engine, kind: str, perform: Callable[[str, dict[str, Any]], str],
                    now: Callable[[], datetime],
                    stop_on: Callable[[Exception], bool] = lambda error: False,
                    key_prefix: str = "") -> OutboxReport:
    """Perform every pending effect of a kind (whose key starts with `key_prefix`), each in its
    own transaction under a row lock.

    A failure is recorded on its effect and the others go on, unless `stop_on(error)` says the
    whole channel is down (an SMTP server that does not answer): the rest then waits, untouched,
    for the next run.
    """
    with unit_of_work(engine) as db:
        pending = db.scalars(select(Effect.id).where(Effect.kind == kind,
                                                     Effect.state == "pending",
                                                     Effect.idempotency_key.startswith(key_prefix))
                             .order_by(Effect.id)).all()
    performed = 0
    failures: list[EffectFailure] = []
    for effect_id in pending:
        try:
            if _perform_one(engine, effect_id, perform, now):
                performed += 1
        except Exception as exc:  # recorded on the effect and reported, never raised
            failures.append(_record_failure(engine, effect_id, exc, now))
            if stop_on(exc):
                break
    return OutboxReport(performed, len(failures), tuple(failures))


def _perform_one(engine: Engine, effect_id: int, perform: Callable[[str, dict[str, Any]], str],
                 now: Callable[[], datetime]) -> bool:
    with unit_of_work(engine) as db:
        claimed = db.execute(
            update(Effect).where(Effect.id == effect_id, Effect.state == "pending")
            .values(attempts=Effect.attempts + 1)
        ).rowcount
        if not claimed:  # another run performed it meanwhile
            return False
        effect = db.get(Effect, effect_id)
        result = perform(effect.idempotency_key, effect.payload)
        effect.state, effect.result, effect.done_at = "done", result, now()
        effect.last_error = None
    return True


def _record_failure(engine: Engine, effect_id: int, exc: Exception,
                    now: Callable[[], datetime]) -> EffectFailure:
    message = f"{type(exc).__name__}: {exc}"
    with unit_of_work(engine) as db:
        effect = db.get(Effect, effect_id)
        effect.attempts += 1
        effect.last_error = message
        if effect.attempts >= MAX_ATTEMPTS or isinstance(exc, EffectRefused):
            effect.state, effect.done_at = "failed", now()
        key, final = effect.idempotency_key, effect.state == "failed"
    return EffectFailure(key, message, final)
