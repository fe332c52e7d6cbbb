"""The audit pack of a session or an OPCO dossier, on demand (contrôle de service fait, Qualiopi)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from flows.parameters import refused, titled
from tasks import context
from tasks.alerts import operator_flow
from tasks.audit_pack import build_audit_pack_of
from tasks.summary import RunSummary, finish_run

Ref = Annotated[str, Field(max_length=64, pattern=r"^([A-Za-z0-9][A-Za-z0-9._/-]*)?$")]


@operator_flow("audit-pack")
def audit_pack(session_ref: Ref = titled("Session (ou bien le dossier)", ""),
               dossier_number: Ref = titled("Dossier OPCO (ou bien la session)", "")) -> str:
    """One zip with every piece of evidence of a session, or of all sessions of an OPCO dossier,
    and a manifest.csv giving each file's SHA-256 and what it proves.

    Args:
        session_ref: La session (ex. S-2026-0012) ; ou bien le dossier, pas les deux.
        dossier_number: Le numéro de dossier OPCO (ex. AT-2026-012345) : toutes ses sessions.
    """
    if bool(session_ref) == bool(dossier_number):
        return refused("Dossier d'audit : donner une session ou un numéro de dossier OPCO, un "
                       "seul des deux.")
    pack = build_audit_pack_of(session_ref, dossier_number)
    if isinstance(pack, str):
        return refused(f"Dossier d'audit impossible : {pack}.")
    summary = RunSummary(f"Dossier d'audit {session_ref or dossier_number}")
    summary.lines.append(f"`{pack.path}` : {pack.files} fichiers, dont manifest.csv (SHA-256 de "
                         "chaque pièce et ce qu'elle prouve)")
    summary.needs_human += [f"Pièce manquante : {item}" for item in pack.missing]
    return finish_run("audit-pack", summary, context.business_day(None), result=str(pack.path))
