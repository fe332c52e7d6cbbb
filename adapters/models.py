"""The database schema: SQLAlchemy 2.1 models, the same on SQLite and PostgreSQL.

Entities from the platform export are keyed by their `*_ref` (natural keys: what people quote).
Money and hours are exact decimals on both databases; instants are stored in UTC.
Every change of the schema goes through an Alembic migration (adapters/migrations).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    Time,
    TypeDecorator,
    UniqueConstraint,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeEngine

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class ExactDecimal(TypeDecorator[Decimal]):
    """NUMERIC on PostgreSQL; text on SQLite, whose NUMERIC would go through a float."""

    impl = Numeric
    cache_ok = True

    def __init__(self, precision: int = 14, scale: int = 2) -> None:
        super().__init__(precision=precision, scale=scale)
        self.precision, self.scale = precision, scale

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(String(32))
        return dialect.type_descriptor(Numeric(self.precision, self.scale, asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, Decimal):
            raise TypeError(f"exact decimal columns take Decimal, not {type(value).__name__}")
        return str(value) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        return None if value is None else Decimal(str(value))


class UTCDateTime(TypeDecorator[datetime]):
    """An instant: aware datetimes in, stored as UTC, aware UTC datetimes out."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("instants must be timezone-aware")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


Money = ExactDecimal(14, 2)
Hours = ExactDecimal(8, 2)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    if TYPE_CHECKING:  # every model here is mapped to a table of its own (`__tablename__`)
        __table__: ClassVar[Table]


class Trainer(Base):
    __tablename__ = "trainers"
    trainer_ref: Mapped[str] = mapped_column(String(64), primary_key=True)
    first_name: Mapped[str] = mapped_column(String(120))
    last_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254))
    siret: Mapped[str] = mapped_column(String(14))
    nda: Mapped[str | None] = mapped_column(String(11))
    iban: Mapped[str] = mapped_column(String(34))
    bic: Mapped[str | None] = mapped_column(String(11))
    vat_regime: Mapped[str] = mapped_column(String(16))
    self_billing: Mapped[bool] = mapped_column(Boolean, default=False)
    address: Mapped[str | None] = mapped_column(Text)
    postcode: Mapped[str | None] = mapped_column(String(16))
    city: Mapped[str | None] = mapped_column(String(120))


class Client(Base):
    __tablename__ = "clients"
    client_ref: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    siret: Mapped[str] = mapped_column(String(14), index=True)
    address: Mapped[str] = mapped_column(Text)
    postcode: Mapped[str] = mapped_column(String(16))
    city: Mapped[str] = mapped_column(String(120))
    idcc: Mapped[str | None] = mapped_column(String(4))
    headcount: Mapped[int | None] = mapped_column(Integer)
    contact_name: Mapped[str] = mapped_column(String(200))
    contact_email: Mapped[str] = mapped_column(String(254))
    opco: Mapped[str | None] = mapped_column(String(32))


class Programme(Base):
    __tablename__ = "programmes"
    programme_ref: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    objectives: Mapped[str] = mapped_column(Text)
    content: Mapped[str] = mapped_column(Text)
    prerequisites: Mapped[str] = mapped_column(Text)
    audience: Mapped[str] = mapped_column(Text)
    methods: Mapped[str] = mapped_column(Text)
    evaluation: Mapped[str] = mapped_column(Text)
    accessibility: Mapped[str] = mapped_column(Text)
    duration_hours: Mapped[Decimal] = mapped_column(Hours)
    # BPF (docs/bpf.md): the Cerfa 10443 F-3 objective and the NSF specialty code; None: unknown
    objective: Mapped[str | None] = mapped_column(String(16))
    nsf_code: Mapped[str | None] = mapped_column(String(8))


