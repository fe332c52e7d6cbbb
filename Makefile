# The verbs a newcomer needs. Each one sets the machine up first (scripts/bootstrap.sh).
.PHONY: setup demo test lint ui clean

setup:
	@scripts/bootstrap.sh

demo: setup                ## run the demo pipeline on the embedded defaults (SQLite, .eml outbox)
	.venv/bin/backoffice demo

test: setup                ## the whole test suite (needs PostgreSQL on 127.0.0.1:5432, see README)
	.venv/bin/pytest

lint: setup
	.venv/bin/ruff check .

clean:                     ## forget the local state (database, inbox, outputs, Prefect home)
	rm -rf data/local .prefect
