"""Deterministic demo data: a realistic platform export (the CSV contract, platform-export.md).

`write_demo_export(folder)` writes the ten CSV files of the contract and a `documents/`
folder holding one tiny PDF per uploaded funding approval (PEC). Only the standard library is
used, every random choice comes from one `random.Random(seed)` and no clock is read, so the
same seed and `as_of` always give byte-identical files.

The data carries the traps the pipeline must catch. `demo_traps(seed, as_of)` returns them as
session_ref -> trap code; `DEMO_TRAPS` holds those of the default demo. One session, one trap:

    pec_missing_soon          validated OPCO-funded session starting within 15 days, no PEC
    pec_missing_started       validated OPCO-funded session that has started, no PEC
    pec_late                  PEC received after the start date
    pec_partial               PEC grants less than the price (reste à charge for the company)
    pec_wrong_session         the client attached the PEC to another of its sessions; the
                              PEC's data (dates, title, hours, trainees) matches this session
    pec_no_session_ref        PEC uploaded with an empty session_ref
    pec_fewer_hours           PEC grants fewer hours per trainee than the convention
    pec_fuzzy_names           PEC trainee names without accents / in capitals: a match, not an error
    pec_wrong_opco            PEC issued by an OPCO other than the client's
    not_declared              finished session whose completion the trainer has not declared
    trainer_invoice_mismatch  trainer invoice amount differs from the subcontract fee
    cancelled                 cancelled session (no PEC, no attendance)
    draft                     session not validated yet (no PEC)

Run it with `python -m demo.generator OUT_DIR [--seed N] [--as-of YYYY-MM-DD]`.
"""

from __future__ import annotations

import argparse
import csv
import random
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path

DEMO_AS_OF: date = date(2026, 11, 30)
DEFAULT_SEED = 2026
SESSION_COUNT = 44

CENT = Decimal("0.01")
SLOT_HOURS = Decimal("3.5")
HALF_DAYS = {"am": ("09:00", "12:30"), "pm": ("13:30", "17:00")}
FUNDINGS = ("opco_subrogation", "opco_reimbursement", "company")
MODALITIES = ("presentiel", "distanciel", "mixte")
# The OPCOs are those of the reference data (one list: data/opcos.csv), in the file's order.
_OPCO_FILE = Path(__file__).resolve().parent.parent / "data" / "opcos.csv"
OPCO_CODES = tuple(row["code"] for row in csv.DictReader(
    line for line in _OPCO_FILE.read_text(encoding="utf-8").splitlines()
    if not line.startswith("#")))
DOSSIER_PREFIX = {"AFDAS": "AF", "AKTO": "AK", "ATLAS": "AT", "CONSTRUCTYS": "CX", "OCAPIAT": "OC",
                  "OPCO_2I": "2I", "OPCO_EP": "EP", "OPCO_MOBILITES": "OM", "OPCO_SANTE": "OS",
                  "OPCOMMERCE": "OPC", "UNIFORMATION": "UF"}
IDCC_OPCO = {"1486": "ATLAS", "2120": "ATLAS", "1672": "ATLAS", "2098": "AKTO",
             "1517": "OPCOMMERCE", "3248": "OPCO_2I", "1596": "CONSTRUCTYS",
             "2264": "OPCO_SANTE", "1261": "UNIFORMATION", "0016": "OPCO_MOBILITES"}

COLUMNS = {name: tuple(columns.split()) for name, columns in {
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
}.items()}

TRAINER_NAMES = (
    ("Hélène", "Dupré"), ("François", "Lefèvre"), ("Amélie", "Garnier"), ("Jérôme", "Moreau"),
    ("Céline", "Rousseau"), ("Loïc", "Le Goff"), ("Anaïs", "Béranger"), ("Benoît", "Marchal"),
    ("Sébastien", "Faure"), ("Maëlle", "Chevalier"), ("Grégoire", "Dumont"), ("Inès", "Benali"),
    ("Thierry", "Vasseur"), ("Nadège", "Perrin"), ("Raphaël", "Lambert"),
)
TRAINER_ADDRESSES = (
    ("rue des Martyrs", "75009", "Paris"), ("rue Paul-Bert", "69003", "Lyon"),
    ("rue Solférino", "59000", "Lille"), ("rue Crébillon", "44000", "Nantes"),
    ("rue Notre-Dame", "33000", "Bordeaux"), ("rue des Filatiers", "31000", "Toulouse"),
    ("boulevard de la Liberté", "35000", "Rennes"), ("rue de Périole", "31500", "Toulouse"),
    ("avenue Jean-Jaurès", "92140", "Clamart"), ("rue Sainte-Catherine", "33000", "Bordeaux"),
)
BANKS = (("30004", "BNPAFRPPXXX"), ("30003", "SOGEFRPPXXX"), ("10278", "CMCIFR2AXXX"),
         ("20041", "PSSTFRPPXXX"), ("30002", "CRLYFRPPXXX"), ("10107", "BREDFRPPXXX"),
         ("17515", "CEPAFRPP751"), ("16606", "AGRIFRPP866"))
NDA_REGIONS = ("11", "84", "32", "52", "75", "76", "53")
VAT_REGIMES = ("franchise",) * 6 + ("exempt",) * 5 + ("vat",) * 4
SELF_BILLING = ("yes",) * 4 + ("no",) * 11

