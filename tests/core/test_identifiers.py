import pytest

from backoffice.identifiers import (
    bic_problem,
    iban_problem,
    idcc_problem,
    nda_problem,
    normalize_idcc,
    siren_problem,
    siret_problem,
)


@pytest.mark.parametrize("siret", ["73282932000074", "35600000049837", "44306184100047"])
def test_valid_sirets_pass(siret):
    assert siret_problem(siret) is None


@pytest.mark.parametrize(("siret", "reason"), [
    ("73282932000075", "clé de contrôle"), ("7328293200007", "14 chiffres"),
    ("7328293200007A", "14 chiffres"), ("35600000049838", "clé de contrôle"),
])
def test_invalid_sirets_say_why(siret, reason):
    assert reason in siret_problem(siret)


def test_siren_checksum():
    assert siren_problem("732829320") is None
    assert "clé" in siren_problem("732829321")


@pytest.mark.parametrize("iban", ["FR7630006000011234567890189", "DE89370400440532013000",
                                  "GB82WEST12345698765432"])
def test_valid_ibans_pass(iban):
    assert iban_problem(iban) is None


@pytest.mark.parametrize(("iban", "reason"), [
    ("FR7630006000011234567890188", "clé"), ("FR76300060000112345678901", "27 caractères"),
    ("7630006000011234567890189", "format"),
])
def test_invalid_ibans_say_why(iban, reason):
    assert reason in iban_problem(iban)


def test_nda_is_eleven_digits():
    assert nda_problem("11755555575") is None
    assert nda_problem("1175555557") is not None


def test_idcc_is_up_to_four_digits_and_normalised():
    assert idcc_problem("1486") is None and idcc_problem("16") is None
    assert idcc_problem("14860") is not None and idcc_problem("0") is not None
    assert normalize_idcc("16") == "0016"


def test_bic():
    assert bic_problem("AGRIFRPPXXX") is None and bic_problem("AGRIFRPP") is None
    assert bic_problem("AGRI FRPP") is not None


def test_french_vat_numbers():
    from backoffice.identifiers import french_vat_problem

    assert french_vat_problem("FR44732829320") is None
    assert "clé" in french_vat_problem("FR40732829320")
    assert french_vat_problem("FR4473282932") is not None
