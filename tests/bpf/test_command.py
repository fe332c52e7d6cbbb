"""`backoffice bpf --year YYYY [--out DIR]`: the draft's files, then what is missing; no Prefect."""

from __future__ import annotations

from ops.cli import WITHOUT_PREFECT, main


def test_the_command_writes_the_draft_without_prefect(data_dirs, capsys):
    assert "bpf" in WITHOUT_PREFECT

    assert main(["bpf", "--year", "2026"]) == 0  # an empty database: an empty draft

    folder = data_dirs / "output" / "bpf" / "2026"
    assert sorted(p.name for p in folder.iterdir()) == [
        "bpf-2026.pdf", "cadre-C.csv", "cadre-D.csv", "cadre-E.csv", "cadre-F-1.csv",
        "cadre-F-2.csv", "cadre-F-3.csv", "cadre-F-4.csv", "cadre-G.csv",
        "sessions_incomplete.csv"]
    out = capsys.readouterr().out
    assert "BPF 2026 (brouillon) : produits 0,00\xa0€ HT ; 0 stagiaire(s), 0 h" in out


def test_out_chooses_the_folder(data_dirs, tmp_path):
    assert main(["bpf", "--year", "2027", "--out", str(tmp_path / "ici")]) == 0
    assert (tmp_path / "ici" / "bpf-2027.pdf").is_file()
