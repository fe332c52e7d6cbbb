"""French and banking identifiers: SIREN, SIRET, VAT number, IBAN and BIC checked by python-stdnum.

stdnum is pure computation (Luhn, ISO 7064 mod 97, La Poste's SIRET rule, the IBAN registry's
country formats bundled with it); its online checks are never called. Its own exceptions tell a
malformed number (`InvalidFormat`, `InvalidLength`) from one whose check digits are wrong
(`InvalidChecksum`, `InvalidComponent`), which gives the French reasons below. stdnum would first
clean a number (drop spaces, dots, dashes; map full-width digits): the values here are stored as
written, so one it would have to clean is refused as malformed. The NDA, the IDCC and the e-mail
address have no stdnum module: their checks are the few lines below, with the reserved e-mail
domains (RFC 2606, RFC 6761: `.example`, `.test`…), where no mailbox is ever found.

Also the one rule for a file name that comes from outside data (a PEC's `document` in the
platform export, an entry of an inbox folder): it must be a plain name, never a path
(`file_name_problem`). The adapters check it again, with the file system, before opening
anything (`adapters/files.py`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, ValidationError
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret
from stdnum.fr import tva as stdnum_tva


def _stdnum_error(compact: Callable[[str], str], validate: Callable[[str], object],
                  value: str) -> ValidationError | None:
    """What stdnum finds wrong with `value`, or None when it is valid as written."""
    try:
        if compact(value) != value:  # spaces, dots, dashes, exotic digits: not as stored
            raise InvalidFormat()
        validate(value)
    except ValidationError as error:
        return error
    return None


def _wrong_key(error: ValidationError) -> bool:
    """True when the number is well formed but its check digits (or a part of it) are wrong."""
    return isinstance(error, InvalidChecksum | InvalidComponent)


def siren_problem(value: str) -> str | None:
    """Why a SIREN is invalid (French, for operators), or None when it is valid (Luhn)."""
    error = _stdnum_error(stdnum_siren.compact, stdnum_siren.validate, value)
    if error is None:
        return None
    if _wrong_key(error):
        return "SIREN invalide : clé de contrôle (Luhn) fausse"
    return "SIREN invalide : 9 chiffres attendus"


def siret_problem(value: str) -> str | None:
    """Why a SIRET is invalid, or None: Luhn on the 14 digits and on the SIREN; La Poste's
    establishments (SIREN 356000000, the head office 35600000000048 aside) have digits summing
    to a multiple of 5 instead (stdnum.fr.siret)."""
    error = _stdnum_error(stdnum_siret.compact, stdnum_siret.validate, value)
    if error is None:
        return None
    if _wrong_key(error):
        return "SIRET invalide : clé de contrôle (Luhn) fausse"
    return "SIRET invalide : 14 chiffres attendus"


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


def _iban_valid(iban: str) -> str:
    # The national check digits stdnum knows for a few countries (BE, ES, NO, ME) are not
    # asked for: Belgium's goes with a table of bank codes, and a bank missing from it would
    # refuse a right IBAN.
    return stdnum_iban.validate(iban, check_country=False)


def iban_problem(value: str) -> str | None:
    """ISO 13616 (stdnum.iban): the country's length and BBAN format from the IBAN registry, and
    the check digits by mod 97. Spaces are ignored, case too (`normalize_iban`)."""
    iban = normalize_iban(value)
    # first the two distinctions operators are told about: the shape, a French IBAN's length
    if not re.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}", iban):
        return "IBAN invalide : format (2 lettres, 2 chiffres, puis 11 à 30 caractères)"
    if iban.startswith("FR") and len(iban) != 27:
        return "IBAN invalide : un IBAN français a 27 caractères"
    error = _stdnum_error(stdnum_iban.compact, _iban_valid, iban)
    if error is None:
        return None
    if isinstance(error, InvalidChecksum):
        return "IBAN invalide : clé de contrôle fausse"
    if isinstance(error, InvalidComponent):
        return f"IBAN invalide : pays {iban[:2]} inconnu du registre des IBAN"
    return f"IBAN invalide : longueur ou format du compte faux pour le pays {iban[:2]}"


def bic_problem(value: str) -> str | None:
    """ISO 9362 (stdnum.bic): 4 letters, a known country code, 2 letters or digits, and an
    optional branch of 3; surrounding spaces and case are ignored, inner ones are not."""
    bic = value.strip().upper()
    error = _stdnum_error(stdnum_bic.compact, stdnum_bic.validate, bic)
    if error is None:
        return None
    if isinstance(error, InvalidComponent):
        return f"BIC invalide : code pays {bic[4:6]} inconnu"
    return "BIC invalide : 8 ou 11 caractères attendus"


def email_problem(value: str) -> str | None:
    """A deliberately simple check: one @, a dot in the domain, no spaces."""
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", value):
        return "adresse e-mail invalide"
    return None


# Names that never receive mail: the top-level domains of RFC 2606 §2 / RFC 6761 §6 and the
# second-level names of RFC 2606 §3 (example.com answers mail with a null MX, RFC 7505).
RESERVED_TOP_LEVEL_DOMAINS = frozenset({"example", "test", "invalid", "localhost"})
RESERVED_DOMAINS = frozenset({"example.com", "example.net", "example.org"})


def reserved_domain(address: str) -> str | None:
    """The reserved domain (RFC 2606, RFC 6761) ``address`` is on, ``None`` for a real one.

    ``"facturation@opco.example"`` → ``".example"``; ``"x@example.org"`` → ``"example.org"``.
    """
    domain = address.rpartition("@")[2].strip().rstrip(".").lower()
    labels = domain.split(".")
    if labels[-1] in RESERVED_TOP_LEVEL_DOMAINS:
        return f".{labels[-1]}"
    second_level = ".".join(labels[-2:])
    return second_level if second_level in RESERVED_DOMAINS else None


def _vat_compact(vat: str) -> str:
    return "FR" + stdnum_tva.compact(vat)  # stdnum's compact form drops the country prefix


def french_vat_problem(value: str) -> str | None:
    """FR + a 2-character key + the SIREN (stdnum.fr.tva): a numeric key is
    (12 + 3 × (SIREN mod 97)) mod 97; the rarer letter keys and Monaco's numbers are stdnum's."""
    vat = value.replace(" ", "").upper()
    if not vat.startswith("FR"):
        return "n° de TVA invalide : FR suivi de 11 chiffres attendu"
    error = _stdnum_error(_vat_compact, stdnum_tva.validate, vat)
    if error is None:
        return None
    if _wrong_key(error):
        return "n° de TVA invalide : clé ou SIREN faux"
    return "n° de TVA invalide : FR suivi de 11 chiffres attendu"


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