# raison sociale, street, postcode, city, idcc, headcount
CLIENTS = (
    ("Cabinet Durand & Associés SAS", "rue La Boétie", "75008", "Paris", "1486", 18),
    ("Ingénierie Mercier Conseil SARL", "cours Lafayette", "69003", "Lyon", "1486", 32),
    ("Banque Vasseur & Cie SA", "rue Nationale", "59000", "Lille", "2120", 45),
    ("Girard Courtage Assurances SARL", "rue de Strasbourg", "44000", "Nantes", "1672", 11),
    ("Numérique Atlantique SAS", "cours de l'Intendance", "33000", "Bordeaux", "1486", 27),
    ("Propreté Services Martin SAS", "avenue du Prado", "13008", "Marseille", "2098", 48),
    ("Maison Lefebvre Décoration SARL", "rue Esquermoise", "59000", "Lille", "1517", 9),
    ("Mécanique de Précision Bertrand SAS", "avenue Alsace-Lorraine", "38000", "Grenoble",
     "3248", 41),
    ("Bâtiments Moreau & Fils SARL", "rue de Saint-Malo", "35000", "Rennes", "1596", 8),
    ("Clinique du Parc Saint-Joseph SAS", "rue de la République", "69002", "Lyon", "2264", 46),
    ("Association Lien & Partage", "rue du Vieux-Marché-aux-Poissons", "67000", "Strasbourg",
     "1261", 14),
    ("Transports Guérin Frères SAS", "rue de la Liberté", "21000", "Dijon", "0016", 36),
    ("Conseil RH Fontaine SAS", "rue Oberkampf", "75011", "Paris", "1486", 12),
    ("Data Sud Analytics SAS", "rue de la Loge", "34000", "Montpellier", "1486", 22),
    ("Lambert Courtage & Prévoyance SARL", "avenue Jean-Médecin", "06000", "Nice", "1672", 7),
    ("Boutique Chevalier Mode SARL", "rue Sainte-Catherine", "33000", "Bordeaux", "1517", 6),
    ("Logiciels Perrin & Associés SAS", "quai de la Fosse", "44000", "Nantes", "1486", 29),
    ("Services Tertiaires Benali SARL", "allées Jean-Jaurès", "31000", "Toulouse", "2098", 19),
    ("Métallerie Faure Industrie SAS", "rue Nationale", "37000", "Tours", "3248", 38),
    ("Expertise Financière Roussel SA", "boulevard Haussmann", "75009", "Paris", "2120", 24),
)
CLIENT_CONTACTS = (
    "Sophie Durand", "Marc Mercier", "Isabelle Vasseur", "Laurent Girard", "Claire Bonnet",
    "Karim Haddad", "Julie Lefebvre", "Patrick Bertrand", "Yann Moreau", "Dr Anne Roux",
    "Élodie Schmitt", "Olivier Guérin", "Nathalie Fontaine", "Thomas Nguyen", "Cécile Lambert",
    "Manon Chevalier", "Damien Perrin", "Samia Benali", "Bruno Faure", "Hugo Roussel",
)
OPCO_LEFT_EMPTY = (3, 10, 11, 16)  # clients whose OPCO must be found from their IDCC

METHODS = ("Alternance d'apports courts, de démonstrations et d'exercices sur des cas tirés de "
           "l'entreprise ; support de formation remis à chaque stagiaire.")
EVALUATION = ("Positionnement en début de formation, exercices d'application corrigés, "
              "évaluation des acquis en fin de formation et questionnaire de satisfaction.")
ACCESSIBILITY = ("Formation accessible aux personnes en situation de handicap : les adaptations "
                 "sont étudiées avec notre référent handicap avant l'entrée en formation. Locaux "
                 "et outils de visio accessibles.")

# the BPF's F-3 objective and F-4 NSF code of each programme (docs/bpf.md); two left empty on
# purpose: the BPF draft lists the sessions whose data is missing
PROGRAMME_BPF = {
    "PRG-EXCEL": ("rs", "326"), "PRG-MANAGER": ("autre", "310"), "PRG-RGPD": ("autre", "128"),
    "PRG-ANGLAIS": ("rs", "136"), "PRG-AGILE": ("", "310"), "PRG-ORAL": ("autre", ""),
    "PRG-POWERBI": ("autre", "326"), "PRG-COMPTA": ("autre", "314"),
}

