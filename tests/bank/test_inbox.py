"""The bank inbox: only its own regular files are read; a symlink leading out of it, a dot-file
or a FIFO never is (issue 14)."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from adapters.files import files_in_folder
from adapters.models import BankLine, StatementFile
from services.statements import import_statement_files

SAMPLES = Path(__file__).parent / "samples"
NOW = datetime(2027, 1, 5, 3, 30, tzinfo=UTC)
OWN = {"FR7630006000011234567890189"}


def inbox_with(tmp_path: Path) -> Path:
    """An inbox holding one real statement; another real statement lies outside it."""
    inbox = tmp_path / "inbox" / "bank"
    inbox.mkdir(parents=True)
    shutil.copy(SAMPLES / "societe_generale.csv", inbox / "sg.csv")
    (tmp_path / "elsewhere").mkdir()
    shutil.copy(SAMPLES / "bnp_paribas.csv", tmp_path / "elsewhere" / "bnp.csv")
    return inbox


def count(engine, model) -> int:
    with engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(model))


def test_the_listing_refuses_a_symlink_out_of_the_inbox_and_skips_dot_files(tmp_path):
    inbox = inbox_with(tmp_path)
    (inbox / "bnp.csv").symlink_to(tmp_path / "elsewhere" / "bnp.csv")
    (inbox / ".sg.csv.part").write_bytes(b"half a download")
    (inbox / ".DS_Store").write_bytes(b"\x00")
    (inbox / "same-sg.csv").symlink_to("sg.csv")  # inside: read
    os.mkfifo(inbox / "fifo.csv")  # reading it would wait forever

    listing = files_in_folder(inbox)

    assert listing.files == (inbox / "same-sg.csv", inbox / "sg.csv")
    assert [(r.name, "hors du dossier" in r.reason) for r in listing.refused] == [
        ("bnp.csv", True), ("fifo.csv", False)]
    assert str(listing.refused[0]).startswith("bnp.csv : mène hors du dossier")


def test_the_inbox_listing_then_import_reads_only_the_inbox_files(engine, tmp_path):
    inbox = inbox_with(tmp_path)
    (inbox / "bnp.csv").symlink_to(tmp_path / "elsewhere" / "bnp.csv")

    listing = files_in_folder(inbox)
    outcomes = import_statement_files(engine, list(listing.files), archive_dir=tmp_path / "archive",
                                      rejected_dir=tmp_path / "rejected", own_ibans=OWN, now=NOW,
                                      move_files=True)

    assert [(o.name, o.status) for o in outcomes] == [("sg.csv", "imported")]
    assert [r.name for r in listing.refused] == ["bnp.csv"]
    with engine.connect() as connection:
        assert connection.scalars(select(StatementFile.name)).all() == ["sg.csv"]


def test_an_inbox_file_leading_out_is_rejected_unread_even_when_passed_in(engine, tmp_path):
    inbox = inbox_with(tmp_path)
    link = inbox / "bnp.csv"
    link.symlink_to(tmp_path / "elsewhere" / "bnp.csv")

    (outcome,) = import_statement_files(engine, [link], archive_dir=tmp_path / "archive",
                                        rejected_dir=tmp_path / "rejected", own_ibans=OWN,
                                        now=NOW, move_files=True)

    assert outcome.status == "rejected"
    assert "fichier refusé, non lu" in outcome.errors[0] and "hors du dossier" in outcome.errors[0]
    assert count(engine, StatementFile) == count(engine, BankLine) == 0
    assert (tmp_path / "elsewhere" / "bnp.csv").is_file()  # the target is left alone
    moved = tmp_path / "rejected" / "bnp.csv"
    assert moved.is_symlink() and not link.exists()  # the link moved, its target never copied
    assert "non lu" in (tmp_path / "rejected" / "bnp.csv.erreurs.txt").read_text(encoding="utf-8")
