"""The bilan pédagogique et financier (BPF, Cerfa n° 10443*17): which line of the form each fact
goes to, and the rules of the hours. docs/bpf.md cites the form's notice and explains each cadre.

Pure rules, plain values in and out; the use case (services/bpf.py) reads the database and
aggregates with pandas. What the draft fills:

- **C** (origin of the products, HT): an invoice to a company → line 1 (« des entreprises pour la
  formation de leurs salariés »); an invoice to an OPCO → line 2 h (« du plan de développement
  des compétences ou d'autres dispositifs »: the OPCO funds the company's plan, the only scheme
  the marketplace sells); a credit note counts, negative, on its invoice's line
  (`product_line`).
- **D** (charges): « dont achats de prestation de formation et honoraires de formation » = the
  fees of the external trainers (their invoices and the self-billed ones, HT).
- **E** (people who gave the training): « personnes extérieures à votre organisme … dans le cadre
  de contrats de sous-traitance »: the distinct trainers of the sessions that took place in the
  year and the hours they delivered (`delivered_hours`).
- **F-1, F-3, F-4** (trainees and hours by status, objective, specialty): a trainee of a session
  counts when they attended hours in the year (`hours_in_year`); their hours are those of the
  certificates (`backoffice.documents.attended_hours`), limited to the half-days of the year.

A fact that is unknown (a trainee's status, a programme's objective or NSF code) is never
guessed: the trainee counts on a line « non renseigné » of the CSV, outside the form's lines,
and the session is listed with what is missing (`missing_data`).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from backoffice.documents import SessionDocumentFacts, SlotFacts, attended_hours

CERFA = "10443*17"
NOTICE_URL = ("https://www.formulaires.modernisation.gouv.fr/gf/getNotice.do"
              "?cerfaFormulaire=10443&cerfaNotice=50199")
DRAFT_MARK = "Brouillon — à vérifier avant saisie sur Mon Activité Formation"
UNKNOWN = "non renseigné"  # the key of the CSV line for trainees whose data is missing
TOP_SPECIALTIES = 5  # F-4: « les cinq principales spécialités », the others on one line


@dataclass(frozen=True, slots=True)
class Line:
    """One line of a cadre: its code as the form numbers it, and its label."""

    code: str
    label: str
    total: bool = False  # a total or sub-total the form prints (computed, never typed in)
    filled: bool = True  # whether the draft can fill it from the data (else: « à compléter »)


# --- C. Bilan financier hors taxes : origine des produits de l'organisme ----------------------

C_LINES: tuple[Line, ...] = (
    Line("1", "des entreprises pour la formation de leurs salariés"),
    Line("2 a", "des contrats d'apprentissage"),
    Line("2 b", "des contrats de professionnalisation"),
    Line("2 c", "de la promotion ou de la reconversion par alternance"),
    Line("2 d", "des projets de transition professionnelle"),
    Line("2 e", "du compte personnel de formation"),
    Line("2 f", "des dispositifs spécifiques pour les personnes en recherche d'emploi"),
    Line("2 g", "des dispositifs spécifiques pour les travailleurs non-salariés"),
    Line("2 h", "du plan de développement des compétences ou d'autres dispositifs"),
    Line("2", "Total des produits provenant des organismes gestionnaires des fonds de la "
              "formation (lignes a à h)", total=True),
    Line("3", "des pouvoirs publics pour la formation de leurs agents (État, collectivités "
              "territoriales, établissements publics à caractère administratif)"),
    Line("4", "Instances européennes"),
    Line("5", "État"),
    Line("6", "Conseils régionaux"),
    Line("7", "France Travail (ex Pôle emploi)"),
    Line("8", "Autres ressources publiques"),
    Line("9", "de contrats conclus avec des personnes à titre individuel et à leurs frais"),
    Line("10", "de contrats conclus avec d'autres organismes de formation (y compris CFA)"),
    Line("11", "Autres produits au titre de la formation professionnelle"),
    Line("Total", "Total des produits réalisés au titre de la formation professionnelle "
                  "(lignes 1 à 11)", total=True),
    Line("%", "Part du chiffre d'affaires global réalisée dans le domaine de la formation "
              "professionnelle", filled=False),
)
C_FUNDS_LINES = tuple(line.code for line in C_LINES if line.code.startswith("2 "))

# who the invoice is addressed to (invoices.funder_kind) → the line of its products
PRODUCT_LINES = {"company": "1", "opco": "2 h"}


class UnknownFunder(ValueError):
    """An invoice addressed to a kind of funder the BPF mapping does not know (never guessed)."""


def product_line(funder_kind: str) -> str:
    """The C line of an invoice's (or credit note's) products, from whom it is addressed to."""
    try:
        return PRODUCT_LINES[funder_kind]
    except KeyError:
        raise UnknownFunder(f"financeur de type « {funder_kind} » : ligne du cadre C inconnue"
                            ) from None


# --- D. Charges ; E. Personnes dispensant des heures de formation ------------------------------

D_LINES: tuple[Line, ...] = (
    Line("Total", "Total des charges de l'organisme liées à l'activité de formation",
         filled=False),
    Line("dont 1", "dont Salaires des formateurs", filled=False),
    Line("dont 2", "dont Achats de prestation de formation et honoraires de formation"),
)
E_LINES: tuple[Line, ...] = (
    Line("1", "Personnes de votre organisme dispensant des heures de formation", filled=False),
    Line("2", "Personnes extérieures à votre organisme dispensant des heures de formation dans "
              "le cadre de contrats de sous-traitance"),
)

# --- F. Bilan pédagogique ------------------------------------------------------------------------

# F-1: the trainee's status (trainees.csv `bpf_status`) → its line
F1_LINES: dict[str, Line] = {
    "salarie": Line("a", "Salariés d'employeurs privés hors apprentis"),
    "apprenti": Line("b", "Apprentis"),
    "demandeur_emploi": Line("c", "Personnes en recherche d'emploi formées par votre organisme "
                                  "de formation"),
    "particulier": Line("d", "Particuliers à leurs propres frais formés par votre organisme de "
                             "formation"),
    "autre": Line("e", "Autres stagiaires"),
}
BPF_STATUSES = tuple(F1_LINES)
F1_TOTAL = Line("Total", "Total des stagiaires (a à e)", total=True)
# B asks « Avez-vous mis en œuvre … des actions de formation en tout ou partie à distance » (oui /
# non): a session given in these modalities, counted in the year, answers yes
DISTANCE_MODALITIES = frozenset({"distanciel", "mixte"})

# F-3: the programme's objective (programmes.csv `objective`) → its line; the RNCP levels are
# « dont » lines of a (their sum is line a)
F3_LINES: dict[str, Line] = {
    "rncp_6_8": Line("a 6-8", "dont de niveau 6 à 8 (Licence, Master, diplôme d'ingénieur, "
                              "Doctorat…)"),
    "rncp_5": Line("a 5", "dont de niveau 5 (BTS, DUT, écoles de formation sanitaire et "
                          "sociale…)"),
    "rncp_4": Line("a 4", "dont de niveau 4 (BAC professionnel, BT, BP, BM…)"),
    "rncp_3": Line("a 3", "dont de niveau 3 (BEP, CAP…)"),
    "rncp_2": Line("a 2", "dont de niveau 2"),
    "rncp_cqp": Line("a CQP", "dont certificat de qualification professionnelle (CQP) sans "
                              "niveau de qualification"),
    "rs": Line("b", "Formations visant une certification (dont CQP) ou une habilitation "
                    "enregistrée au répertoire spécifique (RS)"),
    "cqp": Line("c", "Formations visant un CQP non enregistré au RNCP ou au RS"),
    "autre": Line("d", "Autres formations professionnelles"),
    "bilan": Line("e", "Bilans de compétences"),
    "vae": Line("f", "Actions d'accompagnement à la validation des acquis de l'expérience"),
}
OBJECTIVES = tuple(F3_LINES)
F3_RNCP = Line("a", "Formations visant un diplôme, un titre à finalité professionnelle ou un "
                    "certificat de qualification professionnelle enregistré au Répertoire "
                    "national des certifications professionnelles (RNCP)", total=True)
F3_TOTAL = Line("Total", "Total (a à f)", total=True)

F4_OTHERS = Line("Autres", "Autres spécialités", total=True)
F4_TOTAL = Line("Total", "Total des spécialités", total=True)

# The NSF code (nomenclature des spécialités de formation, décret n° 94-522, Code de l'éducation
# D. 311-1 à D. 311-4): a group of 3 digits (classes 1 to 4) and, optionally, the letter of its
# field (« 326 », « 314r »)
NSF_PATTERN = re.compile(r"[1-4][0-9]{2}[a-z]?")


def nsf_problem(code: str) -> str | None:
    """Why a specialty code is not an NSF code (French), None when it is one."""
    if NSF_PATTERN.fullmatch(code):
        return None
    return "code NSF invalide : 3 chiffres (100 à 499) et, au besoin, une lettre (ex. 326 ou 314r)"


# --- hours ----------------------------------------------------------------------------------------

def _in_year(slots: Iterable[SlotFacts], year: int) -> tuple[SlotFacts, ...]:
    return tuple(s for s in slots if s.day.year == year)


def hours_in_year(facts: SessionDocumentFacts, year: int) -> dict[str, Decimal]:
    """Each trainee's attended hours on the half-days of `year`: the certificates' rule
    (`attended_hours`: slot or minutes, evidence when the session sends it), the other years'
    half-days counting nothing. A session within the year gives its certificates' hours."""
    if all(s.day.year == year for s in facts.slots):
        return attended_hours(facts)
    return attended_hours(dataclasses.replace(facts, slots=_in_year(facts.slots, year)))


