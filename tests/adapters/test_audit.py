from datetime import UTC, datetime

from sqlalchemy import select

from adapters.audit import record_decision
from adapters.database import unit_of_work
from adapters.models import AuditEntry

AT = datetime(2026, 11, 28, 3, 30, tzinfo=UTC)


def test_a_decision_is_logged_with_its_inputs_in_the_callers_transaction(engine):
    with unit_of_work(engine) as db:
        record_decision(db, actor="nightly", action="pec.green_light", subject="S-001",
                        reason="PEC conforme", inputs={"pec_ref": "PEC-1", "hours": "14"}, at=AT)
    try:
        with unit_of_work(engine) as db:
            record_decision(db, actor="nightly", action="pec.review", subject="S-002",
                            reason="heures", inputs={}, at=AT)
            raise RuntimeError("the decision's transaction failed")
    except RuntimeError:
        pass

    with unit_of_work(engine) as db:
        (entry,) = db.scalars(select(AuditEntry)).all()
    assert (entry.action, entry.subject, entry.at) == ("pec.green_light", "S-001", AT)
    assert entry.inputs == {"pec_ref": "PEC-1", "hours": "14"}
