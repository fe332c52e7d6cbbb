# The verbs a newcomer needs. Each one sets the machine up first (scripts/bootstrap.sh).
.PHONY: setup demo test lint ui ui-stop clean

setup:
	@scripts/bootstrap.sh

demo: setup                ## run the demo pipeline on the embedded defaults (SQLite, .eml outbox)
	.venv/bin/backoffice demo

test: setup                ## the whole test suite (needs PostgreSQL on 127.0.0.1:5432, see README)
	.venv/bin/pytest

lint: setup
	.venv/bin/ruff check .

UI_PORT ?= 4200
ui: setup                  ## Prefect server + work pool + limits + deployments + worker on 127.0.0.1:$(UI_PORT)
	.venv/bin/python -m flows.operator_setup start --port $(UI_PORT)

ui-stop: setup             ## stop the server and the worker `make ui` started, by process id
	.venv/bin/python -m flows.operator_setup stop

clean:                     ## forget the local state (database, inbox, outputs, Prefect home)
	rm -rf data/local .prefect
