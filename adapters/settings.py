"""One settings object, read from the environment once (see docs/settings.md and .env.example)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from backoffice.identifiers import (
    bic_problem,
    email_problem,
    french_vat_problem,
    iban_problem,
    nda_problem,
    reserved_domain,
    siret_problem,
)
from backoffice.payouts import NdaPolicy, PayoutMode

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class SettingsError(ValueError):
    """A setting that cannot be right; the message names the variable."""


@dataclass(frozen=True, slots=True)
class Marketplace:
    """The marketplace's own legal identity: it is the organisme de formation on every document."""

    name: str = "Ganapati Formation SAS"
    address: str = "12 rue de la Paix"
    postcode: str = "75002"
    city: str = "Paris"
    siret: str = "73282932000074"
    nda: str = "11755555575"
    nda_region: str = "Île-de-France"
    qualiopi_number: str = "QUALIOPI-2024-0042"
    iban: str = "FR7630006000011234567890189"
    bic: str = "AGRIFRPPXXX"
    email: str = "backoffice@ganapati.example"
    phone: str = "01 23 45 67 89"
    representative: str = "Claire Morel, présidente"  # signs the certificats de réalisation
    vat_number: str = "FR44732829320"  # intra-community VAT number, printed on invoices
    # the one référent handicap, named on the programme, the convention and the convocations
    handicap_referent: str = "Claire Morel, handicap@ganapati.example, 01 23 45 67 89"

    @property
    def siren(self) -> str:
        """The legal entity (the SIRET's first nine digits): the FEC's file name."""
        return self.siret[:9]


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str
    port: int = 587
    user: str | None = None
    password: str | None = None
    security: str = "starttls"  # none | starttls | ssl


@dataclass(frozen=True, slots=True)
class Settings:
    database_url: str
    data_dir: Path
    export_inbox: Path
    bank_inbox: Path
    invoices_inbox: Path  # CSV files of open invoices from a previous tool (import-invoices)
    output_dir: Path
    outbox_dir: Path
    marketplace: Marketplace = field(default_factory=Marketplace)
    smtp: SmtpSettings | None = None
    operator_email: str = Marketplace().email  # where incidents are reported (services/alerts.py)
    pec_reminder_days: tuple[int, ...] = (15, 7, 2)
    smtp_retry_pauses: tuple[float, ...] = (1.0, 5.0)  # seconds between tries within a run
    # e-mail to reserved domains (.example, .test…: RFC 2606/6761) sent, not refused: the demo
    # and the tests only, whose data are all on .example (adapters/mailer.py)
    allow_reserved_email_domains: bool = False
    render_workers: int = 2  # processes rendering PDFs in parallel
    payment_days: int = 30  # invoices are due this many days after issue
    invoice_reminder_days: tuple[int, ...] = (7, 30)  # unpaid invoices chased after the due date
    absences_on_separate_invoice: bool = False
    cancellation_fee_rate: Decimal = Decimal("0.30")  # late cancellation (< 10 working days)
    payout_mode: PayoutMode = PayoutMode.when_paid  # or pro_rata of what the funders paid
    nda_policy: NdaPolicy = NdaPolicy.warn  # a trainer without NDA: warn, or block the payout
    sepa_version: str = "03"  # pain.001.001.03, or "09" (ISO 2019, structured addresses)
    # bank accounts (IBAN or the bank's account number): those where funders pay, whose credits
    # are matched to invoices (the marketplace's IBAN always is one), and our others (savings…),
    # imported but never matched; a statement of any other account is held for review
    collection_accounts: tuple[str, ...] = ()
    other_accounts: tuple[str, ...] = ()

    @property
    def collection_ibans(self) -> frozenset[str]:
        """The accounts whose credits feed invoice matching."""
        return frozenset({self.marketplace.iban, *self.collection_accounts})

    @property
    def own_accounts(self) -> frozenset[str]:
        """Every account of ours: a transfer between two of them is no payment."""
        return self.collection_ibans | set(self.other_accounts)

    @property
    def mail_backend(self) -> str:
        return "smtp" if self.smtp else "eml"


def _path(env: dict[str, str], name: str, default: Path) -> Path:
    value = env.get(name, "").strip()
    return Path(value).expanduser().resolve() if value else default


