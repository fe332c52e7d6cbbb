"""The BPF draft of a year (docs/bpf.md): its CSVs and PDF in the output folder."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from services.bpf import BpfDraft, write_bpf
from tasks import context


@task(cache_policy=NO_CACHE)
def write_bpf_draft(year: int) -> tuple[BpfDraft, list[str]]:
    """The draft of the calendar year `year` written into the output folder's `bpf/<year>/`
    (one CSV per cadre, the sessions whose data is missing, the PDF): the draft and its paths."""
    folder = context.settings().output_dir / "bpf" / str(year)
    draft, paths = write_bpf(context.engine(), year, folder)
    return draft, [str(path) for path in paths]
