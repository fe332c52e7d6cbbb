"""The audit pack of a session or an OPCO dossier."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from services.audit_pack import AuditPack, AuditPackError, build_audit_pack
from tasks import context


@task(cache_policy=NO_CACHE)
def build_audit_pack_of(session_ref: str, dossier_number: str) -> AuditPack | str:
    """The pack, or why it cannot be made (an unknown session or dossier), in French."""
    settings = context.settings()
    try:
        return build_audit_pack(context.engine(), output_dir=settings.output_dir,
                                export_dir=settings.export_inbox,
                                session_ref=session_ref or None,
                                dossier_number=dossier_number or None)
    except AuditPackError as error:
        return str(error)