# ref, title, hours, objectives, content (one sequence per line), prerequisites, audience
PROGRAMMES = (
    ("PRG-EXCEL", "Excel avancé : tableaux croisés dynamiques et automatisation", "14",
     ("Analyser un jeu de données avec un tableau croisé dynamique",
      "Combiner les fonctions de recherche et les fonctions conditionnelles",
      "Automatiser une tâche répétitive avec une macro enregistrée"),
     ("Rappels : références absolues, plages nommées, tableaux structurés",
      "Fonctions RECHERCHEX, SI.CONDITIONS, SOMME.SI.ENS",
      "Tableaux et graphiques croisés dynamiques",
      "Power Query : importer et nettoyer des données", "Macros : enregistrer, modifier, lancer"),
     "Pratiquer Excel au quotidien (formules simples, mise en forme).",
     "Assistants, gestionnaires, contrôleurs de gestion."),
    ("PRG-MANAGER", "Management d'équipe : les fondamentaux du manager de proximité", "21",
     ("Identifier son style de management et l'adapter à chaque collaborateur",
      "Conduire un entretien de recadrage et un entretien annuel",
      "Déléguer et suivre les objectifs de l'équipe"),
     ("Rôle et missions du manager de proximité", "Styles de management et maturité",
      "Fixer des objectifs SMART", "Délégation et suivi", "Entretiens difficiles : jeux de rôle"),
     "Encadrer ou être sur le point d'encadrer une équipe.",
     "Managers de proximité, chefs d'équipe, nouveaux managers."),
    ("PRG-RGPD", "RGPD : mettre son organisation en conformité", "7",
     ("Identifier les traitements de données personnelles de son service",
      "Tenir le registre des traitements", "Réagir à une demande d'exercice des droits"),
     ("Principes du RGPD et rôle de la CNIL", "Registre des traitements et analyse d'impact",
      "Droits des personnes et violations de données"),
     "Aucun.", "Référents RGPD, responsables de service, assistants juridiques."),
    ("PRG-ANGLAIS", "Anglais professionnel : communiquer à l'oral et à l'écrit", "21",
     ("Se présenter et présenter son activité en anglais",
      "Rédiger un courriel professionnel clair", "Participer à une réunion téléphonique"),
     ("Présentations et small talk", "Écrits professionnels : courriels et comptes rendus",
      "Réunions et conférences téléphoniques", "Négocier et argumenter"),
     "Niveau A2 (test de positionnement).", "Salariés en contact avec l'international."),
    ("PRG-AGILE", "Gestion de projet agile avec Scrum", "14",
     ("Expliquer les valeurs et principes du manifeste agile",
      "Organiser un sprint et ses cérémonies", "Prioriser un backlog produit"),
     ("Du cycle en V à l'agilité", "Rôles Scrum : product owner, scrum master, équipe",
      "Backlog, user stories et estimation", "Sprint planning, daily, revue et rétrospective"),
     "Avoir participé à au moins un projet.", "Chefs de projet, product owners, équipes projet."),
    ("PRG-ORAL", "Prise de parole en public", "10.5",
     ("Structurer une intervention orale", "Gérer son trac et sa voix",
      "Répondre aux questions et objections"),
     ("Préparer son message et son plan", "Voix, regard, gestuelle : exercices filmés",
      "Improvisation et gestion des questions"),
     "Aucun.", "Toute personne amenée à présenter en réunion ou en public."),
    ("PRG-POWERBI", "Power BI : concevoir des tableaux de bord", "14",
     ("Connecter Power BI à des sources de données", "Modéliser des données en étoile",
      "Publier un tableau de bord interactif"),
     ("Power BI Desktop et le service Power BI", "Power Query : préparer les données",
      "Modèle de données et premières mesures DAX", "Visuels, filtres et publication"),
     "Bonne pratique d'Excel.", "Analystes, contrôleurs de gestion, responsables d'activité."),
    ("PRG-COMPTA", "Comptabilité générale pour non-comptables", "14",
     ("Lire un bilan et un compte de résultat", "Comprendre le mécanisme de la partie double",
      "Dialoguer avec l'expert-comptable"),
     ("Principes comptables et plan comptable général", "Écritures courantes : achats, ventes",
      "Bilan et compte de résultat", "Soldes intermédiaires de gestion"),
     "Aucun.", "Dirigeants de TPE, assistants administratifs, créateurs d'entreprise."),
)

FIRST_NAMES = ("Jean-François", "Éloïse", "Marie-Hélène", "Théo", "Chloé", "Hugo", "Léa", "Zoé",
               "Noémie", "Jérémy", "Gaëlle", "Aurélien", "Océane", "Kévin", "Manon", "Yannick",
               "Bérénice", "Karim", "Fatou", "Mélanie", "Rémi", "Clément", "Agnès", "Lucas")
LAST_NAMES = ("Le Gall", "N'Diaye", "Martin", "Bernard", "Dubois", "Lefèvre", "Girard", "Bonnet",
              "Mercier", "Fontaine", "Nguyen", "Ménard", "Da Silva", "Kerhervé", "Roussel",
              "Texier", "Hamon", "Caron", "Petit", "Leroy", "Boucher", "Gauthier", "Lemaître")
JOB_TITLES = ("Assistante de direction", "Chargé de clientèle", "Comptable", "Chef de projet",
              "Technicien de maintenance", "Responsable RH", "Commercial sédentaire",
              "Gestionnaire de paie", "Responsable d'agence", "Infirmière coordinatrice")

# trap, start window (days from as_of), funding; consecutive full days for all of them
FORCED_PLANS = (
    ("pec_missing_soon", 3, 11, "opco_subrogation"),
    ("pec_missing_started", -10, -4, "opco_subrogation"),
    ("pec_late", -45, -20, "opco_subrogation"),
    ("pec_partial", -60, -10, "opco_subrogation"),
    ("pec_wrong_session", -35, 10, "opco_subrogation"),
    ("pec_no_session_ref", -50, 10, "opco_subrogation"),
    ("pec_fewer_hours", -80, 10, "opco_subrogation"),
    ("pec_fuzzy_names", -60, 10, "opco_reimbursement"),
    ("pec_wrong_opco", -70, 10, "opco_subrogation"),
    ("not_declared", -25, -12, "company"),
    ("trainer_invoice_mismatch", -90, -25, "company"),
    ("cancelled", -40, -15, "opco_subrogation"),
    ("cancelled", 10, 40, "company"),
    ("draft", 20, 55, "opco_subrogation"),
    ("draft", 25, 60, "company"),
)
NO_PEC_TRAPS = ("pec_missing_soon", "pec_missing_started", "cancelled", "draft")


