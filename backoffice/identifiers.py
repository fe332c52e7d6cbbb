"""French and banking identifiers, validated by their own rules (pure, no lookup tables).

Also the one rule for a file name that comes from outside data (a PEC's `document` in the
platform export, an entry of an inbox folder): it must be a plain name, never a path
(`file_name_problem`). The adapters check it again, with the file system, before opening
anything (`adapters/files.py`).
"""

from __future__ import annotations

import re
import string
import unicodedata

_LA_POSTE_SIREN = "356000000"


def _luhn_ok(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def siren_problem(value: str) -> str | None:
    """Why a SIREN is invalid (French, for operators), or None when it is valid."""
    if not re.fullmatch(r"\d{9}", value):
        return "SIREN invalide : 9 chiffres attendus"
    if not _luhn_ok(value):
        return "SIREN invalide : clé de contrôle (Luhn) fausse"
    return None


def siret_problem(value: str) -> str | None:
    """Why a SIRET is invalid, or None. La Poste's establishments use their own checksum rule."""
    if not re.fullmatch(r"\d{14}", value):
        return "SIRET invalide : 14 chiffres attendus"
    if value.startswith(_LA_POSTE_SIREN):
        ok = sum(int(c) for c in value) % 5 == 0
    else:
        ok = _luhn_ok(value) and siren_problem(value[:9]) is None
    return None if ok else "SIRET invalide : clé de contrôle (Luhn) fausse"


def nda_problem(value: str) -> str | None:
    """The numéro de déclaration d'activité is 11 digits (region code first)."""
    if not re.fullmatch(r"\d{11}", value):
        return "NDA invalide : 11 chiffres attendus"
    return None


def idcc_problem(value: str) -> str | None:
    """An IDCC is a number of at most 4 digits, conventionally written on 4 (0016, 1486)."""
    if not re.fullmatch(r"\d{1,4}", value) or int(value) == 0:
        return "IDCC invalide : 4 chiffres attendus (ex. 1486)"
    return None


def normalize_idcc(value: str) -> str:
    return value.strip().zfill(4)


def normalize_iban(value: str) -> str:
    return re.sub(r"\s+", "", value).upper()


def iban_problem(value: str) -> str | None:
    """ISO 13616: country, two check digits, BBAN; check digits by mod 97."""
    iban = normalize_iban(value)
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", iban):
        return "IBAN invalide : format (2 lettres, 2 chiffres, puis 11 à 30 caractères)"
    if iban.startswith("FR") and len(iban) != 27:
        return "IBAN invalide : un IBAN français a 27 caractères"
    rearranged = iban[4:] + iban[:4]
    number = "".join(str(string.ascii_uppercase.index(c) + 10) if c.isalpha() else c
                     for c in rearranged)
    if int(number) % 97 != 1:
        return "IBAN invalide : clé de contrôle fausse"
    return None


def bic_problem(value: str) -> str | None:
    if not re.fullmatch(r"[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}([A-Z0-9]{3})?", value.strip().upper()):
        return "BIC invalide : 8 ou 11 caractères attendus"
    return None


def email_problem(value: str) -> str | None:
    """A deliberately simple check: one @, a dot in the domain, no spaces."""
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
        return "adresse e-mail invalide"
    return None


def french_vat_problem(value: str) -> str | None:
    """FR + 2-digit key + SIREN, the key being (12 + 3 × (SIREN mod 97)) mod 97."""
    vat = value.replace(" ", "").upper()
    if not re.fullmatch(r"FR\d{11}", vat):
        return "n° de TVA invalide : FR suivi de 11 chiffres attendu"
    siren, key = vat[4:], int(vat[2:4])
    if siren_problem(siren) or key != (12 + 3 * (int(siren) % 97)) % 97:
        return "n° de TVA invalide : clé ou SIREN faux"
    return None


FILE_NAME_MAX_BYTES = 255  # the limit of Linux's file systems (and NTFS's, in characters)


def file_name_problem(value: str) -> str | None:
    """Why a value is not a plain file name (French, for operators), or None when it is one.

    A plain name designates a file inside the folder it is joined to, whatever the platform:
    no separator (`/` or `\\`), not `.` or `..` (nor any name made only of dots), no absolute
    path, no drive letter (`C:`), no control character (NUL, line break…) or lone surrogate
    (bytes that were not UTF-8), not empty, at most 255 bytes in UTF-8.
    """
    if not value.strip():
        return "nom de fichier vide"
    if any(unicodedata.category(char) in ("Cc", "Cs") for char in value):
        return "nom de fichier invalide : caractère de contrôle (NUL, saut de ligne…) ou illisible"
    if value[0] in "/\\":
        return "chemin absolu refusé : un nom de fichier seul est attendu"
    if value[1:2] == ":":
        return "lecteur Windows (ex. C:) refusé : un nom de fichier seul est attendu"
    if "/" in value or "\\" in value:
        return "séparateur de dossier (/ ou \\) refusé : un nom de fichier seul est attendu"
    if not value.strip(". "):
        return "« . » et « .. » désignent un dossier : un nom de fichier est attendu"
    if len(value.encode("utf-8")) > FILE_NAME_MAX_BYTES:
        return f"nom de fichier trop long ({FILE_NAME_MAX_BYTES} octets au plus)"
    return None
