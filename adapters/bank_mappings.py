"""Saved column mappings: a bank without a profile, read with a mapping kept as a data file.

A mapping is `<name>.toml` in the installation's folder (`$BACKOFFICE_DATA_DIR/bank_mappings/`)
or in the project's (`data/bank_mappings/`, versioned with the code); the installation's wins
over the project's of the same name. The name (its file's stem: lower-case letters, digits,
hyphens) is how an operator chooses it: `backoffice import-statements --mapping <name>`, the
`mapping` parameter of the `import-statements` deployment, or an inbox subfolder `<name>/`.

    # data/bank_mappings/exemple-autre-banque.toml
    version = 1                 # raised at each change, kept with the file
    bank = "Autre banque"       # for people
    date_format = "DD/MM/YYYY"  # DD/MM/YYYY (default), DD/MM/YY, DD-MM-YYYY, YYYY-MM-DD
    decimal = ","               # "," (default) or "."

    [columns]                   # the header's names as written, or column numbers without header
    date = "Date"
    label = ["Libellé", "Détail"]
    amount = "Montant"
    currency = "Devise"

Without a header: `header = false` and each column by its number from 1 (`date = 1`), with
`skip_lines` (lines above the first operation) and `width` (the number of columns of a row)
when needed. Everything is checked by `backoffice.statements.generic_profile`; a mapping that
cannot work is refused with a French message naming its file.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from adapters.files import UnsafePathError, file_in_folder
from adapters.settings import PROJECT_ROOT
from backoffice.statements import MAPPING_NAME, generic_profile

PROJECT_MAPPINGS = PROJECT_ROOT / "data" / "bank_mappings"
FOLDER = "bank_mappings"  # under the installation's data folder
_OPTIONS = ("header", "width", "skip_lines", "date_format", "decimal", "booked", "not_booked")
_ABOUT = ("version", "bank", "source", "note")


class MappingError(ValueError):
    """A saved mapping that is unknown or cannot work (French message)."""


@dataclass(frozen=True, slots=True)
class SavedMapping:
    name: str
    version: str
    path: Path
    mapping: dict[str, str]  # for `read_statement(mapping=…)`


def mapping_folders(data_dir: Path) -> tuple[Path, ...]:
    """Where mappings are looked up, the installation's first."""
    return (data_dir / FOLDER, PROJECT_MAPPINGS)


def saved_mapping_names(folders: tuple[Path, ...]) -> list[str]:
    """The names of the saved mappings, sorted."""
    return sorted({path.stem for folder in folders if folder.is_dir() for path in folder.glob("*.toml")
                   if MAPPING_NAME.fullmatch(path.stem) and path.is_file()})


def is_mapping_name(name: str, folders: tuple[Path, ...]) -> bool:
    return bool(MAPPING_NAME.fullmatch(name)) and name in saved_mapping_names(folders)


def load_mapping(name: str, folders: tuple[Path, ...]) -> SavedMapping:
    """The saved mapping `name`, checked; MappingError otherwise."""
    known = saved_mapping_names(folders)
    if not MAPPING_NAME.fullmatch(name) or name not in known:
        raise MappingError(f"correspondance « {name} » inconnue ; enregistrées : "
                           + (", ".join(known) or "aucune") + " (fichiers <nom>.toml de "
                           + " ou ".join(str(f) for f in folders) + ")")
    for folder in folders:
        try:
            path = file_in_folder(folder, f"{name}.toml")
        except UnsafePathError as exc:
            raise MappingError(f"correspondance « {name} » : {exc}") from exc
        if path.is_file():
            return _read(name, path)
    raise MappingError(f"correspondance « {name} » introuvable")  # pragma: no cover - listed above


def _read(name: str, path: Path) -> SavedMapping:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise MappingError(f"{path} : fichier TOML illisible ({exc})") from exc
    unknown = set(data) - {"columns", *_OPTIONS, *_ABOUT}
    columns = data.get("columns")
    if unknown or not isinstance(columns, dict):
        raise MappingError(f"{path} : " + (f"clé(s) inconnue(s) : {', '.join(sorted(unknown))}" if unknown
                                           else "section [columns] absente"))
    mapping = {"name": name}
    for key in _OPTIONS:
        if key in data:
            mapping[key] = _text(path, key, data[key])
    for role, value in columns.items():
        if isinstance(value, list):
            mapping[role] = " + ".join(_text(path, f"columns.{role}", part) for part in value)
        else:
            mapping[role] = _text(path, f"columns.{role}", value)
    try:
        generic_profile(mapping)
    except ValueError as exc:
        raise MappingError(f"{path} : {exc}") from exc
    return SavedMapping(name, str(data.get("version", "")), path, mapping)


def _text(path: Path, key: str, value: object) -> str:
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, (str, int)):
        return str(value)
    if isinstance(value, list) and key in ("booked", "not_booked"):
        return "|".join(_text(path, key, part) for part in value)
    raise MappingError(f"{path} : « {key} » : texte ou nombre attendu")
