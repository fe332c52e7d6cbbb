"""Adapters: one module per outside system (database, files, mail, PDFs, bank, SEPA, settings).

They may import `backoffice`; they never import Prefect, so they are tested as plain functions.
"""
