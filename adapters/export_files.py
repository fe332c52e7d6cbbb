"""Reading the platform export's CSV files: bytes → header and rows, each with its line number.

The caller opens only paths checked by `adapters.files.file_in_folder`. The start of a line
quoted in an encoding error is masked (`masking.mask_text`): it may hold an e-mail or an IBAN.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from backoffice.export_format import RowError
from backoffice.masking import mask_text


@dataclass(frozen=True, slots=True)
class CsvTable:
    """One CSV file as text cells; `rows` pairs each record with the line where it starts."""

    name: str
    sha256: str
    header: list[str]
    rows: list[tuple[int, list[str]]]


def read_csv_table(path: Path) -> CsvTable | RowError:
    """The file's header and rows, or the one error that makes it unreadable as a whole."""
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return _encoding_error(path.name, data, exc)
    if "\x00" in content:
        return RowError(path.name, 1, "", "", "fichier binaire ou corrompu (octet nul)")
    reader = csv.reader(io.StringIO(content, newline=""), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            return RowError(path.name, 1, "", "", "fichier vide : une ligne d'en-tête est attendue")
        rows: list[tuple[int, list[str]]] = []
        next_line = reader.line_num + 1
        for cells in reader:
            if any(cell.strip() for cell in cells):  # blank lines carry nothing
                rows.append((next_line, cells))
            next_line = reader.line_num + 1
    except csv.Error as exc:
        return RowError(path.name, reader.line_num, "", "", f"CSV mal formé ({exc})")
    return CsvTable(path.name, digest, header, rows)


def _encoding_error(name: str, data: bytes, exc: UnicodeDecodeError) -> RowError:
    before = data[: exc.start]
    line = before.count(b"\n") + 1
    line_start = before.rfind(b"\n") + 1
    column_number = len(before[line_start:].decode("utf-8", errors="replace")) + 1
    header_end = data.find(b"\n")
    column = _column_at(data, line_start, exc.start, header_end)
    bad = data[exc.start : exc.end + 1].hex(" ")
    reason = (f"encodage invalide : le fichier doit être en UTF-8 (octets {bad} au caractère "
              f"{column_number} ; fichier enregistré en Windows-1252/Latin-1 ?)")
    shown = mask_text(data[line_start : exc.end + 8].decode("latin-1"))
    return RowError(name, line, column, shown, reason)


def _column_at(data: bytes, line_start: int, offset: int, header_end: int) -> str:
    """Best effort: the header name of the comma-separated field holding the bad byte."""
    header = data[: header_end if header_end > 0 else len(data)].decode("utf-8", errors="replace")
    names = next(csv.reader([header.lstrip("\ufeff")]), [])
    index = data[line_start:offset].count(b",")
    return names[index].strip() if index < len(names) else ""