def read_dotenv(path: Path) -> dict[str, str]:
    """KEY=VALUE lines of a .env file; `#` starts a comment; values may be quoted."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        name, value = (part.strip() for part in line.split("=", 1))
        if value[:1] in "\"'" and value and value.rfind(value[0]) > 0:
            value = value[1 : value.rfind(value[0])]
        else:
            value = re.split(r"(?:^|\s)#", value, maxsplit=1)[0].strip()
        values[name.removeprefix("export ").strip()] = value
    return values


def settings_from_env(env: dict[str, str] | None = None) -> Settings:
    """Build Settings from an environment mapping; by default the process environment over the
    project's .env file (BACKOFFICE_ENV_FILE names another). Empty means default."""
    if env is None:
        dotenv = read_dotenv(Path(os.environ.get("BACKOFFICE_ENV_FILE", PROJECT_ROOT / ".env")))
        env = {**dotenv, **os.environ}
    env = dict(env)
    data_dir = _path(env, "BACKOFFICE_DATA_DIR", PROJECT_ROOT / "data" / "local")
    database_url = env.get("DATABASE_URL", "").strip() or f"sqlite:///{data_dir / 'backoffice.sqlite3'}"
    defaults = Marketplace()
    marketplace = Marketplace(**{
        name: env.get(f"MARKETPLACE_{name.upper()}", "").strip() or getattr(defaults, name)
        for name in Marketplace.__dataclass_fields__
    })
    _check_identity(marketplace)
    smtp = None
    if env.get("SMTP_HOST", "").strip():
        smtp = SmtpSettings(
            host=env["SMTP_HOST"].strip(),
            port=int(env.get("SMTP_PORT", "").strip() or 587),
            user=env.get("SMTP_USER", "").strip() or None,
            password=env.get("SMTP_PASSWORD") or None,
            security=env.get("SMTP_SECURITY", "").strip() or "starttls",
        )
    operator_email = env.get("BACKOFFICE_OPERATOR_EMAIL", "").strip() or marketplace.email
    if email_problem(operator_email):
        raise SettingsError(f"BACKOFFICE_OPERATOR_EMAIL : {email_problem(operator_email)}")
    return Settings(
        database_url=database_url,
        data_dir=data_dir,
        export_inbox=_path(env, "BACKOFFICE_EXPORT_INBOX", data_dir / "inbox" / "platform-export"),
        bank_inbox=_path(env, "BACKOFFICE_BANK_INBOX", data_dir / "inbox" / "bank"),
        invoices_inbox=_path(env, "BACKOFFICE_INVOICES_INBOX", data_dir / "inbox" / "invoices"),
        output_dir=_path(env, "BACKOFFICE_OUTPUT_DIR", data_dir / "output"),
        outbox_dir=_path(env, "BACKOFFICE_OUTBOX_DIR", data_dir / "outbox"),
        marketplace=marketplace,
        smtp=smtp,
        operator_email=operator_email,
        pec_reminder_days=_days(env.get("BACKOFFICE_PEC_REMINDER_DAYS", "")),
        payment_days=int(env.get("BACKOFFICE_PAYMENT_DAYS", "").strip() or 30),
        invoice_reminder_days=tuple(sorted(int(d) for d in (
            env.get("BACKOFFICE_INVOICE_REMINDER_DAYS", "").strip() or "7,30").split(","))),
        absences_on_separate_invoice=env.get("BACKOFFICE_ABSENCES_ON_SEPARATE_INVOICE", "")
        .strip().lower() in ("1", "yes", "true"),
        cancellation_fee_rate=Decimal(env.get("BACKOFFICE_CANCELLATION_FEE_RATE", "").strip()
                                      or "0.30"),
        payout_mode=PayoutMode(_choice(env, "BACKOFFICE_PAYOUT_MODE", PayoutMode)),
        nda_policy=NdaPolicy(_choice(env, "BACKOFFICE_NDA_POLICY", NdaPolicy)),
        sepa_version=_choice(env, "BACKOFFICE_SEPA_VERSION", ("03", "09")),
        render_workers=int(env.get("BACKOFFICE_RENDER_WORKERS", "").strip()
                           or min(2, os.cpu_count() or 1)),
        smtp_retry_pauses=tuple(float(p) for p in env.get("SMTP_RETRY_PAUSES", "1,5").split(",")
                                if p.strip()),
        allow_reserved_email_domains=_yes_no(env, "BACKOFFICE_ALLOW_RESERVED_EMAIL_DOMAINS"),
        collection_accounts=_accounts(env, "BACKOFFICE_COLLECTION_ACCOUNTS"),
        other_accounts=_accounts(env, "BACKOFFICE_OTHER_ACCOUNTS"),
    )


