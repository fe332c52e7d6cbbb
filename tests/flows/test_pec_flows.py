"""PEC flows under a real Prefect engine: SMTP down during a run, an operator's decision."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from adapters.database import unit_of_work
from adapters.models import Effect, PecState, ReviewItem
from adapters.settings import get_settings
from flows.nightly import nightly
from flows.pecs import reconcile_pecs, resolve_pec
from tests.export_samples import SMALL_EXPORT, write_export
from tests.smtp_server import free_port, running_smtp_server

pytestmark = pytest.mark.prefect
AS_OF = date(2026, 11, 28)


def effects(engine) -> dict[str, Effect]:
    with unit_of_work(engine) as db:
        return {e.idempotency_key: e for e in db.scalars(select(Effect))}


def test_an_smtp_server_down_loses_nothing_and_sends_once_when_back(pipeline_env, engine,
                                                                    monkeypatch):
    port = free_port()
    for name, value in {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port),
                        "SMTP_SECURITY": "none", "SMTP_RETRY_PAUSES": "0.01,0.01"}.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    write_export(get_settings().export_inbox)

    down = nightly(as_of=AS_OF)

    pending = effects(engine)
    assert {e.state for e in pending.values()} == {"pending"}  # nothing lost
    tried = sorted((e for e in pending.values() if e.attempts), key=lambda e: e.id)
    # the first e-mail failed, then the run stopped; the operators' alert about it, too
    assert [e.idempotency_key.startswith("email:operator-alert:email-failed:")
            for e in tried] == [False, True]
    assert all("ConnectionRefusedError" in e.last_error for e in tried)
    assert any(i.title.startswith("E-mail en échec") for i in down.incidents)

    with running_smtp_server(port=port) as server:
        nightly(as_of=AS_OF)
        nightly(as_of=AS_OF)

    keys = [m["X-Backoffice-Key"] for m in server.messages]
    assert sorted(keys) == sorted(pending)  # every e-mail, each once
    light = next(m for m in server.messages if m["X-Backoffice-Key"] == "email:green-light:S-001")
    assert light["Subject"] == "Feu vert : la session S-001 peut démarrer"
    assert "du 7 décembre 2026 au 8 décembre 2026" in light.get_body().get_content()
    assert {e.state for e in effects(engine).values()} == {"done"}


def test_an_operator_accepts_a_pec_in_review(pipeline_env, engine):
    write_export(pipeline_env.export_inbox,
                 pecs_csv=SMALL_EXPORT["pecs.csv"].replace(",14,2100.00,", ",7,2100.00,"))
    nightly(as_of=AS_OF)
    assert "email:green-light:S-001" not in effects(engine)

    message = resolve_pec(pec_ref="PEC-1", decision="accept", note="accord corrigé par l'OPCO",
                          as_of=AS_OF)

    assert "acceptée" in message
    with unit_of_work(engine) as db:
        assert db.get(PecState, "PEC-1").status == "accepted"
        assert db.scalar(select(ReviewItem.status).where(ReviewItem.key == "pec:PEC-1")) \
            == "resolved"
    assert effects(engine)["email:green-light:S-001"].state == "done"
    assert reconcile_pecs(as_of=AS_OF).green_lights == []  # nothing more to do


def test_resolve_pec_refuses_a_decision_it_does_not_know(pipeline_env):
    state = resolve_pec(pec_ref="PEC-1", decision="maybe", note="?", return_state=True)
    assert state.is_failed()
