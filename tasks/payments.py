"""Bank statements and payments: import files, match credits to invoices."""

from __future__ import annotations

from pathlib import Path

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from adapters.files import FolderListing, UnsafePathError, file_in_folder, files_in_folder
from backoffice.outcomes import StatementImported
from services.payments import (
    MatchingReport,
    decide_payment,
    import_legacy_invoices,
    match_payments,
)
from services.statements import import_statement_files
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


@task(cache_policy=NO_CACHE)
def bank_inbox_accounts() -> dict[str, FolderListing]:
    """The files waiting in the inbox's subfolders, one per account, named for it (its IBAN or
    the bank's account number, spaces allowed): their statements are of that account when they
    do not say. Other subfolders are left alone, with a warning."""
    inbox = context.settings().bank_inbox
    found: dict[str, FolderListing] = {}
    if not inbox.is_dir():
        return found
    for folder in sorted(p for p in inbox.iterdir() if p.is_dir() and not p.is_symlink()
                         and not p.name.startswith(".")):
        account = "".join(folder.name.split()).upper()
        if not account.isalnum() or not 8 <= len(account) <= 34:
            get_run_logger().warning("boîte de dépôt bancaire : sous-dossier « %s » ignoré (le nom "
                                     "d'un sous-dossier est le compte de ses relevés)", folder.name)
            continue
        listing = files_in_folder(folder)
        for refused in listing.refused:
            get_run_logger().warning("boîte de dépôt bancaire, %s : %s", folder.name, refused)
        found[account] = listing
    return found


@task(cache_policy=NO_CACHE)
def import_statements_from(paths: list[Path], move_files: bool, account: str = ""
                           ) -> list[StatementImported]:
    """Import the files (the inbox's are archived or rejected afterwards); `account`: the account
    they are of, when a file does not say (a CLI option, a deployment parameter, the inbox
    subfolder named for it)."""
    settings = context.settings()
    folder = settings.bank_inbox.parent
    outcomes = import_statement_files(
        context.engine(), paths, archive_dir=folder / "bank-archive",
        rejected_dir=folder / "bank-rejected", own_ibans=settings.own_accounts,
        now=context.now(), move_files=move_files, account=account,
        collection_accounts=settings.collection_ibans)
    logger = get_run_logger()
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
