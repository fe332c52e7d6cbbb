"""Prefect tasks: thin wrappers that build adapters from the settings and call them."""