class Session(Base):
    __tablename__ = "sessions"
    session_ref: Mapped[str] = mapped_column(String(64), primary_key=True)
    programme_ref: Mapped[str] = mapped_column(ForeignKey("programmes.programme_ref"), index=True)
    trainer_ref: Mapped[str] = mapped_column(ForeignKey("trainers.trainer_ref"), index=True)
    client_ref: Mapped[str] = mapped_column(ForeignKey("clients.client_ref"), index=True)
    start_date: Mapped[date] = mapped_column(Date, index=True)
    end_date: Mapped[date] = mapped_column(Date)
    hours_per_trainee: Mapped[Decimal] = mapped_column(Hours)
    modality: Mapped[str] = mapped_column(String(16))
    location: Mapped[str | None] = mapped_column(Text)
    price_ht: Mapped[Decimal] = mapped_column(Money)
    trainer_fee_ht: Mapped[Decimal] = mapped_column(Money)
    funding: Mapped[str] = mapped_column(String(32))
    validated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Slot(Base):
    __tablename__ = "slots"
    session_ref: Mapped[str] = mapped_column(ForeignKey("sessions.session_ref"), primary_key=True)
    date: Mapped[date] = mapped_column(Date, primary_key=True)
    start: Mapped[time] = mapped_column(Time, primary_key=True)
    end: Mapped[time] = mapped_column(Time)


class Trainee(Base):
    __tablename__ = "trainees"
    session_ref: Mapped[str] = mapped_column(ForeignKey("sessions.session_ref"), primary_key=True)
    trainee_ref: Mapped[str] = mapped_column(String(64), primary_key=True)
    first_name: Mapped[str] = mapped_column(String(120))
    last_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254))
    job_title: Mapped[str | None] = mapped_column(String(200))
    # BPF (docs/bpf.md): the trainee's status, a Cerfa 10443 F-1 line; None: unknown
    bpf_status: Mapped[str | None] = mapped_column(String(16))


class Pec(Base):
    """A funding approval as the client uploaded it; session_ref is the client's claim, unchecked."""

    __tablename__ = "pecs"
    pec_ref: Mapped[str] = mapped_column(String(64), primary_key=True)
    session_ref: Mapped[str | None] = mapped_column(String(64), index=True)
    opco: Mapped[str] = mapped_column(String(32))
    dossier_number: Mapped[str] = mapped_column(String(64), index=True)
    client_siret: Mapped[str] = mapped_column(String(14), index=True)
    title: Mapped[str | None] = mapped_column(String(300))
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date] = mapped_column(Date)
    hours: Mapped[Decimal] = mapped_column(Hours)
    amount_granted_ht: Mapped[Decimal] = mapped_column(Money)
    subrogation: Mapped[bool] = mapped_column(Boolean)
    trainees: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    document: Mapped[str | None] = mapped_column(String(300))


class Attendance(Base):
    __tablename__ = "attendance"
    __table_args__ = (
        ForeignKeyConstraint(["session_ref", "trainee_ref"],
                             ["trainees.session_ref", "trainees.trainee_ref"]),
    )
    session_ref: Mapped[str] = mapped_column(String(64), primary_key=True)
    trainee_ref: Mapped[str] = mapped_column(String(64), primary_key=True)
    date: Mapped[date] = mapped_column(Date, primary_key=True)
    half_day: Mapped[str] = mapped_column(String(2), primary_key=True)
    status: Mapped[str] = mapped_column(String(8))
    minutes: Mapped[int | None] = mapped_column(Integer)
    # the evidence of the half-day (docs/platform-export.md): signatures and connection log
    trainee_signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    trainer_signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    signature_method: Mapped[str | None] = mapped_column(String(16))
    login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    logout_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Completion(Base):
    __tablename__ = "completions"
    session_ref: Mapped[str] = mapped_column(ForeignKey("sessions.session_ref"), primary_key=True)
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime)


