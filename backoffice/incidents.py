"""Incidents: what a run could not do and an operator must hear of, once.

A rejected export or bank file, an invoice held, an e-mail that could not be sent, a run that
failed or crashed. Each is named by a key that is the same for the same event and differs for a
new one (the same bad file rejected again on the next night is the same event; a corrected file
rejected for another reason is a new one), so the e-mail telling an operator is recorded once
under that key (docs/operators.md). A run with an incident ends in the state `INCOMPLETE`.
The texts are French: operators read them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

INCOMPLETE = "Incomplet"  # a run's final state name (state type Completed) when it has incidents
REFUSED = "Refusé"  # a run's final state name (type Failed) when its request cannot be done


@dataclass(frozen=True, slots=True)
class Incident:
    key: str  # names the event: "export-rejected:clients.csv:<digest>"
    title: str  # one line: the e-mail's subject, the summary's bullet
    detail: str  # what happened and where (file, line, column, session)
    action: str  # what the operator does about it

    def __str__(self) -> str:
        return f"{self.title} — {self.detail} → {self.action}"


def digest(*parts: str) -> str:
    """A short stable fingerprint of an event's facts (16 hex digits of their SHA-256)."""
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]


def file_rejected(kind: str, names: str, errors: list[str], action: str) -> Incident:
    """Files (`names`: one, or several comma-separated) rejected whole: the same files with the
    same errors are the same event."""
    shown = "\n".join(f"  - {error}" for error in errors[:20])
    more = f"\n  - … et {len(errors) - 20} autres" if len(errors) > 20 else ""
    what = f"Fichier {names} rejeté" if "," not in names else f"Fichiers {names} rejetés"
    return Incident(f"{kind}-rejected:{digest(names, *errors)}", f"{what} en entier",
                    f"rien n'en a été appliqué ({len(errors)} erreur(s)) :\n{shown}{more}", action)


def email_failed(key: str, error: str, final: bool = False) -> Incident:
    """An e-mail the outbox could not send: it stays pending (retried), or failed for good (an
    address refused, or no attempt left), which only a person can remedy."""
    action = ("envoi abandonné : corriger l'adresse à sa source (plateforme, données de "
              "référence, réglages), puis envoyer ce message à la main" if final else
              "vérifier le serveur SMTP ou l'adresse ; l'envoi est retenté au prochain "
              "traitement (5 essais au plus)")
    return Incident(f"email-failed:{key}", f"E-mail en échec : {key}", error, action)


def run_failed(flow: str, run_name: str, run_id: str, attempt: int, state: str,
               message: str) -> Incident:
    """A run that ended Failed or Crashed: each attempt that ends so is an event."""
    return Incident(f"run:{run_id}:{attempt}", f"Run « {run_name} » ({flow}) en état {state}",
                    message or "sans message",
                    "lire les journaux du run dans l'interface Prefect, corriger la cause, puis "
                    "relancer le run (Retry) : chaque étape est idempotente")
