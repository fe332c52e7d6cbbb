"""The BPF draft of a year (bilan pédagogique et financier, Cerfa 10443), on demand."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from backoffice.bpf import DRAFT_MARK
from backoffice.dates import format_hours
from backoffice.money import format_eur
from flows.parameters import titled
from tasks import context
from tasks.alerts import operator_flow
from tasks.bpf import write_bpf_draft
from tasks.summary import RunSummary, finish_run

Year = Annotated[int, Field(ge=2020, le=2100)]


@operator_flow("bpf")
def bpf(year: Year = titled("Année (exercice du 1er janvier au 31 décembre)")) -> list[str]:
    """The BPF draft of a year: one CSV per cadre of the form (C, D, E, F-1 to F-4, G), the
    sessions whose data is missing (sessions_incomplete.csv) and a PDF laid out like the form,
    in the output folder's `bpf/<year>/`. `backoffice bpf --year YYYY [--out DIR]` does the
    same without Prefect.

    Args:
        year: L'année du bilan (ex. 2026).
    """
    draft, paths = write_bpf_draft(year)
    summary = RunSummary(f"BPF {year} (brouillon)")
    summary.lines.append(f"{DRAFT_MARK}.")
    summary.lines.append(f"Produits (cadre C, HT) : {format_eur(draft.products_ht)} ; stagiaires (F-1) : "
                         f"{draft.total('F-1', 'stagiaires')}, {format_hours(draft.trainee_hours)}")
    summary.lines += [f"`{path}`" for path in paths]
    summary.needs_human += [f"BPF {year} : session {m.session_ref} : il manque {m.text}"
                            for m in draft.incomplete]
    summary.tables["sessions-incomplete"] = [
        {"session": m.session_ref, "programme": m.programme_ref, "manque": m.text}
        for m in draft.incomplete]
    return finish_run("bpf", summary, context.business_day(None), result=paths)
