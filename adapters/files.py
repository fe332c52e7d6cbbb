"""Files on disk: writing the pipeline's own files whole or not at all, and opening a file that
outside data names without ever leaving its folder.

A file name that comes from outside (a PEC's `document` in the platform export, an entry of an
inbox folder, a file of the export folder) is a name, never a path. `file_in_folder` is the one
way to turn such a name into a path: the name must be a plain file name
(`backoffice.identifiers.file_name_problem`), and the path, symlinks followed, must resolve inside
the folder; otherwise `UnsafePathError` (French message), and nothing is opened. `files_in_folder`
lists an inbox the same way, reporting what it refuses instead of raising, so that one bad entry
never stops a run.

The check is made just before the file is opened: the pipeline's folders are written by the
platform and the bank exports, not by someone racing the pipeline between the two.
"""

from __future__ import annotations

import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from backoffice.identifiers import file_name_problem


def write_atomically(path: Path, data: bytes) -> Path:
    """Write `data` to `path` (folders created) through a temporary file in the same folder,
    flushed to disk, then renamed over `path`: a reader or a crash never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.",
                                             suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return path


class UnsafePathError(ValueError):
    """A name from outside data that does not designate a file inside its folder.

    `name` is printable (control characters escaped), `reason` is French; the message says both.
    """

    def __init__(self, name: str, reason: str) -> None:
        self.name = _printable(name)
        self.reason = reason
        super().__init__(f"« {self.name} » refusé : {reason}")

    def __reduce__(self):  # pickled by a task runner: rebuilt from its two parts
        return type(self), (self.name, self.reason)


def file_in_folder(folder: Path, name: str) -> Path:
    """`folder / name`, once `name` is known to be a plain file name whose path, symlinks
    followed, resolves inside `folder` (resolved too); else `UnsafePathError`.

    The file need not exist (the caller says what a missing file means). The path returned is
    the one named, not the resolved one: messages and archives keep the name the operator sees.
    """
    problem = file_name_problem(name)
    if problem:
        raise UnsafePathError(name, problem)
    path = folder / name
    try:
        root = folder.resolve()
        target = path.resolve()
    except (OSError, RuntimeError) as exc:  # a symlink loop (RuntimeError before Python 3.13)
        raise UnsafePathError(name, "chemin impossible à résoudre (boucle de liens "
                                    "symboliques ?)") from exc
    if target == root or not target.is_relative_to(root):
        raise UnsafePathError(name, f"mène hors du dossier {folder} (lien symbolique vers "
                                    f"{target})")
    return path


@dataclass(frozen=True, slots=True)
class RefusedFile:
    """An entry of an inbox that is not read, and why (French)."""

    name: str
    reason: str

    def __str__(self) -> str:
        return f"{self.name} : {self.reason}"


@dataclass(frozen=True, slots=True)
class FolderListing:
    """What an inbox holds: the files to read, and the entries refused with their reason."""

    files: tuple[Path, ...] = ()
    refused: tuple[RefusedFile, ...] = ()


def files_in_folder(folder: Path) -> FolderListing:
    """The regular files of `folder`, sorted by name, each as `file_in_folder` would give it.

    Skipped without a word: entries whose name starts with `.` (hidden files, and the temporary
    files of a copy or of `write_atomically` still being written) and sub-folders. Refused, with
    the reason, and never read: a name that is not a plain file name (a control character, bytes
    that are not UTF-8), a symlink resolving outside the folder (or dangling, or in a loop), and
    anything that is not a regular file once resolved (a FIFO, a socket, a device). A missing
    folder holds nothing. Never raises for one bad entry: the nightly reports the refused ones
    and goes on.
    """
    if not folder.is_dir():
        return FolderListing()
    files: list[Path] = []
    refused: list[RefusedFile] = []
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.name.startswith("."):
            continue
        try:
            path = file_in_folder(folder, entry.name)
        except UnsafePathError as exc:
            refused.append(RefusedFile(exc.name, exc.reason))
            continue
        try:
            mode = path.stat().st_mode  # follows symlinks: what would be read
        except OSError as exc:
            refused.append(RefusedFile(entry.name, _unreadable(exc)))
            continue
        if stat.S_ISREG(mode):
            files.append(path)
        elif not stat.S_ISDIR(mode):
            refused.append(RefusedFile(entry.name, "ni un fichier ni un dossier (tube, socket ou "
                                                   "périphérique) : pas lu"))
    return FolderListing(tuple(files), tuple(refused))


def _unreadable(exc: OSError) -> str:
    if isinstance(exc, FileNotFoundError):
        return "lien symbolique cassé : fichier introuvable"
    return f"illisible ({exc.strerror or exc})"


def _printable(name: str) -> str:
    """A name as a message may show it: control characters and undecodable bytes escaped."""
    return "".join(char if char.isprintable() else ascii(char)[1:-1] for char in name)