def delivered_hours(facts: SessionDocumentFacts, year: int) -> Decimal:
    """The hours the trainer delivered in `year`: the session's half-days of the year, each slot
    whole (the trainer is there however many trainees are), when the session took place (some
    trainee attended hours in the year); 0 otherwise."""
    if not any(h > 0 for h in hours_in_year(facts, year).values()):
        return Decimal("0.00")
    minutes = sum(s.minutes for s in _in_year(facts.slots, year))
    return (Decimal(minutes) / 60).quantize(Decimal("0.01"))


def in_year(day: date, year: int) -> bool:
    """Whether a business date falls in the BPF's year (the calendar year: the exercice
    comptable of the marketplace, docs/bpf.md)."""
    return day.year == year


# --- what is missing --------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Missing:
    """A session counted in the F cadres whose data is incomplete: what is missing (French)."""

    session_ref: str
    programme_ref: str
    what: tuple[str, ...]

    @property
    def text(self) -> str:
        return " ; ".join(self.what)


def missing_data(session_ref: str, programme_ref: str, *, objective: str | None,
                 nsf_code: str | None, trainees_without_status: Iterable[str]) -> Missing | None:
    """What prevents the session's trainees from being placed on the F-1, F-3 and F-4 lines;
    None when nothing does."""
    what = []
    without = sorted(trainees_without_status)
    if without:
        what.append(f"statut BPF (bpf_status) de {len(without)} stagiaire(s) : "
                    + ", ".join(without))
    if objective is None:
        what.append(f"objectif du programme {programme_ref} (objective)")
    if nsf_code is None:
        what.append(f"code NSF du programme {programme_ref} (nsf_code)")
    return Missing(session_ref, programme_ref, tuple(what)) if what else None
