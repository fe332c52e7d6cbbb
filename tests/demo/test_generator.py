"""The demo generator writes a deterministic, valid platform export that carries its traps."""

import csv
import re
import subprocess
import sys
import unicodedata
from collections import Counter, defaultdict
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from demo import generator

ROOT = Path(__file__).resolve().parents[2]
AS_OF = generator.DEMO_AS_OF
CONTRACT_COLUMNS = {  # docs/platform-export.md, written out again on purpose
    "trainers.csv": "trainer_ref first_name last_name email siret nda iban bic vat_regime "
                    "self_billing address postcode city",
    "clients.csv": "client_ref name siret address postcode city idcc headcount contact_name "
                   "contact_email opco",
    "programmes.csv": "programme_ref title objectives content prerequisites audience methods "
                      "evaluation accessibility duration_hours objective nsf_code",
    "sessions.csv": "session_ref programme_ref trainer_ref client_ref start_date end_date "
                    "hours_per_trainee modality location price_ht trainer_fee_ht funding "
                    "validated_at cancelled_at",
    "slots.csv": "session_ref date start end",
    "trainees.csv": "session_ref trainee_ref first_name last_name email job_title bpf_status",
    "pecs.csv": "pec_ref session_ref opco dossier_number client_siret title start_date end_date "
                "hours amount_granted_ht subrogation trainees received_at document",
    "attendance.csv": "session_ref trainee_ref date half_day status minutes trainee_signed_at "
                      "trainer_signed_at signature_method login_at logout_at",
    "completions.csv": "session_ref declared_at",
    "trainer_invoices.csv": "session_ref trainer_ref number amount_ht vat amount_ttc received_at",
}
MONEY_COLUMNS = {
    "sessions.csv": ("price_ht", "trainer_fee_ht"),
    "pecs.csv": ("amount_granted_ht",),
    "trainer_invoices.csv": ("amount_ht", "vat", "amount_ttc"),
}
EXPECTED_TRAPS = {
    "pec_missing_soon", "pec_missing_started", "pec_late", "pec_partial", "pec_wrong_session",
    "pec_no_session_ref", "pec_fewer_hours", "pec_fuzzy_names", "pec_wrong_opco",
    "not_declared", "trainer_invoice_mismatch", "cancelled", "draft",
}
OPCO_FUNDED = ("opco_subrogation", "opco_reimbursement")


# --- helpers -------------------------------------------------------------------------------

def luhn_ok(number: str) -> bool:
    digits = [int(c) for c in reversed(number)]
    total = sum(digits[0::2]) + sum(sum(divmod(2 * d, 10)) for d in digits[1::2])
    return total % 10 == 0


def iban_ok(iban: str) -> bool:
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()