def _accounts(env: dict[str, str], name: str) -> tuple[str, ...]:
    """"FR76…, 00040123456": IBANs (checked) or banks' account numbers, as statements give them."""
    accounts = []
    for part in env.get(name, "").split(","):
        account = "".join(part.split()).upper()
        if not account:
            continue
        if account[:2].isalpha() and iban_problem(account):
            raise SettingsError(f"{name} : {account} : {iban_problem(account)}")
        accounts.append(account)
    return tuple(accounts)


def _yes_no(env: dict[str, str], name: str) -> bool:
    """A switch, off when empty; anything but yes/no (1/0, true/false) is refused."""
    value = env.get(name, "").strip().lower()
    if value in ("", "no", "0", "false"):
        return False
    if value in ("yes", "1", "true"):
        return True
    raise SettingsError(f"{name}={value!r} : valeurs possibles yes, no")


def _choice(env: dict[str, str], name: str, allowed: Iterable[str]) -> str:
    """The setting's value, or the first allowed one when empty; anything else is refused."""
    values = [str(value) for value in allowed]
    value = env.get(name, "").strip() or values[0]
    if value not in values:
        raise SettingsError(f"{name}={value!r} : valeurs possibles {', '.join(values)}")
    return value


def _days(text: str) -> tuple[int, ...]:
    """"15,7,2" → (15, 7, 2): days before the start when a missing PEC is chased."""
    if not text.strip():
        return (15, 7, 2)
    try:
        days = tuple(sorted({int(part) for part in text.split(",") if part.strip()}, reverse=True))
    except ValueError as exc:
        raise SettingsError(f"BACKOFFICE_PEC_REMINDER_DAYS : « {text} » n'est pas une liste de "
                            "jours (ex. 15,7,2)") from exc
    if not days or days[-1] < 1:
        raise SettingsError("BACKOFFICE_PEC_REMINDER_DAYS : des jours positifs sont attendus")
    return days


def _check_identity(marketplace: Marketplace) -> None:
    """The marketplace's identity goes on every legal document: refuse to start with a bad one."""
    checks = {"siret": siret_problem, "nda": nda_problem, "iban": iban_problem,
              "bic": bic_problem, "email": email_problem,
              "vat_number": lambda v: french_vat_problem(v) if v else None}
    problems = [f"MARKETPLACE_{name.upper()} : {problem}"
                for name, check in checks.items()
                if (problem := check(getattr(marketplace, name)))]
    if problems:
        raise SettingsError("; ".join(problems))


FICTITIOUS_MARKETPLACE = Marketplace()  # the demo's organisme de formation: nobody's identity
# What tells it from a real one: its numbers and its addresses (its city or its phone number
# may well be a real marketplace's too)
_IDENTIFYING = ("siret", "nda", "qualiopi_number", "iban", "vat_number", "email",
                "handicap_referent")
_EMAIL_ADDRESS = re.compile(r"[^@\s,;<>()]+@[^@\s,;<>()]+")


class IdentityIncomplete(SettingsError):
    """The marketplace's identity is still (partly) the demo's: nothing may carry it."""

    def __init__(self, variables: tuple[str, ...]) -> None:
        self.variables = variables
        super().__init__(
            f"Identité de la marketplace à renseigner : {', '.join(variables)} "
            f"{'garde' if len(variables) == 1 else 'gardent'} la valeur fictive de la "
            "démonstration ou une adresse e-mail sur un domaine réservé (.example…). Les "
            "renseigner dans .env (docs/settings.md) : d'ici là, aucun document, facture, "
            "e-mail, virement ni FEC n'est produit.")


def identity_placeholders(marketplace: Marketplace) -> tuple[str, ...]:
    """The MARKETPLACE_ variables still holding the demo's fictitious identity, or an e-mail
    address on a reserved domain (RFC 2606, RFC 6761)."""
    return tuple(f"MARKETPLACE_{name.upper()}" for name in _IDENTIFYING
                 if (value := getattr(marketplace, name)) == getattr(FICTITIOUS_MARKETPLACE, name)
                 or any(reserved_domain(address) for address in _EMAIL_ADDRESS.findall(value)))


def marketplace_identity(settings: Settings) -> Marketplace:
    """The identity that documents, invoices, e-mails, transfers and the FEC carry. Outside
    the demo and the tests (reserved e-mail domains refused), the demo's fictitious identity
    raises `IdentityIncomplete`: an invoice with another company's SIRET and an IBAN that is
    not the marketplace's must never leave."""
    placeholders = identity_placeholders(settings.marketplace)
    if placeholders and not settings.allow_reserved_email_domains:
        raise IdentityIncomplete(placeholders)
    return settings.marketplace


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return settings_from_env()
