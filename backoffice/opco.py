"""Which OPCO a client belongs to: the PEC says last, the export says, else the IDCC table."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class OpcoResolution:
    opco: str | None
    source: str  # "pec", "export", "idcc" or "unknown"
    detail: str  # French, for the report and the review queue


def resolve_opco(*, confirmed_by_pec: str | None, export_opco: str | None, idcc: str | None,
                 idcc_table: Mapping[str, str]) -> OpcoResolution:
    """Never a guess: an IDCC missing from the reference table leaves the OPCO unknown."""
    if confirmed_by_pec:
        return OpcoResolution(confirmed_by_pec, "pec", "OPCO de la dernière PEC validée")
    if export_opco:
        return OpcoResolution(export_opco, "export", "OPCO déclaré par le client")
    if idcc and idcc in idcc_table:
        return OpcoResolution(idcc_table[idcc], "idcc", f"déduit de l'IDCC {idcc}")
    if idcc:
        return OpcoResolution(None, "unknown",
                              f"IDCC {idcc} absent de la table IDCC → OPCO : OPCO inconnu")
    return OpcoResolution(None, "unknown", "ni OPCO ni IDCC déclarés : OPCO inconnu")