def read(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


class Export:
    """The default demo, read back from its CSV files."""

    def __init__(self, folder: Path, counts: dict[str, int]) -> None:
        self.folder, self.counts = folder, counts
        self.rows = {name: read(folder, name) for name in CONTRACT_COLUMNS}
        self.sessions = {s["session_ref"]: s for s in self.rows["sessions.csv"]}
        self.clients = {c["client_ref"]: c for c in self.rows["clients.csv"]}
        self.trainers = {t["trainer_ref"]: t for t in self.rows["trainers.csv"]}
        self.traps = generator.DEMO_TRAPS

    def trapped(self, trap: str) -> list[dict[str, str]]:
        sessions = [self.sessions[ref] for ref, code in self.traps.items() if code == trap]
        assert sessions, f"no session carries the trap {trap}"
        return sessions

    def pecs_by_ref(self, session_ref: str) -> list[dict[str, str]]:
        return [p for p in self.rows["pecs.csv"] if p["session_ref"] == session_ref]

    def pecs_matching_data(self, session: dict[str, str]) -> list[dict[str, str]]:
        siret = self.clients[session["client_ref"]]["siret"]
        return [p for p in self.rows["pecs.csv"] if p["client_siret"] == siret
                and (p["start_date"], p["end_date"]) == (session["start_date"], session["end_date"])]

    def client_opco(self, session: dict[str, str]) -> str:
        client = self.clients[session["client_ref"]]
        return client["opco"] or generator.IDCC_OPCO[client["idcc"]]

    def finished(self) -> list[dict[str, str]]:
        return [s for s in self.sessions.values() if s["validated_at"] and not s["cancelled_at"]
                and date.fromisoformat(s["end_date"]) < AS_OF]


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Export:
    folder = tmp_path_factory.mktemp("export")
    return Export(folder, generator.write_demo_export(folder))


def files_of(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


# --- determinism and format ----------------------------------------------------------------

def test_same_seed_gives_byte_identical_files_and_another_seed_differs(tmp_path: Path) -> None:
    for name, seed in (("a", 2026), ("b", 2026), ("c", 7)):
        generator.write_demo_export(tmp_path / name, seed=seed)
    first, again, other = (files_of(tmp_path / name) for name in "abc")
    assert first == again
    assert first["sessions.csv"] != other["sessions.csv"]
    assert first["trainers.csv"] != other["trainers.csv"]


def test_each_file_has_exactly_the_contract_columns_and_counts_match(export: Export) -> None:
    for name, columns in CONTRACT_COLUMNS.items():
        raw = (export.folder / name).read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf") and b"\r\n" not in raw
        assert raw.decode("utf-8").split("\n", 1)[0].split(",") == columns.split()
        assert export.counts[name] == len(export.rows[name])


def test_counts_reach_the_floors(export: Export) -> None:
    sessions = export.sessions.values()
    assert len(export.sessions) >= 40
    assert len(export.trainers) == 15 and len(export.clients) == 20
    assert 8 <= len(export.rows["programmes.csv"]) <= 10
    opcos = Counter(c["opco"] for c in export.clients.values() if c["opco"])
    assert len(opcos) >= 4 and opcos.most_common(1)[0][0] == "ATLAS"
    assert any(not c["opco"] for c in export.clients.values())
    assert {s["funding"] for s in sessions} == set(generator.FUNDINGS)
    assert Counter(s["funding"] for s in sessions).most_common(1)[0][0] == "opco_subrogation"
    assert {s["modality"] for s in sessions} == set(generator.MODALITIES)
    assert 1 <= sum(bool(s["cancelled_at"]) for s in sessions) <= 2
    assert 2 <= sum(not s["validated_at"] for s in sessions) <= 3
    per_session = Counter(t["session_ref"] for t in export.rows["trainees.csv"])
    assert set(per_session) == set(export.sessions) and max(per_session.values()) <= 6


def test_sirets_pass_luhn_and_ibans_pass_mod_97(export: Export) -> None:
    sirets = [r["siret"] for r in [*export.trainers.values(), *export.clients.values()]]
    assert len(set(sirets)) == len(sirets)
    assert all(re.fullmatch(r"\d{14}", s) and luhn_ok(s) for s in sirets)
    for trainer in export.trainers.values():
        assert re.fullmatch(r"FR\d{25}", trainer["iban"]) and iban_ok(trainer["iban"])
        assert trainer["nda"] == "" or re.fullmatch(r"\d{11}", trainer["nda"])
        assert trainer["vat_regime"] in ("franchise", "exempt", "vat")


def test_money_has_two_decimals_and_invoices_add_up(export: Export) -> None:
    for name, columns in MONEY_COLUMNS.items():
        for row in export.rows[name]:
            assert all(re.fullmatch(r"\d+\.\d\d", row[c]) for c in columns), row
    for invoice in export.rows["trainer_invoices.csv"]:
        ht, vat, ttc = (Decimal(invoice[c]) for c in ("amount_ht", "vat", "amount_ttc"))
        assert ttc == ht + vat
        rate = Decimal("0.20") if export.trainers[invoice["trainer_ref"]]["vat_regime"] == "vat" else 0
        assert vat == (ht * rate).quantize(Decimal("0.01"))
        assert export.trainers[invoice["trainer_ref"]]["self_billing"] == "no"
    for s in export.sessions.values():
        assert Decimal("0.55") <= Decimal(s["trainer_fee_ht"]) / Decimal(s["price_ht"]) <= Decimal("0.70")


def test_references_resolve(export: Export) -> None:
    programmes = {p["programme_ref"] for p in export.rows["programmes.csv"]}
    for s in export.sessions.values():
        assert s["programme_ref"] in programmes
        assert s["trainer_ref"] in export.trainers and s["client_ref"] in export.clients
    trainees = {(t["session_ref"], t["trainee_ref"]) for t in export.rows["trainees.csv"]}
    assert len(trainees) == len(export.rows["trainees.csv"])
    for name in ("slots.csv", "trainees.csv", "attendance.csv", "completions.csv",
                 "trainer_invoices.csv"):
        assert all(r["session_ref"] in export.sessions for r in export.rows[name]), name
    assert all((a["session_ref"], a["trainee_ref"]) in trainees
               for a in export.rows["attendance.csv"])
    for pec in export.rows["pecs.csv"]:
        assert pec["session_ref"] == "" or pec["session_ref"] in export.sessions
        assert pec["opco"] in generator.OPCO_CODES
        if pec["document"]:
            assert (export.folder / "documents" / pec["document"]).read_bytes().startswith(b"%PDF-")


def test_approval_documents_are_readable_pdfs(export: Export) -> None:
    pypdf = pytest.importorskip("pypdf")
    pecs = [p for p in export.rows["pecs.csv"] if p["document"]]
    assert len(pecs) >= len(export.rows["pecs.csv"]) // 2
    for pec in pecs[:5]:
        reader = pypdf.PdfReader(export.folder / "documents" / pec["document"], strict=True)
        text = reader.pages[0].extract_text()
        assert pec["dossier_number"] in text and pec["amount_granted_ht"] in text


def test_slots_are_weekday_half_days_summing_to_the_hours(export: Export) -> None:
    slots = defaultdict(list)
    for slot in export.rows["slots.csv"]:
        assert (slot["start"], slot["end"]) in (("09:00", "12:30"), ("13:30", "17:00"))
        assert date.fromisoformat(slot["date"]).weekday() < 5
        slots[slot["session_ref"]].append(slot["date"])
    for ref, s in export.sessions.items():
        assert Decimal("3.5") * len(slots[ref]) == Decimal(s["hours_per_trainee"])
        assert (min(slots[ref]), max(slots[ref])) == (s["start_date"], s["end_date"])


def test_datetimes_carry_an_offset_and_follow_the_story(export: Export) -> None:
    for s in export.sessions.values():
        if s["validated_at"]:
            validated = datetime.fromisoformat(s["validated_at"])
            assert validated.tzinfo is not None and validated.date() < AS_OF
            assert validated.date() < date.fromisoformat(s["start_date"])
            if s["cancelled_at"]:
                assert datetime.fromisoformat(s["cancelled_at"]) > validated
        else:
            assert not s["cancelled_at"]
    for pec in export.rows["pecs.csv"]:
        received = datetime.fromisoformat(pec["received_at"])
        assert received.tzinfo is not None and received.date() < AS_OF
    for row in export.rows["completions.csv"]:
        declared = datetime.fromisoformat(row["declared_at"])
        assert declared.date() == date.fromisoformat(export.sessions[row["session_ref"]]["end_date"])


def test_finished_sessions_have_attendance_with_some_absences(export: Export) -> None:
    attendance = Counter(a["session_ref"] for a in export.rows["attendance.csv"])
    slots = Counter(s["session_ref"] for s in export.rows["slots.csv"])
    trainees = Counter(t["session_ref"] for t in export.rows["trainees.csv"])
    finished = {s["session_ref"] for s in export.finished()}
    assert set(attendance) == finished
    assert all(attendance[ref] == slots[ref] * trainees[ref] for ref in finished)
    statuses = Counter(a["status"] for a in export.rows["attendance.csv"])
    assert statuses["absent"] >= 3 and statuses["present"] > 10 * statuses["absent"]
    partial = [a for a in export.rows["attendance.csv"] if a["minutes"]]
    assert len(partial) >= 2 and all(0 < int(a["minutes"]) < 210 for a in partial)
    declared = {c["session_ref"] for c in export.rows["completions.csv"]}
    assert finished - declared == {s["session_ref"] for s in export.trapped("not_declared")}


def test_attendance_carries_evidence_with_two_gaps(export: Export) -> None:
    """Issue #17: signatures on every half-day, connection logs at a distance, and two present
    half-days without any evidence (to be listed for review, not billed to an OPCO)."""
    rows = export.rows["attendance.csv"]
    modality = {s["session_ref"]: s["modality"] for s in export.rows["sessions.csv"]}
    present = [a for a in rows if a["status"] == "present"]
    gaps = [a for a in present if not a["trainee_signed_at"] and not a["login_at"]]
    assert len(gaps) == 2 and len({a["session_ref"] for a in gaps}) == 2
    signed = [a for a in present if a not in gaps]
    assert all(a["trainer_signed_at"] and a["signature_method"] in ("electronic", "paper")
               for a in signed)
    assert {a["signature_method"] for a in signed} == {"electronic", "paper"}
    distance = [a for a in signed if modality[a["session_ref"]] == "distanciel"]
    assert distance and all(a["login_at"] < a["logout_at"] for a in distance)
    assert all(not a["trainee_signed_at"] and not a["login_at"]
               for a in rows if a["status"] == "absent")


# --- traps ---------------------------------------------------------------------------------

def test_every_trap_is_listed_once_per_session(export: Export) -> None:
    assert set(export.traps.values()) == EXPECTED_TRAPS
    assert generator.demo_traps() == export.traps


def test_pec_missing_before_and_after_the_start(export: Export) -> None:
    for trap, in_future in (("pec_missing_soon", True), ("pec_missing_started", False)):
        for s in export.trapped(trap):
            days = (date.fromisoformat(s["start_date"]) - AS_OF).days
            assert (0 < days <= 15) if in_future else days < 0
            assert s["funding"] in OPCO_FUNDED and s["validated_at"] and not s["cancelled_at"]
            assert not export.pecs_by_ref(s["session_ref"])
            assert not export.pecs_matching_data(s)


def test_other_opco_sessions_due_soon_have_their_pec(export: Export) -> None:
    for ref, s in export.sessions.items():
        due = (date.fromisoformat(s["start_date"]) - AS_OF).days <= 15
        if due and s["funding"] in OPCO_FUNDED and s["validated_at"] and not s["cancelled_at"]:
            assert export.pecs_matching_data(s) or ref in export.traps, ref


def test_pec_late_partial_fewer_hours_and_wrong_opco(export: Export) -> None:
    [late] = export.pecs_by_ref(export.trapped("pec_late")[0]["session_ref"])
    assert datetime.fromisoformat(late["received_at"]).date() > date.fromisoformat(late["start_date"])
    s = export.trapped("pec_partial")[0]
    [partial] = export.pecs_by_ref(s["session_ref"])
    assert Decimal(partial["amount_granted_ht"]) < Decimal(s["price_ht"])
    s = export.trapped("pec_fewer_hours")[0]
    [short] = export.pecs_by_ref(s["session_ref"])
    assert Decimal(short["hours"]) < Decimal(s["hours_per_trainee"])
    s = export.trapped("pec_wrong_opco")[0]
    [foreign] = export.pecs_by_ref(s["session_ref"])
    assert foreign["opco"] != export.client_opco(s)
    assert export.clients[s["client_ref"]]["opco"]  # declared, not only derived


def test_pec_attached_to_another_session_of_the_same_client(export: Export) -> None:
    s = export.trapped("pec_wrong_session")[0]
    [pec] = export.pecs_matching_data(s)
    other = export.sessions[pec["session_ref"]]
    assert other["session_ref"] != s["session_ref"] and other["client_ref"] == s["client_ref"]
    assert pec["hours"] == s["hours_per_trainee"] != "" and not export.pecs_by_ref(s["session_ref"])


def test_pec_without_session_ref_matches_its_session_by_data(export: Export) -> None:
    s = export.trapped("pec_no_session_ref")[0]
    [pec] = export.pecs_matching_data(s)
    assert pec["session_ref"] == "" and pec["amount_granted_ht"] == s["price_ht"]


def test_pec_names_differ_only_by_accents_and_case(export: Export) -> None:
    s = export.trapped("pec_fuzzy_names")[0]
    [pec] = export.pecs_by_ref(s["session_ref"])
    names = [f"{t['first_name']} {t['last_name']}" for t in export.rows["trainees.csv"]
             if t["session_ref"] == s["session_ref"]]
    assert pec["trainees"] != ";".join(names)
    assert [fold(n) for n in pec["trainees"].split(";")] == [fold(n) for n in names]


def test_ordinary_pecs_match_their_session(export: Export) -> None:
    for s in export.sessions.values():
        pecs = export.pecs_matching_data(s)
        if s["session_ref"] in export.traps or not pecs:
            continue
        [pec] = pecs
        assert pec["session_ref"] == s["session_ref"] and pec["title"]
        assert pec["hours"] == s["hours_per_trainee"] and pec["opco"] == export.client_opco(s)
        assert pec["amount_granted_ht"] == s["price_ht"]
        assert pec["subrogation"] == ("yes" if s["funding"] == "opco_subrogation" else "no")
        assert datetime.fromisoformat(pec["received_at"]).date() < date.fromisoformat(s["start_date"])


def test_one_trainer_invoice_differs_from_the_fee(export: Export) -> None:
    wrong = {i["session_ref"] for i in export.rows["trainer_invoices.csv"]
             if i["amount_ht"] != export.sessions[i["session_ref"]]["trainer_fee_ht"]}
    assert wrong == {s["session_ref"] for s in export.trapped("trainer_invoice_mismatch")}


def test_cancelled_and_draft_sessions_have_no_pec_nor_attendance(export: Export) -> None:
    attended = {a["session_ref"] for a in export.rows["attendance.csv"]}
    for s in export.trapped("cancelled") + export.trapped("draft"):
        assert not export.pecs_by_ref(s["session_ref"]) and s["session_ref"] not in attended
    assert all(s["cancelled_at"] for s in export.trapped("cancelled"))
    assert all(not s["validated_at"] for s in export.trapped("draft"))


# --- command line --------------------------------------------------------------------------

def test_command_line_writes_the_export(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "demo.generator", str(tmp_path / "out"), "--seed", "7"],
        cwd=ROOT, capture_output=True, text=True, check=False, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "sessions.csv" in result.stdout
    assert {p.name for p in (tmp_path / "out").glob("*.csv")} == set(CONTRACT_COLUMNS)
    assert any((tmp_path / "out" / "documents").iterdir())