@dataclass(frozen=True)
class Plan:
    """What is decided about a session before its schedule is drawn."""
    trap: str
    window: tuple[int, int]  # first and last possible start, in days from as_of
    funding: str
    programme: dict[str, str]
    trainer: dict[str, str]
    client: dict[str, str]
    free_rhythm: bool = False  # may run one day a week


@dataclass
class Session:
    trap: str
    programme: dict[str, str]
    trainer: dict[str, str]
    client: dict[str, str]
    funding: str
    modality: str
    location: str
    slots: list[tuple[date, str]]
    price: Decimal
    fee: Decimal
    trainees: list[dict[str, str]]
    ref: str = ""
    pec_session_ref: str = ""  # the ref the client attaches its PEC to
    needs_pec: bool = False
    validated_at: datetime | None = None
    cancelled_at: datetime | None = None

    @property
    def start(self) -> date:
        return self.slots[0][0]

    @property
    def end(self) -> date:
        return self.slots[-1][0]

    @property
    def hours(self) -> Decimal:
        return SLOT_HOURS * len(self.slots)

    def finished(self, as_of: date) -> bool:
        return self.cancelled_at is None and self.validated_at is not None and self.end < as_of


@dataclass
class Demo:
    tables: dict[str, list[dict[str, str]]]  # rows per CSV file name
    documents: dict[str, bytes]  # PDF per file name, for documents/
    traps: dict[str, str]  # session_ref -> trap code


# --- small helpers -------------------------------------------------------------------------

def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def _slug(text: str, sep: str = "-") -> str:
    words = "".join(c if c.isalnum() else " " for c in _ascii(text).lower().replace("'", ""))
    return sep.join(words.split())


def _money(amount: Decimal) -> str:
    return str(amount.quantize(CENT, ROUND_HALF_UP))


def _hours(hours: Decimal) -> str:
    return f"{hours.normalize():f}"


