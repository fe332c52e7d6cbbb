"""Bank statements and payments: import files, match credits to invoices."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from adapters.bank_mappings import (
    MappingError,
    SavedMapping,
    is_mapping_name,
    load_mapping,
    mapping_folders,
    saved_mapping_names,
)
from adapters.files import FolderListing, UnsafePathError, file_in_folder, files_in_folder
from backoffice.outcomes import StatementImported
from services.payments import (
    MatchingReport,
    decide_payment,
    import_legacy_invoices,
    match_payments,
)
from services.statements import import_statement_files, reject_statement_files
from tasks import context
from tasks.outcome_text import log_outcomes


@task(cache_policy=NO_CACHE)
def bank_inbox_files() -> FolderListing:
    """The statement files waiting in the bank inbox, and the entries refused unread (a link
    leading out of the inbox…)."""
    listing = files_in_folder(context.settings().bank_inbox)
    for refused in listing.refused:
        get_run_logger().warning("boîte de dépôt bancaire : %s", refused)
    return listing


@dataclass(frozen=True)
class InboxFolder:
    """A subfolder of the bank inbox: its files are of `account` and read with the saved mapping
    `mapping`, when the folder names one or both (an empty string: the file says)."""

    account: str
    mapping: str
    listing: FolderListing


def _account_name(name: str) -> str:
    account = "".join(name.split()).upper()
    return account if account.isalnum() and 8 <= len(account) <= 34 else ""


@task(cache_policy=NO_CACHE)
def bank_inbox_subfolders() -> list[InboxFolder]:
    """The files waiting in the inbox's subfolders: a folder named for an account (its IBAN or
    the bank's account number, spaces allowed) holds that account's statements; a folder named
    for a saved mapping (`data/bank_mappings/<name>.toml`…) holds files read with it, and may
    itself hold account folders. Other subfolders are left alone, with a warning."""
    settings = context.settings()
    inbox, folders = settings.bank_inbox, mapping_folders(settings.data_dir)
    found: list[InboxFolder] = []
    logger = get_run_logger()

    def subfolders(parent: Path) -> list[Path]:
        return sorted(p for p in parent.iterdir() if p.is_dir() and not p.is_symlink()
                      and not p.name.startswith("."))

    def listed(folder: Path, account: str, mapping: str) -> None:
        listing = files_in_folder(folder)
        for refused in listing.refused:
            logger.warning("boîte de dépôt bancaire, %s : %s", folder.relative_to(inbox), refused)
        found.append(InboxFolder(account, mapping, listing))

    if not inbox.is_dir():
        return found
    for folder in subfolders(inbox):
        if is_mapping_name(folder.name, folders):
            listed(folder, "", folder.name)
            for inner in subfolders(folder):
                if _account_name(inner.name):
                    listed(inner, _account_name(inner.name), folder.name)
                else:
                    logger.warning("boîte de dépôt bancaire : sous-dossier « %s/%s » ignoré (le nom "
                                   "d'un sous-dossier est le compte de ses relevés)", folder.name,
                                   inner.name)
        elif _account_name(folder.name):
            listed(folder, _account_name(folder.name), "")
        else:
            logger.warning("boîte de dépôt bancaire : sous-dossier « %s » ignoré (le nom d'un "
                           "sous-dossier est le compte de ses relevés, ou une correspondance "
                           "enregistrée : %s)", folder.name,
                           ", ".join(saved_mapping_names(folders)) or "aucune")
    return found


def saved_mapping(name: str) -> SavedMapping:
    """The saved mapping `name` (MappingError, French, when unknown or unusable)."""
    return load_mapping(name, mapping_folders(context.settings().data_dir))


def mapping_problem(name: str) -> str | None:
    """Why the saved mapping `name` cannot be used (French), or None."""
    try:
        saved_mapping(name)
    except MappingError as error:
        return str(error)
    return None


@task(cache_policy=NO_CACHE)
def import_statements_from(paths: list[Path], move_files: bool, account: str = "", mapping: str = ""
                           ) -> list[StatementImported]:
    """Import the files (the inbox's are archived or rejected afterwards); `account`: the account
    they are of, when a file does not say (a CLI option, a deployment parameter, the inbox
    subfolder named for it); `mapping`: the saved mapping they are read with (likewise)."""
    settings = context.settings()
    folder = settings.bank_inbox.parent
    logger = get_run_logger()
    columns = None
    if mapping:
        try:
            saved = saved_mapping(mapping)
        except MappingError as error:
            logger.warning("correspondance inutilisable : %s", error)
            return reject_statement_files(paths, str(error), rejected_dir=folder / "bank-rejected",
                                          move_files=move_files)
        columns = saved.mapping
        logger.info("correspondance « %s » (version %s, %s)", saved.name, saved.version or "?", saved.path)
    outcomes = import_statement_files(
        context.engine(), paths, archive_dir=folder / "bank-archive",
        rejected_dir=folder / "bank-rejected", own_ibans=settings.own_accounts,
        now=context.now(), move_files=move_files, account=account,
        collection_accounts=settings.collection_ibans, mapping=columns)
    for outcome in outcomes:
        if outcome.status == "rejected":
            logger.warning("relevé %s rejeté en entier :\n%s", outcome.name,
                           "\n".join(outcome.errors[:50]))
        else:
            logger.info("relevé %s : %d lignes, %d nouvelles (%s)", outcome.name, outcome.lines,
                        outcome.new_lines, outcome.status)
    return outcomes


@task(cache_policy=NO_CACHE)
def match_bank_credits() -> MatchingReport:
    report = match_payments(context.engine(), now=context.now(),
                            collection_accounts=context.settings().collection_ibans)
    log_outcomes([*report.applied, *report.review, *report.reversed])
    return report


@task(cache_policy=NO_CACHE)
def decide_on_payment(line_id: int, accept: bool, invoices: list[str] | None, note: str,
                      operator: str) -> str:
    """An operator's decision on a payment of the review queue (audit-logged)."""
    return decide_payment(context.engine(), line_id=line_id, accept=accept, invoices=invoices,
                          note=note, operator=operator, now=context.now())


@task(cache_policy=NO_CACHE)
def import_invoices_named(file_name: str) -> tuple[int, list[str]] | str:
    """(invoices imported, errors of a rejected file), or why the name is refused."""
    try:
        path = file_in_folder(context.settings().invoices_inbox, file_name)
    except UnsafePathError as error:
        return str(error)
    if not path.is_file():
        return f"« {file_name} » introuvable dans {context.settings().invoices_inbox}"
    count, errors = import_legacy_invoices(context.engine(), path)
    return count, [str(error) for error in errors]
