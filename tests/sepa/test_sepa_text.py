import pytest

from backoffice.sepa_text import ALLOWED, sepa_identifier, sepa_text


@pytest.mark.parametrize(("text", "expected"), [
    # accents, ligatures and letters that do not decompose
    ("Éloïse Ngô Müller", "Eloise Ngo Muller"),
    ("François Garçon", "Francois Garcon"),
    ("Cœur Œuvre", "Coeur OEuvre"),
    ("Lætitia Æsop", "Laetitia AEsop"),
    ("Straße", "Strasse"),
    ("Søren Łukasz Đorđe", "Soren Lukasz Dorde"),
    ("ﬁn de l’oﬀre…", "fin de l'offre..."),
    # & → + (EPC conversion, one character)
    ("Dupont & Fils", "Dupont + Fils"),
    ("R&D", "R+D"),
    # ° → o, € → EUR set off from digits and letters
    ("N° 12", "No 12"),
    ("facture n°42", "facture no42"),
    ("100€", "100 EUR"),
    ("1 234,56 €", "1 234,56 EUR"),
    ("total (€)", "total (EUR)"),
    ("€", "EUR"),
    # apostrophes and quotes
    ("N’Diaye", "N'Diaye"),
    ("N'Diaye", "N'Diaye"),
    ("l‘atelier ʼok´", "l'atelier 'ok'"),
    ("« Bio »", "'Bio'"),
    ("«\u00a0Formation\u202fIA\u00a0»", "'Formation IA'"),
    ("“Excel” et \"Word\"", "'Excel' et 'Word'"),
    # dashes, separators, dropped characters
    ("Paris — Lyon – Nice", "Paris - Lyon - Nice"),
    ("a;b", "a b"),                     # ; is not in the EPC Latin set
    ("jean_dupont@example.fr", "jean dupont example.fr"),
    ("10 % $ ¤ ©", "10"),
    ("Ωmega 中文 test", "mega test"),
    ("½ journée", "1/2 journee"),
    # allowed punctuation is kept
    ("A/B-C?D:E(F).G,H'I+J", "A/B-C?D:E(F).G,H'I+J"),
    # whitespace collapsed and trimmed
    ("  Jean \t\n  Dupont\u00a0 ", "Jean Dupont"),
    ("", ""),
    ("   ", ""),
    ("@@@", ""),
])
def test_sepa_text_conversions(text, expected):
    assert sepa_text(text, 140) == expected


def test_the_result_is_always_in_the_epc_set():
    sample = "".join(chr(code) for code in range(0x20, 0x2500))
    cleaned = sepa_text(sample, 10_000)
    assert set(cleaned) <= ALLOWED
    assert "  " not in cleaned and cleaned == cleaned.strip()


LONG_NAME = ("Société Coopérative d'Intérêt Collectif des Formateurs Indépendants "
             "de la Région Auvergne-Rhône-Alpes")


def test_a_long_name_is_cut_at_70_on_a_word_boundary():
    cut = sepa_text(LONG_NAME, 70)
    assert cut == "Societe Cooperative d'Interet Collectif des Formateurs Independants de"
    assert len(cut) <= 70
    assert sepa_text(LONG_NAME, 1000).startswith(cut + " ")


@pytest.mark.parametrize(("text", "max_length", "expected"), [
    ("Session S-2026-0012 Facture F-DUP-2026-017", 30, "Session S-2026-0012 Facture"),
    ("Session S-2026-0012", 19, "Session S-2026-0012"),    # exactly the length
    ("Session S-2026-0012 Facture", 19, "Session S-2026-0012"),  # the cut falls on a space
    ("x" * 80, 70, "x" * 70),                               # one word: cut inside it
    ("A " + "y" * 80, 70, "A " + "y" * 68),                 # a very short first word is not a boundary
    ("abcdefgh€", 10, "abcdefgh"),                          # "EUR" is never split
    ("abcdefghœ", 10, "abcdefghoe"),
    ("abcdefghiœ", 10, "abcdefghi"),                        # not "abcdefghio"
    ("Cœur", 2, "C"),
])
def test_cuts_never_split_an_expansion(text, max_length, expected):
    assert sepa_text(text, max_length) == expected


def test_remittance_cut_at_140():
    remittance = " ".join(["Session S-2026-0012 Facture F-DUP-2026-017"] * 5)
    cut = sepa_text(remittance, 140)
    assert len(cut) <= 140 and remittance.startswith(cut) and not cut.endswith(" ")
    assert remittance[len(cut)] == " "


@pytest.mark.parametrize(("text", "expected"), [
    ("PO-2026-000042", "PO-2026-000042"),
    ("PO 2026 000042", "PO2026000042"),          # no spaces
    ("/PO/2026/", "PO/2026"),                    # no leading or trailing /
    ("PO//2026///42", "PO/2026/42"),             # no //
    ("Paie n° 12 – Sept.", "Paieno12-Sept."),
    ("Éte&Co", "Ete+Co"),
    ("///", ""),
    ("x" * 40, "x" * 35),
    ("x" * 34 + "/y", "x" * 34),                 # the cut would end on "/"
])
def test_sepa_identifier(text, expected):
    assert sepa_identifier(text) == expected


def test_identifier_length_and_rules():
    for text in ["a/" * 40, "/" + "ab/" * 20, "é" * 50, "PO-2026-000042 / lot 7"]:
        identifier = sepa_identifier(text, 35)
        assert len(identifier) <= 35 and " " not in identifier and "//" not in identifier
        assert not identifier.startswith("/") and not identifier.endswith("/")
        assert set(identifier) <= ALLOWED


def test_a_length_must_be_positive():
    with pytest.raises(ValueError):
        sepa_text("abc", 0)
    with pytest.raises(ValueError):
        sepa_identifier("abc", 0)