def _digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def _luhn_ok(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _with_luhn_digit(partial: str) -> str:
    return next(partial + d for d in "0123456789" if _luhn_ok(partial + d))


def _siret(rng: random.Random) -> str:
    siren = _with_luhn_digit(str(rng.randint(1, 9)) + _digits(rng, 7))
    return _with_luhn_digit(siren + "000" + str(rng.randint(1, 9)))


def _french_iban(rng: random.Random, bank: str) -> str:
    branch, account = _digits(rng, 5), _digits(rng, 11)
    rib_key = 97 - (89 * int(bank) + 15 * int(branch) + 3 * int(account)) % 97
    bban = f"{bank}{branch}{account}{rib_key:02d}"
    check = 98 - int(bban + "152700") % 97  # "FR00" moved to the end, F=15 R=27
    return f"FR{check:02d}{bban}"


def _paris_datetime(day: date, minute_of_day: int) -> datetime:
    """Local time in Europe/Paris (summer time between the last Sundays of March and October)."""
    def last_sunday(month: int) -> date:
        last = date(day.year, month, 31)
        return last - timedelta(days=(last.weekday() + 1) % 7)
    offset = 2 if last_sunday(3) <= day < last_sunday(10) else 1
    hour, minute = divmod(minute_of_day, 60)
    return datetime(day.year, day.month, day.day, hour, minute,
                    tzinfo=timezone(timedelta(hours=offset)))


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment else ""


@lru_cache
def _holidays(year: int) -> frozenset[date]:
    """French public holidays (fixed ones, and those tied to Easter)."""
    a, (b, c) = year % 19, divmod(year, 100)
    d, e = divmod(b, 4)
    g = (b - (b + 8) // 25 + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    wd = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * wd) // 451
    month, day = divmod(h + wd - 7 * m + 114, 31)
    easter = date(year, month, day + 1)
    fixed = [date(year, mo, dd) for mo, dd in ((1, 1), (5, 1), (5, 8), (7, 14), (8, 15),
                                               (11, 1), (11, 11), (12, 25))]
    return frozenset(fixed + [easter + timedelta(days=n) for n in (1, 39, 50)])


def _business_day_from(day: date) -> date:
    while day.weekday() >= 5 or day in _holidays(day.year):
        day += timedelta(days=1)
    return day


def _random_day(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, max(0, (last - first).days)))


# --- reference entities --------------------------------------------------------------------

def _trainers(rng: random.Random) -> list[dict[str, str]]:
    regimes, billing = list(VAT_REGIMES), list(SELF_BILLING)
    rng.shuffle(regimes)
    rng.shuffle(billing)
    without_nda = set(rng.sample(range(len(TRAINER_NAMES)), 2))
    rows = []
    for i, (first, last) in enumerate(TRAINER_NAMES):
        bank, bic = rng.choice(BANKS)
        street, postcode, city = rng.choice(TRAINER_ADDRESSES)
        nda = "" if i in without_nda else rng.choice(NDA_REGIONS) + _digits(rng, 9)
        rows.append({
            "trainer_ref": f"TR-{i + 1:03d}", "first_name": first, "last_name": last,
            "email": f"{_slug(first)}.{_slug(last, '')}@formateurs.example",
            "siret": _siret(rng), "nda": nda, "iban": _french_iban(rng, bank), "bic": bic,
            "vat_regime": regimes[i], "self_billing": billing[i],
            "address": f"{rng.randint(1, 120)} {street}", "postcode": postcode, "city": city,
        })
    return rows


def _clients(rng: random.Random) -> list[dict[str, str]]:
    rows = []
    for i, (name, street, postcode, city, idcc, headcount) in enumerate(CLIENTS):
        company = " ".join(w for w in name.split() if w not in ("SAS", "SARL", "SA", "&"))
        rows.append({
            "client_ref": f"CL-{i + 1:03d}", "name": name, "siret": _siret(rng),
            "address": f"{rng.randint(2, 140)} {street}", "postcode": postcode, "city": city,
            "idcc": idcc, "headcount": str(headcount), "contact_name": CLIENT_CONTACTS[i],
            "contact_email": f"rh@{_slug(company)}.example",
            "opco": "" if i in OPCO_LEFT_EMPTY else IDCC_OPCO[idcc],
        })
    return rows


def _programmes() -> list[dict[str, str]]:
    return [{
        "programme_ref": ref, "title": title, "objectives": "\n".join(objectives),
        "content": "\n".join(content), "prerequisites": prerequisites, "audience": audience,
        "methods": METHODS, "evaluation": EVALUATION, "accessibility": ACCESSIBILITY,
        "duration_hours": hours, "objective": PROGRAMME_BPF[ref][0],
        "nsf_code": PROGRAMME_BPF[ref][1],
    } for ref, title, hours, objectives, content, prerequisites, audience in PROGRAMMES]


def _bpf_statuses(rng: random.Random, sessions: list[Session]) -> None:
    """Each trainee's BPF status (F-1 line): mostly employees of private companies, a few
    others (a company head, not an employee), a few left empty on purpose (the BPF draft lists
    their sessions as missing data). Its own random stream: the rest of the demo is unchanged."""
    for trainee in (t for s in sessions for t in s.trainees):
        draw = rng.random()
        trainee["bpf_status"] = "" if draw < 0.05 else "autre" if draw < 0.09 else "salarie"


def _client_opco(client: dict[str, str]) -> str:
    """The client's OPCO: the declared one, else the one of its IDCC."""
    return client["opco"] or IDCC_OPCO[client["idcc"]]


# --- sessions ------------------------------------------------------------------------------

def _schedule(start: date, n_slots: int, rhythm: str) -> list[tuple[date, str]]:
    """Half-day slots from start: full days in a row, one full day a week, or mornings only."""
    per_day = ("am",) if rhythm == "mornings" else ("am", "pm")
    step = 7 if rhythm == "weekly" else 1
    slots: list[tuple[date, str]] = []
    day = _business_day_from(start)
    while len(slots) < n_slots:
        slots.extend((day, half) for half in per_day[: n_slots - len(slots)])
        day = _business_day_from(day + timedelta(days=step))
    return slots


def _trainees(rng: random.Random, client: dict[str, str], accented: bool) -> list[dict[str, str]]:
    count = rng.choices(range(1, 7), weights=(10, 25, 25, 20, 12, 8))[0]
    firsts = rng.sample(FIRST_NAMES, max(count, 2) if accented else count)
    if accented:
        firsts[0] = rng.choice([n for n in FIRST_NAMES if _ascii(n) != n and n not in firsts])
    domain = client["contact_email"].split("@")[1]
    rows = []
    for first, last in zip(firsts, rng.sample(LAST_NAMES, len(firsts)), strict=True):
        email = f"{_slug(first)}.{_slug(last, '')}@{domain}" if rng.random() < 0.75 else ""
        job = rng.choice(JOB_TITLES) if rng.random() < 0.8 else ""
        rows.append({"first_name": first, "last_name": last, "email": email, "job_title": job})
    return rows


def _plan_session(rng: random.Random, as_of: date, plan: Plan) -> Session:
    modality = rng.choices(MODALITIES, weights=(60, 25, 15))[0]
    hours = Decimal(plan.programme["duration_hours"])
    rhythm = "mornings" if modality == "distanciel" else "days"
    if plan.free_rhythm and modality == "presentiel" and hours >= 14 and rng.random() < 0.3:
        rhythm = "weekly"
    start = as_of + timedelta(days=rng.randint(*plan.window))
    client = plan.client
    address = f"{client['address']}, {client['postcode']} {client['city']}"
    token = "-".join(_digits(rng, 3) for _ in range(3))
    location = f"https://visio.formations.example/{token}" if modality == "distanciel" else address
    price = (hours * rng.randrange(150, 265, 5) / 10).quantize(Decimal(1), ROUND_HALF_UP) * 10
    fee = (price * rng.randint(55, 70) / 100).quantize(Decimal(1), ROUND_HALF_UP)
    return Session(
        trap=plan.trap, programme=plan.programme, trainer=plan.trainer, client=client,
        funding=plan.funding, modality=modality, location=location, price=price, fee=fee,
        slots=_schedule(start, int(hours / SLOT_HOURS), rhythm),
        trainees=_trainees(rng, client, accented=plan.trap == "pec_fuzzy_names"),
    )


def _draw(rng: random.Random, as_of: date, plan: Plan, taken: set[tuple[str, date]]) -> Session:
    """Draw the session until it starts on a day when its client has no other session starting
    (two sessions with the same client and dates could not be told apart by a PEC)."""
    session = _plan_session(rng, as_of, plan)
    while (session.client["client_ref"], session.start) in taken:
        session = _plan_session(rng, as_of, plan)
    taken.add((session.client["client_ref"], session.start))
    return session


def _sessions(rng: random.Random, as_of: date, trainers: list[dict[str, str]],
              clients: list[dict[str, str]], programmes: list[dict[str, str]]) -> list[Session]:
    invoicing = [t for t in trainers if t["self_billing"] == "no"]
    declared = [c for c in clients if c["opco"]]
    long_ones = [p for p in programmes if Decimal(p["duration_hours"]) >= 14]
    sessions: list[Session] = []
    taken: set[tuple[str, date]] = set()
    for trap, lo, hi, funding in FORCED_PLANS:
        plan = Plan(trap, (lo, hi), funding,
                    rng.choice(long_ones if trap == "pec_fewer_hours" else programmes),
                    rng.choice(invoicing if trap == "trainer_invoice_mismatch" else trainers),
                    rng.choice(declared if trap == "pec_wrong_opco" else clients))
        sessions.append(_draw(rng, as_of, plan, taken))
    wrong = next(s for s in sessions if s.trap == "pec_wrong_session")
    after = (wrong.start - as_of).days + 7
    sibling_plan = Plan("", (after, after + 21), "opco_subrogation", rng.choice(programmes),
                        rng.choice(trainers), wrong.client)
    sibling = _draw(rng, as_of, sibling_plan, taken)
    sibling.needs_pec = True
    sessions.append(sibling)
    while len(sessions) < SESSION_COUNT:
        plan = Plan("", (-100, 60), rng.choices(FUNDINGS, weights=(55, 20, 25))[0],
                    rng.choice(programmes), rng.choice(trainers), rng.choice(clients),
                    free_rhythm=True)
        sessions.append(_draw(rng, as_of, plan, taken))
    sessions.sort(key=lambda s: s.start)  # stable: ties keep generation order
    trainees = (t for s in sessions for t in s.trainees)
    for n, trainee in enumerate(trainees, 1):
        trainee["trainee_ref"] = f"T-{n:04d}"
    for n, s in enumerate(sessions, 1):
        s.ref = s.pec_session_ref = f"S-{as_of.year}-{n:04d}"
    wrong.pec_session_ref = sibling.ref
    for s in sessions:
        _set_timeline(rng, as_of, s)
    return sessions


def _set_timeline(rng: random.Random, as_of: date, s: Session) -> None:
    if s.trap == "draft":
        return
    validated = s.start - timedelta(days=rng.randint(20, 45))
    if validated > as_of - timedelta(days=3):
        validated = as_of - timedelta(days=rng.randint(3, 8))
    s.validated_at = _paris_datetime(validated, rng.randint(8 * 60, 19 * 60))
    if s.trap == "cancelled":
        last = min(s.start, as_of) - timedelta(days=1)
        day = _random_day(rng, validated + timedelta(days=2), last)
        s.cancelled_at = _paris_datetime(day, rng.randint(9 * 60, 18 * 60))


def _session_row(s: Session) -> dict[str, str]:
    return {
        "session_ref": s.ref, "programme_ref": s.programme["programme_ref"],
        "trainer_ref": s.trainer["trainer_ref"], "client_ref": s.client["client_ref"],
        "start_date": s.start.isoformat(), "end_date": s.end.isoformat(),
        "hours_per_trainee": _hours(s.hours), "modality": s.modality, "location": s.location,
        "price_ht": _money(s.price), "trainer_fee_ht": _money(s.fee), "funding": s.funding,
        "validated_at": _iso(s.validated_at), "cancelled_at": _iso(s.cancelled_at),
    }


# --- funding approvals (PEC) ---------------------------------------------------------------

def _gets_pec(rng: random.Random, as_of: date, s: Session) -> bool:
    if s.funding == "company" or s.trap in NO_PEC_TRAPS:
        return False
    if s.needs_pec or s.start <= as_of + timedelta(days=15):
        return True
    return rng.random() < 0.6  # further ahead, some clients have not uploaded it yet


def _names_on_approval(s: Session) -> str:
    names = [f"{t['first_name']} {t['last_name']}" for t in s.trainees]
    if s.trap == "pec_fuzzy_names":
        names = [_ascii(f"{t['first_name']} {t['last_name'].upper()}") for t in s.trainees]
    return ";".join(names)


def _pec(rng: random.Random, as_of: date, s: Session) -> tuple[datetime, dict[str, str]]:
    assert s.validated_at is not None
    if s.trap == "pec_late":
        day = s.start + timedelta(days=rng.randint(1, 5))
    else:
        last = min(s.start - timedelta(days=2), as_of - timedelta(days=1))
        day = _random_day(rng, s.validated_at.date() + timedelta(days=2), last)
    received = _paris_datetime(day, rng.randint(7 * 60, 22 * 60))
    opco = _client_opco(s.client)
    if s.trap == "pec_wrong_opco":
        opco = rng.choice([code for code in OPCO_CODES if code != opco])
    amount, hours = s.price, s.hours
    if s.trap == "pec_partial":
        amount = (s.price * rng.randint(55, 85) / 1000).quantize(Decimal(1)) * 10
    if s.trap == "pec_fewer_hours":
        hours -= SLOT_HOURS
    title = s.programme["title"]
    return received, {
        "session_ref": "" if s.trap == "pec_no_session_ref" else s.pec_session_ref,
        "opco": opco, "client_siret": s.client["siret"],
        "title": rng.choice((title, title.split(" : ")[0], title.upper())),
        "start_date": s.start.isoformat(), "end_date": s.end.isoformat(), "hours": _hours(hours),
        "amount_granted_ht": _money(amount),
        "subrogation": "yes" if s.funding == "opco_subrogation" else "no",
        "trainees": _names_on_approval(s), "received_at": received.isoformat(),
    }


def _pecs(rng: random.Random, as_of: date,
          sessions: list[Session]) -> tuple[list[dict[str, str]], dict[str, bytes]]:
    pending = [_pec(rng, as_of, s) for s in sessions if _gets_pec(rng, as_of, s)]
    pending.sort(key=lambda pair: pair[0])
    number = rng.randrange(10_000, 40_000)
    rows, documents = [], {}
    for n, (received, row) in enumerate(pending, 1):
        number += rng.randint(1, 900)
        dossier = f"{DOSSIER_PREFIX[row['opco']]}-{received.year}-{number:06d}"
        row = {"pec_ref": f"PEC-{n:04d}", "dossier_number": dossier, **row, "document": ""}
        if rng.random() < 0.9:  # a few uploads came without the PDF
            row["document"] = f"accord-{dossier}.pdf"
            documents[row["document"]] = _approval_pdf(row)
        rows.append(row)
    return rows, documents


def _approval_pdf(pec: dict[str, str]) -> bytes:
    """A one-page PDF (Helvetica, WinAnsi text) standing for the uploaded approval."""
    lines = ["ACCORD DE PRISE EN CHARGE (document de démonstration)",
             f"OPCO : {pec['opco']}   Dossier : {pec['dossier_number']}",
             f"SIRET de l'entreprise : {pec['client_siret']}", f"Action : {pec['title']}",
             f"Du {pec['start_date']} au {pec['end_date']}, {pec['hours']} h par stagiaire",
             f"Montant accordé : {pec['amount_granted_ht']} EUR HT",
             f"Subrogation : {'oui' if pec['subrogation'] == 'yes' else 'non'}",
             f"Stagiaires : {pec['trainees'].replace(';', ', ')}"]
    escaped = [t.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") for t in lines]
    stream = ("BT /F1 10 Tf 14 TL 50 800 Td " + " ".join(f"({t}) '" for t in escaped)
              + " ET").encode("cp1252")
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
               b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
               b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream)]
    pdf, offsets = bytearray(b"%PDF-1.4\n"), []
    for n, body in enumerate(objects, 1):
        offsets.append(len(pdf))
        pdf += b"%d 0 obj\n%s\nendobj\n" % (n, body)
    xref = len(pdf)
    pdf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    pdf += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    pdf += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(pdf)


