"""IBANs and e-mail addresses masked in what the UI shows (backoffice/masking.py)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from backoffice.masking import mask_email, mask_iban, mask_text, mask_value

IBAN = "FR7630006000011234567890189"


def test_an_iban_keeps_its_country_check_digits_and_last_four_characters():
    assert mask_iban(IBAN) == "FR76 **** **** **** **** ***0 189"
    assert mask_iban("FR76 3000 6000 0112 3456 7890 189") == mask_iban(IBAN)
    assert mask_iban("de89370400440532013000") == "DE89 **** **** **** **30 00"
    assert len(mask_iban(IBAN).replace(" ", "")) == len(IBAN)


def test_an_email_keeps_its_first_letter_and_its_domain():
    assert mask_email("jeanne.dupont@acme.fr") == "j***@acme.fr"
    assert mask_email("rh@durand.example") == "r***@durand.example"


def test_text_is_masked_wherever_an_iban_or_an_email_appears():
    text = (f"trainers.csv, ligne 2, colonne « iban » : IBAN invalide (valeur : « {IBAN} ») ; "
            "virement vers FR76 3000 6000 0112 3456 7890 189 ET contact <paul@martin.example>.")
    assert mask_text(text) == (
        "trainers.csv, ligne 2, colonne « iban » : IBAN invalide (valeur : "
        "« FR76 **** **** **** **** ***0 189 ») ; virement vers FR76 **** **** **** **** ***0 "
        "189 ET contact <p***@martin.example>.")


def test_identifiers_that_are_not_personal_data_are_left_alone():
    text = ("Facture FA-2026-000012, dossier AT-2026-012345, SIRET 73282932000074, TVA "
            "FR44732829320, BIC AGRIFRPPXXX, session S-001, run 9ec0f967-0f4a-4b91-9937, "
            "1 234,56 €, le 30 novembre 2026")
    assert mask_text(text) == text


def test_table_cells_are_masked_and_other_values_kept():
    row = {"payeur": "Durand & Fils", "IBAN": IBAN, "montant": Decimal("12.30"),
           "date": date(2026, 11, 30), "destinataires": ["rh@durand.example", "x"], "n": 3}
    assert mask_value(row) == {
        "payeur": "Durand & Fils", "IBAN": "FR76 **** **** **** **** ***0 189",
        "montant": Decimal("12.30"), "date": date(2026, 11, 30),
        "destinataires": ["r***@durand.example", "x"], "n": 3}


@given(st.text())
def test_masking_is_idempotent(text):
    assert mask_text(mask_text(text)) == mask_text(text)


@given(st.from_regex(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}", fullmatch=True),
       st.sampled_from(["", "IBAN ", "« ", "compte: "]), st.sampled_from(["", ".", " »", " ok"]))
def test_no_iban_survives_in_text(iban, before, after):
    masked = mask_text(f"{before}{iban}{after}")
    assert iban not in masked and iban[-4:] in masked.replace(" ", "")


def test_a_row_error_never_shows_an_iban_or_an_address_in_clear():
    from backoffice.export_format import RowError

    error = RowError("releve.xml", 3, "Stmt/Acct/Id/IBAN", "FR7630006000011234567890189",
                     "relevé d'un autre compte que FR7610107001011234567890129, voir a.b@c.fr")

    text = str(error)

    assert "FR7630006000011234567890189" not in text and "FR76 **** " in text
    assert "FR7610107001011234567890129" not in text and "a***@c.fr" in text
