import pytest

from backoffice.names import same_person, titles_close, unmatched_names


@pytest.mark.parametrize(("session", "approval"), [
    ("Éloïse N'Diaye", "NDIAYE Eloise"),             # accents, apostrophe, order, case
    ("Jean-François Le Gall", "LEGALL Jean Francois"),  # hyphen, particle glued
    ("Jean-François Le Gall", "Jean Francois LE GALL"),
    ("Mélanie Martin", "Melanie MARTIN"),
    ("Anne Martin", "Anne Martins"),                  # one typo
    ("Anne-Sophie Dubois", "Dubois Anne Sophie"),
])
def test_the_same_person_written_differently(session, approval):
    assert same_person(session, approval)


@pytest.mark.parametrize(("session", "approval"), [
    ("Marc Dupont", "Marc Durand"), ("Marc Dupont", "Luc Dupont"),
    ("Paul Martin", "Pauline Martin"), ("Léa Petit", "Lea Petitjean"), ("Anne Martin", ""),
])
def test_different_people(session, approval):
    assert not same_person(session, approval)


def test_names_are_paired_one_to_one():
    missing, extra = unmatched_names(["Anne Martin", "Marc Dupont", "Léa Roux"],
                                     ["DUPONT Marc", "Anne MARTIN", "Paul Girard"])
    assert (missing, extra) == (["Léa Roux"], ["Paul Girard"])
    # one written name cannot stand for two trainees
    assert unmatched_names(["Anne Martin", "Anne Martin"], ["Anne Martin"]) == (["Anne Martin"], [])


@pytest.mark.parametrize(("programme", "approval", "close"), [
    ("Excel avancé", "EXCEL AVANCE", True),
    ("Excel avancé", "Formation Excel avancé : TCD et macros", True),
    ("Management d'équipe", "Manager une équipe", True),
    ("Excel avancé", "Management d'équipe", False),
    ("Anglais professionnel", "Prise de parole en public", False),
])
def test_titles(programme, approval, close):
    assert titles_close(programme, approval) is close