# --- delivery: attendance, completions, trainer invoices -----------------------------------

def _attendance(rng: random.Random, as_of: date, sessions: list[Session]) -> list[dict[str, str]]:
    done = [s for s in sessions if s.finished(as_of)]
    plain = [s for s in done if not s.trap]
    with_absences = rng.sample(plain, min(3, len(plain)))
    others = [s for s in plain if s not in with_absences]
    with_partials = rng.sample(others, min(2, len(others)))
    exceptions: dict[tuple[str, str, date, str], tuple[str, str]] = {}
    for s in with_absences:
        trainee = rng.choice(s.trainees)["trainee_ref"]
        for day, half in rng.sample(s.slots, min(2, len(s.slots))):
            exceptions[s.ref, trainee, day, half] = ("absent", "")
    for s in with_partials:
        day, half = rng.choice(s.slots)
        trainee = rng.choice(s.trainees)["trainee_ref"]
        exceptions[s.ref, trainee, day, half] = ("present", str(rng.choice((120, 150, 180))))
    rows = []
    for s in done:
        for day, half in s.slots:
            for t in s.trainees:
                key = (s.ref, t["trainee_ref"], day, half)
                status, minutes = exceptions.get(key, ("present", ""))
                rows.append({"session_ref": s.ref, "trainee_ref": t["trainee_ref"],
                             "date": day.isoformat(), "half_day": half, "status": status,
                             "minutes": minutes})
    return rows


