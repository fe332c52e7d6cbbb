# The verbs a newcomer needs. Each one sets the machine up first (scripts/bootstrap.sh).
.PHONY: setup demo test lint ui ui-stop clean mutation

setup:
	@scripts/bootstrap.sh

demo: setup                ## run the demo pipeline on the embedded defaults (SQLite, .eml outbox)
	.venv/bin/backoffice demo

test: setup                ## the whole test suite (needs PostgreSQL on 127.0.0.1:5432, see README)
	.venv/bin/pytest

lint: setup                ## ruff on everything, then mypy on the core and the use cases (pyproject.toml's [tool.mypy])
	.venv/bin/ruff check .
	.venv/bin/mypy

UI_PORT ?= 4200
ui: setup                  ## Prefect server + work pool + limits + deployments + worker on 127.0.0.1:$(UI_PORT)
	.venv/bin/python -m ops.operator_setup start --port $(UI_PORT)

ui-stop: setup             ## stop the server and the worker `make ui` started, by process id
	.venv/bin/python -m ops.operator_setup stop

mutation: setup            ## mutation testing of the core's money and decision rules, then the score (docs/mutation.md)
	rm -rf mutants
	.venv/bin/mutmut run --max-children 1
	@.venv/bin/mutmut results --all true | awk '{ split($$1, name, "."); status = $$2; \
	    total[name[2]]++; all++; if (status == "killed" || status == "timeout") { killed[name[2]]++; done++ } } \
	    END { for (m in total) printf "  %-12s %4d / %4d killed\n", m, killed[m], total[m] | "sort"; close("sort"); \
	          printf "mutation score: %d / %d killed (%.1f %%); every survivor is explained in docs/mutation.md\n", \
	                 done, all, 100 * done / all }'

clean:                     ## forget the local state (database, inbox, outputs, Prefect home)
	rm -rf data/local .prefect
