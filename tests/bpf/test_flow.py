"""The `bpf` flow (the UI's form: a year) writes the draft into the output folder's bpf/<year>/
and lists in its summary the sessions whose data is missing."""

from __future__ import annotations

import pytest

from flows.bpf import bpf
from services.ingest import ingest_export
from tests.bpf.test_ledger import LEDGER, NOW
from tests.export_samples import write_export

pytestmark = pytest.mark.prefect


def test_the_flow_writes_the_draft_of_the_year(pipeline_env, engine, tmp_path):
    ingest_export(engine, write_export(tmp_path / "export", **LEDGER), now=NOW)

    state = bpf(year=2026, return_state=True)

    assert state.is_completed() and state.name == "Completed"
    folder = pipeline_env.output_dir / "bpf" / "2026"
    assert str(folder / "bpf-2026.pdf") in state.result()
    assert (folder / "sessions_incomplete.csv").read_text(encoding="utf-8").splitlines()[1:] == [
        "S-001,PR-EXCEL,statut BPF (bpf_status) de 1 stagiaire(s) : T-2",
        "S-003,PR-ORAL,objectif du programme PR-ORAL (objective) ; code NSF du programme PR-ORAL "
        "(nsf_code)"]