def _minutes_of(text: str) -> int:
    hour, minute = text.split(":")
    return int(hour) * 60 + int(minute)


def _add_evidence(rng: random.Random, sessions: list[Session],
                  rows: list[dict[str, str]]) -> None:
    """The platform's evidence on each attendance row (its own random stream, so the rest of the
    demo does not move): the trainee's signature a few minutes after the start, the trainer's
    at the end of the half-day (also for an absent trainee), electronic or on paper, and at a
    distance the connection log. Gaps: in two sessions one trainee's half-day was declared
    present with no signature nor connection (not billed to the OPCO, listed for review)."""
    by_ref = {s.ref: s for s in sessions}
    refs = sorted({row["session_ref"] for row in rows})
    paper = set(rng.sample(refs, min(3, len(refs))))
    gaps = {(ref, *rng.choice([(r["trainee_ref"], r["date"], r["half_day"]) for r in rows
                                if r["session_ref"] == ref and r["status"] == "present"]))
            for ref in rng.sample(refs, min(2, len(refs)))}
    trainer_end: dict[tuple[str, str, str], int] = {}
    for row in rows:
        session, key = by_ref[row["session_ref"]], (row["session_ref"], row["date"], row["half_day"])
        start, end = (_minutes_of(t) for t in HALF_DAYS[row["half_day"]])
        day = date.fromisoformat(row["date"])
        trainer_end.setdefault(key, end + rng.randint(0, 8))
        evidence = dict.fromkeys(("trainee_signed_at", "trainer_signed_at", "signature_method",
                                  "login_at", "logout_at"), "")
        if (row["session_ref"], row["trainee_ref"], row["date"], row["half_day"]) not in gaps:
            evidence["trainer_signed_at"] = _iso(_paris_datetime(day, trainer_end[key]))
            evidence["signature_method"] = "paper" if row["session_ref"] in paper else "electronic"
            if row["status"] == "present":
                stayed = int(row["minutes"]) if row["minutes"] else end - start
                evidence["trainee_signed_at"] = _iso(_paris_datetime(day, start + rng.randint(0, 12)))
                if session.modality == "distanciel":
                    evidence["login_at"] = _iso(_paris_datetime(day, start - rng.randint(0, 6)))
                    evidence["logout_at"] = _iso(_paris_datetime(
                        day, start + stayed + rng.randint(0, 4)))
        row.update(evidence)


