"""Prefect flows: one per business process, each reading like a recipe; plus the command line."""
