"""The outbox on both databases: recorded once per key, performed once, failures kept."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from adapters.database import unit_of_work
from adapters.models import Effect
from adapters.outbox import MAX_ATTEMPTS, EffectRefused, perform_pending, record_effect

NOW = datetime(2026, 11, 28, 3, 30, tzinfo=UTC)


def clock() -> datetime:
    return NOW


def effects(engine) -> list[Effect]:
    with unit_of_work(engine) as db:
        return list(db.scalars(select(Effect).order_by(Effect.idempotency_key)))


def test_an_effect_is_recorded_once_per_key(engine):
    with unit_of_work(engine) as db:
        assert record_effect(db, "email:a", "email", {"n": 1}, NOW) is True
        assert record_effect(db, "email:a", "email", {"n": 2}, NOW) is False
    with unit_of_work(engine) as db:
        assert record_effect(db, "email:a", "email", {"n": 3}, NOW) is False
    (effect,) = effects(engine)
    assert (effect.state, effect.payload, effect.attempts) == ("pending", {"n": 1}, 0)


def test_a_recorded_effect_disappears_with_its_rolled_back_decision(engine):
    try:
        with unit_of_work(engine) as db:
            record_effect(db, "email:b", "email", {}, NOW)
            raise RuntimeError("the decision failed")
    except RuntimeError:
        pass
    assert effects(engine) == []


def test_pending_effects_are_performed_once(engine):
    performed = []
    with unit_of_work(engine) as db:
        for key in ("email:1", "email:2", "number:1"):
            record_effect(db, key, key.split(":")[0], {"key": key}, NOW)

    first = perform_pending(engine, "email", lambda key, payload: performed.append(key) or key,
                            clock)
    second = perform_pending(engine, "email", lambda key, payload: performed.append(key) or key,
                             clock)

    assert performed == ["email:1", "email:2"]
    assert (first.performed, second.performed) == (2, 0)
    states = {e.idempotency_key: (e.state, e.attempts, e.result) for e in effects(engine)}
    assert states == {"email:1": ("done", 1, "email:1"), "email:2": ("done", 1, "email:2"),
                      "number:1": ("pending", 0, None)}


def test_a_failing_effect_is_retried_then_marked_failed(engine):
    with unit_of_work(engine) as db:
        record_effect(db, "email:x", "email", {}, NOW)

    def refuse(key, payload):
        raise ConnectionRefusedError("SMTP down")

    reports = [perform_pending(engine, "email", refuse, clock) for _ in range(MAX_ATTEMPTS + 1)]

    assert [r.failed for r in reports] == [1] * MAX_ATTEMPTS + [0]
    assert "email:x : ConnectionRefusedError: SMTP down" in reports[0].errors
    assert [r.failures[0].final for r in reports[:MAX_ATTEMPTS]] == [False] * (MAX_ATTEMPTS - 1) + [True]
    (effect,) = effects(engine)
    assert (effect.state, effect.attempts) == ("failed", MAX_ATTEMPTS)
    assert "SMTP down" in effect.last_error


def test_a_refused_effect_is_failed_at_once(engine):
    with unit_of_work(engine) as db:
        record_effect(db, "email:y", "email", {}, NOW)

    def refuse(key, payload):
        raise EffectRefused("adresse fictive")

    reports = [perform_pending(engine, "email", refuse, clock) for _ in range(2)]

    assert [r.errors for r in reports] == [("email:y : EffectRefused: adresse fictive",), ()]
    assert reports[0].failures[0].final
    (effect,) = effects(engine)
    assert (effect.state, effect.attempts, effect.done_at) == ("failed", 1, NOW)


RACER = textwrap.dedent("""
    import sys, time
    from datetime import UTC, datetime
    from adapters.database import make_engine
    from adapters.outbox import perform_pending

    engine = make_engine(sys.argv[1])
    log = open(sys.argv[2], "a")

    def perform(key, payload):
        time.sleep(0.02)  # hold the row lock a little, as a real SMTP send does
        log.write(key + "\\n")
        log.flush()
        return "ok"

    perform_pending(engine, "email", perform, lambda: datetime.now(UTC))
""")


def test_two_processes_at_once_perform_each_effect_once(engine, tmp_path: Path):
    with unit_of_work(engine) as db:
        for n in range(30):
            record_effect(db, f"email:{n:02d}", "email", {}, NOW)
    script, log = tmp_path / "racer.py", tmp_path / "performed.log"
    script.write_text(RACER)
    url = engine.url.render_as_string(hide_password=False)
    racers = [subprocess.Popen([sys.executable, str(script), url, str(log)],
                               cwd=Path(__file__).resolve().parents[2]) for _ in range(2)]
    assert [racer.wait(timeout=120) for racer in racers] == [0, 0]

    performed = log.read_text().split()
    assert sorted(performed) == [f"email:{n:02d}" for n in range(30)]
    assert all(e.state == "done" and e.attempts == 1 for e in effects(engine))