def _completions(rng: random.Random, as_of: date, sessions: list[Session]) -> dict[str, datetime]:
    return {s.ref: _paris_datetime(s.end, rng.randint(17 * 60 + 15, 20 * 60))
            for s in sessions if s.finished(as_of) and s.trap != "not_declared"}


def _trainer_invoices(rng: random.Random, as_of: date, sessions: list[Session],
                      declared: dict[str, datetime]) -> list[dict[str, str]]:
    numbers: dict[str, int] = {}
    rows = []
    for s in sorted((s for s in sessions if s.ref in declared), key=lambda s: (s.end, s.ref)):
        trainer = s.trainer
        mismatch = s.trap == "trainer_invoice_mismatch"
        if trainer["self_billing"] == "yes" or (not mismatch and rng.random() > 0.7):
            continue
        day = declared[s.ref].date() + timedelta(days=rng.randint(1, 12))
        if day >= as_of:
            continue
        ref = trainer["trainer_ref"]
        numbers[ref] = numbers.get(ref, rng.randint(3, 25)) + 1
        code = _ascii(trainer["last_name"]).replace(" ", "").upper()[:3]
        amount = s.fee + (Decimal(rng.choice((35, 70, 120))) if mismatch else 0)
        vat = (amount * Decimal("0.20")).quantize(CENT, ROUND_HALF_UP) if (
            trainer["vat_regime"] == "vat") else Decimal(0)
        rows.append({
            "session_ref": s.ref, "trainer_ref": ref,
            "number": f"F-{code}-{day.year}-{numbers[ref]:03d}",
            "amount_ht": _money(amount), "vat": _money(vat), "amount_ttc": _money(amount + vat),
            "received_at": _paris_datetime(day, rng.randint(8 * 60, 21 * 60)).isoformat(),
        })
    return rows


# --- assembly and output -------------------------------------------------------------------

def build_demo(seed: int = DEFAULT_SEED, as_of: date = DEMO_AS_OF) -> Demo:
    """Everything the export holds, as rows per file name, PDF documents, and the trap table."""
    rng = random.Random(seed)
    trainers, clients, programmes = _trainers(rng), _clients(rng), _programmes()
    sessions = _sessions(rng, as_of, trainers, clients, programmes)
    pecs, documents = _pecs(rng, as_of, sessions)
    attendance = _attendance(rng, as_of, sessions)
    _add_evidence(random.Random(f"evidence-{seed}"), sessions, attendance)
    _bpf_statuses(random.Random(f"bpf-{seed}"), sessions)
    declared = _completions(rng, as_of, sessions)
    invoices = _trainer_invoices(rng, as_of, sessions, declared)
    tables = {
        "trainers.csv": trainers, "clients.csv": clients, "programmes.csv": programmes,
        "sessions.csv": [_session_row(s) for s in sessions],
        "slots.csv": [{"session_ref": s.ref, "date": day.isoformat(), "start": HALF_DAYS[half][0],
                       "end": HALF_DAYS[half][1]} for s in sessions for day, half in s.slots],
        "trainees.csv": [{"session_ref": s.ref, **t} for s in sessions for t in s.trainees],
        "pecs.csv": pecs, "attendance.csv": attendance,
        "completions.csv": [{"session_ref": ref, "declared_at": moment.isoformat()}
                            for ref, moment in declared.items()],
        "trainer_invoices.csv": invoices,
    }
    return Demo(tables=tables, documents=documents,
                traps={s.ref: s.trap for s in sessions if s.trap})


def demo_traps(seed: int = DEFAULT_SEED, as_of: date = DEMO_AS_OF) -> dict[str, str]:
    """session_ref -> trap code (see the module docstring) for the demo of this seed."""
    return build_demo(seed, as_of).traps


def write_demo_export(folder: Path, *, seed: int = DEFAULT_SEED,
                      as_of: date = DEMO_AS_OF) -> dict[str, int]:
    """Write a realistic platform export (the CSV files of platform-export.md) into folder.
    Deterministic: same seed and as_of -> byte-identical files. Returns row counts per file name."""
    demo = build_demo(seed, as_of)
    folder = Path(folder)
    (folder / "documents").mkdir(parents=True, exist_ok=True)
    for name, rows in demo.tables.items():
        with (folder / name).open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=COLUMNS[name], lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
    for name, content in demo.documents.items():
        (folder / "documents" / name).write_bytes(content)
    return {name: len(rows) for name, rows in demo.tables.items()}


DEMO_TRAPS: dict[str, str] = demo_traps()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write the demo platform export (CSV files).")
    parser.add_argument("out_dir", type=Path, help="folder to write the export into")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--as-of", type=date.fromisoformat, default=DEMO_AS_OF,
                        help="business date the demo is built around (YYYY-MM-DD)")
    args = parser.parse_args(argv)
    counts = write_demo_export(args.out_dir, seed=args.seed, as_of=args.as_of)
    for name, count in counts.items():
        print(f"{name:<22} {count:>5}")
    print(f"written to {args.out_dir}")


if __name__ == "__main__":
    main()