class TrainerInvoice(Base):
    __tablename__ = "trainer_invoices"
    trainer_ref: Mapped[str] = mapped_column(ForeignKey("trainers.trainer_ref"), primary_key=True)
    number: Mapped[str] = mapped_column(String(64), primary_key=True)
    session_ref: Mapped[str] = mapped_column(ForeignKey("sessions.session_ref"), index=True)
    amount_ht: Mapped[Decimal] = mapped_column(Money)
    vat: Mapped[Decimal] = mapped_column(Money)
    amount_ttc: Mapped[Decimal] = mapped_column(Money)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RowHistory(Base):
    """Every change an ingest made to an existing row: before and after, with the source file."""

    __tablename__ = "row_history"
    __table_args__ = (Index("ix_row_history_entity_ref", "entity", "ref"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entity: Mapped[str] = mapped_column(String(32))
    ref: Mapped[str] = mapped_column(String(300))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(Text)
    before: Mapped[dict[str, Any]] = mapped_column(JSON)
    after: Mapped[dict[str, Any]] = mapped_column(JSON)


class Effect(Base):
    """The outbox: every e-mail, number and transfer is recorded here, keyed, before it happens."""

    __tablename__ = "effects"
    __table_args__ = (UniqueConstraint("idempotency_key"),
                      Index("ix_effects_kind_state", "kind", "state"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending | done | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[str | None] = mapped_column(Text)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditEntry(Base):
    """An automated decision: what was decided, why, on which inputs, when, by which run."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_subject", "subject"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(120))
    subject: Mapped[str] = mapped_column(String(300))
    reason: Mapped[str] = mapped_column(Text)
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON)


class ReviewItem(Base):
    """Something a human must look at (a PEC discrepancy, an uncertain payment…), once per key."""

    __tablename__ = "review_items"
    __table_args__ = (UniqueConstraint("key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(300))
    reasons: Mapped[list[str]] = mapped_column(JSON)
    proposals: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | resolved
    resolution: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


ENTITY_MODELS: dict[str, type[Base]] = {
    "trainer": Trainer, "client": Client, "programme": Programme, "session": Session,
    "slot": Slot, "trainee": Trainee, "pec": Pec, "attendance": Attendance,
    "completion": Completion, "trainer_invoice": TrainerInvoice,
}


class PecState(Base):
    """The pipeline's (or an operator's) decision on a PEC; history is in the audit log."""

    __tablename__ = "pec_states"
    pec_ref: Mapped[str] = mapped_column(ForeignKey("pecs.pec_ref"), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))  # validated|review|accepted|rejected|superseded
    session_ref: Mapped[str | None] = mapped_column(ForeignKey("sessions.session_ref"), index=True)
    problems: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    proposals: Mapped[list[str]] = mapped_column(JSON, default=list)
    automatic: Mapped[bool] = mapped_column(Boolean, default=False)
    reste_a_charge: Mapped[Decimal | None] = mapped_column(Money)
    superseded_by: Mapped[str | None] = mapped_column(String(64))
    decided_by: Mapped[str] = mapped_column(String(16))  # pipeline | operator
    note: Mapped[str | None] = mapped_column(Text)
    decided_on: Mapped[date] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SessionFunding(Base):
    """How an OPCO-funded session stands: awaiting its PEC, in review, funded, or billed to the
    company (no validated PEC on day 1); with the estimate shown on the devis."""

    __tablename__ = "session_funding"
    session_ref: Mapped[str] = mapped_column(ForeignKey("sessions.session_ref"), primary_key=True)
    status: Mapped[str] = mapped_column(String(20))  # awaiting_pec|pec_review|funded|company_billing
    pec_ref: Mapped[str | None] = mapped_column(String(64))
    opco: Mapped[str | None] = mapped_column(String(32))
    dossier_number: Mapped[str | None] = mapped_column(String(64))
    opco_share: Mapped[Decimal | None] = mapped_column(Money)
    reste_a_charge: Mapped[Decimal | None] = mapped_column(Money)
    green_light_on: Mapped[date | None] = mapped_column(Date)
    switched_on: Mapped[date | None] = mapped_column(Date)
    estimated_opco_share: Mapped[Decimal | None] = mapped_column(Money)
    estimated_reste_a_charge: Mapped[Decimal | None] = mapped_column(Money)
    estimate_basis: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ClientOpco(Base):
    """The OPCO a validated (or accepted) PEC named for a client: the final truth."""

    __tablename__ = "client_opcos"
    client_ref: Mapped[str] = mapped_column(ForeignKey("clients.client_ref"), primary_key=True)
    opco: Mapped[str] = mapped_column(String(32))
    pec_ref: Mapped[str] = mapped_column(String(64))
    confirmed_on: Mapped[date] = mapped_column(Date)


class DocumentSet(Base):
    """A set of documents produced for a session (bundle, start_kit, certificates), versioned.

    A version once recorded is immutable; `inputs` is what its documents say, by topic, so the
    next version can explain what changed."""

    __tablename__ = "document_sets"
    session_ref: Mapped[str] = mapped_column(ForeignKey("sessions.session_ref"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    inputs: Mapped[dict[str, str]] = mapped_column(JSON)
    explanation: Mapped[str | None] = mapped_column(Text)
    issued_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    email_keys: Mapped[list[str]] = mapped_column(JSON, default=list)


class DocumentFile(Base):
    """One file of a document set, with its SHA-256 (path relative to the output folder)."""

    __tablename__ = "document_files"
    __table_args__ = (
        ForeignKeyConstraint(["session_ref", "kind", "version"],
                             ["document_sets.session_ref", "document_sets.kind",
                              "document_sets.version"]),
        UniqueConstraint("session_ref", "kind", "version", "name"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    session_ref: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(120))
    path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))


class NumberSeries(Base):
    """The counter of a gap-free number series (FA invoices, AV credit notes), per year."""

    __tablename__ = "number_series"
    series: Mapped[str] = mapped_column(String(80), primary_key=True)  # AF-<trainer_ref> too
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer, default=0)
    last_issued_on: Mapped[date | None] = mapped_column(Date)


class Invoice(Base):
    """An issued invoice or credit note. Its number and content never change once issued
    (corrections go through a credit note); only its delivery and payment state move."""

    __tablename__ = "invoices"
    __table_args__ = (UniqueConstraint("number"), UniqueConstraint("session_ref", "invoice_key"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    number: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16))  # invoice | credit_note
    session_ref: Mapped[str] = mapped_column(ForeignKey("sessions.session_ref"), index=True)
    invoice_key: Mapped[str] = mapped_column(String(64))  # opco, company, absences, … per session
    funder_kind: Mapped[str] = mapped_column(String(16))  # opco | company
    funder_ref: Mapped[str] = mapped_column(String(64))  # OPCO code or client_ref
    funder_name: Mapped[str] = mapped_column(String(200))
    billing_email: Mapped[str] = mapped_column(String(254))
    dossier_number: Mapped[str | None] = mapped_column(String(64))
    issue_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    total_ht: Mapped[Decimal] = mapped_column(Money)
    total_vat: Mapped[Decimal] = mapped_column(Money)
    total_ttc: Mapped[Decimal] = mapped_column(Money)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)  # what the PDF and Factur-X say
    credit_note_of: Mapped[str | None] = mapped_column(String(32), index=True)
    status: Mapped[str] = mapped_column(String(16), default="issued")  # issued|cancelled|paid…
    paid_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    pdf_path: Mapped[str | None] = mapped_column(Text)
    sha256: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class StatementFile(Base):
    """A bank statement file imported once (by its SHA-256), then archived."""

    __tablename__ = "statement_files"
    __table_args__ = (UniqueConstraint("sha256"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    sha256: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(300))
    profile: Mapped[str] = mapped_column(String(64))
    account: Mapped[str] = mapped_column(String(34))
    lines: Mapped[int] = mapped_column(Integer)
    new_lines: Mapped[int] = mapped_column(Integer)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)


class BankLine(Base):
    """One statement line, kept once per account and fingerprint (occurrence index included)."""

    __tablename__ = "statement_lines"
    __table_args__ = (UniqueConstraint("account", "fingerprint"),
                      Index("ix_statement_lines_date_amount", "booking_date", "amount"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("statement_files.id"))
    line: Mapped[int] = mapped_column(Integer)
    account: Mapped[str] = mapped_column(String(34))
    fingerprint: Mapped[str] = mapped_column(String(80))
    booking_date: Mapped[date] = mapped_column(Date)
    value_date: Mapped[date | None] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Money)
    label: Mapped[str] = mapped_column(Text)
    counterparty: Mapped[str] = mapped_column(Text)
    counterparty_iban: Mapped[str] = mapped_column(String(34))
    reference: Mapped[str] = mapped_column(Text)
    bank_id: Mapped[str] = mapped_column(String(120))
    classification: Mapped[str] = mapped_column(String(20))
    duplicate_of: Mapped[int | None] = mapped_column(Integer)  # probable duplicate, flagged
    # camt: a reversal (RvslInd) or return (RtrInf) of an earlier movement; its charges (Chrgs)
    reversal: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    charges: Mapped[Decimal | None] = mapped_column(Money)
    # when the payouts' tracking read it (own transfers and returns: services/payouts.py)
    payouts_tracked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class Allocation(Base):
    """Part of a bank credit applied to (or proposed for) an invoice."""

    __tablename__ = "allocations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("statement_lines.id"), index=True)
    invoice_number: Mapped[str] = mapped_column(String(32), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    state: Mapped[str] = mapped_column(String(16))  # applied | proposed | rejected
    score: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(Text)  # the evidence, in French
    decided_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PayerIban(Base):
    """An IBAN known to belong to a funder, learned from a confirmed payment."""

    __tablename__ = "payer_ibans"
    iban: Mapped[str] = mapped_column(String(34), primary_key=True)
    funder_ref: Mapped[str] = mapped_column(String(64))
    learned_from_line: Mapped[int | None] = mapped_column(Integer)
    learned_at: Mapped[datetime] = mapped_column(UTCDateTime)


class LegacyInvoice(Base):
    """An open invoice issued before the pipeline existed, imported so its payment matches."""

    __tablename__ = "legacy_invoices"
    number: Mapped[str] = mapped_column(String(64), primary_key=True)
    funder_name: Mapped[str] = mapped_column(String(200))
    funder_kind: Mapped[str] = mapped_column(String(16))  # opco | company
    dossier_number: Mapped[str | None] = mapped_column(String(64))
    session_ref: Mapped[str | None] = mapped_column(String(64))
    amount_ttc: Mapped[Decimal] = mapped_column(Money)
    issue_date: Mapped[date] = mapped_column(Date)
    funder_iban: Mapped[str | None] = mapped_column(String(34))
    paid_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    status: Mapped[str] = mapped_column(String(16), default="issued")


class PayoutBatch(Base):
    """One pain.001 file: the transfers executed on one date. Frozen once created: its bytes are
    kept, so exporting it again gives the same file, never a second batch."""

    __tablename__ = "payout_batches"
    __table_args__ = (UniqueConstraint("execution_date", "sequence"),)
    id: Mapped[str] = mapped_column(String(35), primary_key=True)  # the MsgId
    execution_date: Mapped[date] = mapped_column(Date)
    sequence: Mapped[int] = mapped_column(Integer)
    version: Mapped[str] = mapped_column(String(2))  # pain.001.001.03 | .09
    transfers: Mapped[int] = mapped_column(Integer)
    total: Mapped[Decimal] = mapped_column(Money)
    xml: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(Text)  # relative to the output folder
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Payout(Base):
    """What the marketplace pays a trainer for a session (one per session, or one per tranche
    when paying pro rata). The id is the transfer's EndToEndId; the creditor's details are
    copied when the payout is decided, so the file never changes afterwards."""

    __tablename__ = "payouts"
    __table_args__ = (UniqueConstraint("session_ref", "sequence"),)
    id: Mapped[str] = mapped_column(String(20), primary_key=True)  # PO-2026-000042
    session_ref: Mapped[str] = mapped_column(ForeignKey("sessions.session_ref"), index=True)
    sequence: Mapped[int] = mapped_column(Integer)  # 1, then 2… for later tranches or a retry
    trainer_ref: Mapped[str] = mapped_column(ForeignKey("trainers.trainer_ref"), index=True)
    amount_ht: Mapped[Decimal] = mapped_column(Money)
    vat: Mapped[Decimal] = mapped_column(Money)
    amount: Mapped[Decimal] = mapped_column(Money)
    trainer_invoice: Mapped[str] = mapped_column(String(80))
    self_billed: Mapped[bool] = mapped_column(Boolean, default=False)
    creditor_name: Mapped[str] = mapped_column(String(140))
    iban: Mapped[str] = mapped_column(String(34))
    bic: Mapped[str | None] = mapped_column(String(11))
    street: Mapped[str | None] = mapped_column(Text)
    postcode: Mapped[str | None] = mapped_column(String(16))
    city: Mapped[str | None] = mapped_column(String(120))
    remittance: Mapped[str] = mapped_column(String(200))
    decided_on: Mapped[date] = mapped_column(Date)
    execution_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))  # scheduled|exported|executed|failed|replaced
    batch_id: Mapped[str | None] = mapped_column(ForeignKey("payout_batches.id"), index=True)
    executed_on: Mapped[date | None] = mapped_column(Date)
    executed_line_id: Mapped[int | None] = mapped_column(Integer, index=True)
    returned_line_id: Mapped[int | None] = mapped_column(Integer, index=True)
    failure: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class InvoiceDeposit(Base):
    """An invoice a funder takes on its own portal, not by e-mail: the package prepared for the
    operator (the invoice, the certificats, the attendance sheets), then the day an operator
    deposited it. Dunning counts from that day."""

    __tablename__ = "invoice_deposits"
    number: Mapped[str] = mapped_column(ForeignKey("invoices.number"), primary_key=True)
    funder_ref: Mapped[str] = mapped_column(String(64), index=True)
    dossier_number: Mapped[str | None] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(Text)  # the package, relative to the output folder
    files: Mapped[list[str]] = mapped_column(JSON)  # the names of the files it holds
    prepared_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deposited_on: Mapped[date | None] = mapped_column(Date)
    deposited_by: Mapped[str | None] = mapped_column(String(120))
    note: Mapped[str | None] = mapped_column(Text)


class SelfBilledInvoice(Base):
    """An invoice the marketplace issued in a trainer's name under a self-billing mandate
    (CGI 289 I-2, "Autofacturation"): one gap-free series per trainer."""

    __tablename__ = "self_billed_invoices"
    __table_args__ = (UniqueConstraint("payout_id"),)
    number: Mapped[str] = mapped_column(String(80), primary_key=True)
    payout_id: Mapped[str] = mapped_column(ForeignKey("payouts.id"))
    trainer_ref: Mapped[str] = mapped_column(ForeignKey("trainers.trainer_ref"), index=True)
    session_ref: Mapped[str] = mapped_column(ForeignKey("sessions.session_ref"), index=True)
    issue_date: Mapped[date] = mapped_column(Date)
    amount_ht: Mapped[Decimal] = mapped_column(Money)
    vat: Mapped[Decimal] = mapped_column(Money)
    amount_ttc: Mapped[Decimal] = mapped_column(Money)
    pdf_path: Mapped[str | None] = mapped_column(Text)
    sha256: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AccountingPeriod(Base):
    """A closing of the books: every entry dated up to `closed_through` is final (its lines are in
    `journal_lines`, numbered); a later change is a correction in the open period."""

    __tablename__ = "accounting_periods"
    __table_args__ = (UniqueConstraint("closed_through"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    closed_through: Mapped[date] = mapped_column(Date)
    closed_on: Mapped[date] = mapped_column(Date)  # the business date of the closing (ValidDate)
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_by: Mapped[str] = mapped_column(String(120))
    entries: Mapped[int] = mapped_column(Integer)


class JournalLine(Base):
    """A line of an entry of a closed period, as the FEC shows it: never changed."""

    __tablename__ = "journal_lines"
    __table_args__ = (UniqueConstraint("journal", "year", "number", "line"),
                      Index("ix_journal_lines_event", "event"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    period_id: Mapped[int] = mapped_column(ForeignKey("accounting_periods.id"), index=True)
    journal: Mapped[str] = mapped_column(String(8))
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(20))  # EcritureNum
    line: Mapped[int] = mapped_column(Integer)
    event: Mapped[str] = mapped_column(String(200))  # invoice:FA-…, bank:<line id>, purchase:…
    entry_date: Mapped[date] = mapped_column(Date)
    piece_ref: Mapped[str] = mapped_column(String(200))
    piece_date: Mapped[date] = mapped_column(Date)
    label: Mapped[str] = mapped_column(String(200))
    account: Mapped[str] = mapped_column(String(20))
    account_label: Mapped[str] = mapped_column(String(200))
    aux: Mapped[str] = mapped_column(String(80))
    aux_label: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(120))  # the document it settles (lettering)
    debit: Mapped[Decimal] = mapped_column(Money)
    credit: Mapped[Decimal] = mapped_column(Money)
    valid_date: Mapped[date] = mapped_column(Date)


class SessionChange(Base):
    """A session whose facts changed since a nightly step last looked at it: its work queue.

    Ingest and the funding step add a row per step in the transaction of the change; the step
    reads its rows, works on those sessions only (never the whole history) and deletes the rows it
    read once its work is recorded. A row added meanwhile has another id and stays for the next run."""

    __tablename__ = "session_changes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    step: Mapped[str] = mapped_column(String(16), index=True)  # funding|documents|invoicing
    session_ref: Mapped[str] = mapped_column(String(64))
    marked_at: Mapped[datetime] = mapped_column(UTCDateTime)
