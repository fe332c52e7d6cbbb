"""The demo export goes in whole on both databases, and a second time changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime

from demo.generator import write_demo_export
from services.ingest import ingest_export
from tests.services.test_ingest import snapshot

NOW = datetime(2026, 11, 30, 3, 30, tzinfo=UTC)


def test_the_demo_export_is_valid_and_its_reingest_is_a_no_op(engine, tmp_path):
    counts = write_demo_export(tmp_path / "export")

    first = ingest_export(engine, tmp_path / "export", now=NOW)
    before = snapshot(engine)
    second = ingest_export(engine, tmp_path / "export", now=NOW)

    assert [str(e) for e in first.errors] == []
    assert {o.name: o.inserted for o in first.files} == counts
    assert second.changed == 0 and snapshot(engine) == before
