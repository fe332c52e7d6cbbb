"""The audit pack of a session or an OPCO dossier, on demand (contrôle de service fait, Qualiopi)."""

from __future__ import annotations

from typing import Annotated

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from pydantic import Field

from adapters.audit_pack import AuditPack, build_audit_pack
from tasks import context
from tasks.summary import RunSummary, publish_summary

Ref = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")]


@task(cache_policy=NO_CACHE)
def _build(session_ref: str | None, dossier_number: str | None) -> AuditPack:
    settings = context.settings()
    return build_audit_pack(context.engine(), output_dir=settings.output_dir,
                            export_dir=settings.export_inbox,
                            session_ref=session_ref, dossier_number=dossier_number)


@flow(name="audit-pack", log_prints=True)
def audit_pack(session_ref: Ref | None = None, dossier_number: Ref | None = None) -> str:
    """One zip with every piece of evidence of a session, or of all sessions of an OPCO dossier,
    and a manifest.csv giving each file's SHA-256 and what it proves.

    Args:
        session_ref: La session (ex. S-2026-0012) ; ou bien le dossier, pas les deux.
        dossier_number: Le numéro de dossier OPCO (ex. AT-2026-012345) : toutes ses sessions.
    """
    pack = _build(session_ref, dossier_number)
    summary = RunSummary(f"Dossier d'audit {session_ref or dossier_number}")
    summary.lines.append(f"`{pack.path}` : {pack.files} fichiers, dont manifest.csv (SHA-256 de "
                         "chaque pièce et ce qu'elle prouve)")
    summary.needs_human += [f"Pièce manquante : {item}" for item in pack.missing]
    publish_summary("audit-pack", summary)
    return str(pack.path)
