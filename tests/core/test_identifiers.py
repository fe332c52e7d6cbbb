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


# --- where python-stdnum decides differently from the hand-written checks it replaced ----------

def test_la_postes_head_office_siret_is_valid_by_luhn():
    # La Poste's establishments (SIREN 356000000) have digits summing to a multiple of 5, except
    # the head office, whose SIRET is Luhn-valid: the old check refused it, stdnum accepts it
    assert siret_problem("35600000000048") is None
    assert "clé de contrôle" in siret_problem("35600000000049")


@pytest.mark.parametrize(("check", "value", "reason"), [
    # digits other than 0-9 (Arabic-Indic, full-width) passed the old `\d` and were stored
    (siret_problem, "٧٣٢٨٢٩٣٢٠٠٠٠٧٤", "14 chiffres"),
    (siren_problem, "７３２８２９３２０", "9 chiffres"),
    # stdnum would drop the separators: the value is stored as written, so it is refused
    (siret_problem, "732 829 320 00074", "14 chiffres"),
    (siret_problem, "732.829.320.00074", "14 chiffres"),
    (siren_problem, "732 829 320", "9 chiffres"),
])
def test_identifiers_are_plain_ascii_digits(check, value, reason):
    assert reason in check(value)


@pytest.mark.parametrize(("iban", "reason"), [
    # right check digits (mod 97), which was all the old check asked of a non-French IBAN
    ("DE5137040044053201300", "longueur ou format du compte faux pour le pays DE"),  # 21, not 22
    ("FR86ABCDE000011234567890189", "longueur ou format du compte faux pour le pays FR"),
    ("US64SVBKUS6S3300958879", "pays US inconnu"),
    ("FR76３0006000011234567890189", "format"),  # a full-width 3 passed the old `\d`
    ("FR76-3000-6000-0112-3456-7890-189", "format"),  # stdnum would drop the dashes
])
def test_ibans_follow_the_iban_registry(iban, reason):
    assert reason in iban_problem(iban)


def test_an_iban_is_read_without_its_spaces_and_case():
    assert iban_problem("fr76 3000 6000 0112 3456 7890 189") is None
    assert iban_problem("BR1800360305000010009795493C1") is None


@pytest.mark.parametrize("bic", ["AGRIXXPP", "AGRIUKPP", "AGRIELPPXXX"])  # a BIC says GB, GR
def test_a_bic_with_an_unknown_country_code_is_refused(bic):
    assert "code pays" in bic_problem(bic)


def test_a_bic_is_read_without_surrounding_spaces_and_case():
    assert bic_problem(" agrifrppxxx ") is None
    assert "8 ou 11" in bic_problem("AGRI-FRPP") and "8 ou 11" in bic_problem("AGR1FRPP")


def test_french_vat_numbers_as_stdnum_reads_them():
    from backoffice.identifiers import french_vat_problem

    assert french_vat_problem("FR 44 732 829 320") is None and french_vat_problem("fr44732829320") is None
    # letter keys (companies without a SIREN-based key) and Monaco's numbers (no SIREN) are
    # valid: the old check refused both
    assert french_vat_problem("FRK7399859412") is None
    assert french_vat_problem("FR53000004605") is None
    assert "clé ou SIREN" in french_vat_problem("FR44732829321")   # SIREN's Luhn
    assert "FR suivi" in french_vat_problem("44732829320")          # the country prefix is required
    assert "FR suivi" in french_vat_problem("FR44.732829320")
