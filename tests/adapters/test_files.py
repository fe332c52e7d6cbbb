"""Opening a file that outside data names: a plain name, resolved inside its folder, symlinks
followed (issue 14)."""

from __future__ import annotations

import os
import pickle

import pytest

from adapters.files import RefusedFile, UnsafePathError, file_in_folder, files_in_folder


@pytest.fixture
def folder(tmp_path):
    """`tmp_path/documents` with one file, and a secret next to it, outside."""
    inside = tmp_path / "documents"
    inside.mkdir()
    (inside / "pec-1.pdf").write_bytes(b"%PDF-1.7 pec")
    (tmp_path / "secret.txt").write_text("outside")
    return inside


def test_a_plain_name_gives_the_path_in_the_folder(folder):
    assert file_in_folder(folder, "pec-1.pdf") == folder / "pec-1.pdf"
    assert file_in_folder(folder, "absent.pdf") == folder / "absent.pdf"  # the caller says "missing"


@pytest.mark.parametrize(("name", "reason"), [
    ("..", "dossier"), ("../secret.txt", "séparateur"), ("/etc/passwd", "chemin absolu"),
    ("C:\\secret.txt", "lecteur"),
    ("pec\x00.pdf", "contrôle"), ("", "vide"),
])
def test_a_name_that_is_a_path_is_refused(folder, name, reason):
    with pytest.raises(UnsafePathError, match=reason) as refused:
        file_in_folder(folder, name)
    assert "refusé" in str(refused.value) and "\x00" not in str(refused.value)


def test_a_symlink_leading_outside_is_refused(folder, tmp_path):
    (folder / "pec-2.pdf").symlink_to(tmp_path / "secret.txt")
    (folder / "etc").symlink_to("/etc/passwd")
    (folder / "dangling.pdf").symlink_to(tmp_path / "gone.pdf")
    (folder / "up").symlink_to("..")

    for name in ("pec-2.pdf", "etc", "dangling.pdf", "up"):
        with pytest.raises(UnsafePathError, match="hors du dossier"):
            file_in_folder(folder, name)


def test_a_symlink_leading_inside_is_accepted(folder):
    (folder / "sub").mkdir()
    (folder / "sub" / "pec-3.pdf").write_bytes(b"%PDF-1.7 three")
    (folder / "current.pdf").symlink_to("pec-1.pdf")
    (folder / "three.pdf").symlink_to(folder / "sub" / "pec-3.pdf")

    assert file_in_folder(folder, "current.pdf").read_bytes() == b"%PDF-1.7 pec"
    assert file_in_folder(folder, "three.pdf").read_bytes() == b"%PDF-1.7 three"


def test_a_folder_reached_through_a_symlink_works(folder, tmp_path):
    (tmp_path / "link").symlink_to(folder)
    assert file_in_folder(tmp_path / "link", "pec-1.pdf").read_bytes() == b"%PDF-1.7 pec"


def test_a_symlink_loop_is_refused(folder):
    (folder / "a").symlink_to("b")
    (folder / "b").symlink_to("a")
    with pytest.raises(UnsafePathError):
        file_in_folder(folder, "a")


def test_the_error_survives_pickling(folder):
    with pytest.raises(UnsafePathError) as refused:
        file_in_folder(folder, "../x")
    copy = pickle.loads(pickle.dumps(refused.value))
    assert (str(copy), copy.name, copy.reason) == (str(refused.value), "../x", refused.value.reason)


def test_listing_keeps_regular_files_sorted_and_reports_what_it_refuses(folder, tmp_path):
    (folder / "b.csv").write_text("b")
    (folder / "a.csv").write_text("a")
    (folder / ".a.csv.tmp").write_text("being written")
    (folder / ".hidden").symlink_to(tmp_path / "secret.txt")  # hidden: skipped, never read
    (folder / "sub").mkdir()
    (folder / "link-in.csv").symlink_to("a.csv")
    (folder / "link-out.csv").symlink_to(tmp_path / "secret.txt")
    (folder / "broken.csv").symlink_to("gone.csv")
    (folder / "line\nbreak.csv").write_text("x")
    os.mkfifo(folder / "pipe.csv")

    listing = files_in_folder(folder)

    assert [p.name for p in listing.files] == ["a.csv", "b.csv", "link-in.csv", "pec-1.pdf"]
    assert all(p.parent == folder for p in listing.files)
    refused = {r.name: r.reason for r in listing.refused}
    assert sorted(refused) == ["broken.csv", "line\\nbreak.csv", "link-out.csv", "pipe.csv"]
    assert "hors du dossier" in refused["link-out.csv"]
    assert "cassé" in refused["broken.csv"]
    assert "contrôle" in refused["line\\nbreak.csv"]
    assert "ni un fichier" in refused["pipe.csv"]
    assert str(RefusedFile("x.csv", "raison")) == "x.csv : raison"


def test_listing_a_missing_folder_gives_nothing(tmp_path):
    listing = files_in_folder(tmp_path / "absent")
    assert (listing.files, listing.refused) == ((), ())
