"""prefect.yaml: every deployment points at a real flow, with the schedule operators expect."""

from __future__ import annotations

import importlib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def deployments() -> dict[str, dict]:
    config = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    return {d["name"]: d for d in config["deployments"]}


def load_flow(entrypoint: str):
    path, name = entrypoint.split(":")
    return getattr(importlib.import_module(path.removesuffix(".py").replace("/", ".")), name)


def test_every_entrypoint_is_a_flow():
    for deployment in deployments().values():
        flow = load_flow(deployment["entrypoint"])
        assert hasattr(flow, "fn") and flow.name, deployment["name"]


def test_nightly_runs_at_0430_paris_time_one_at_a_time():
    nightly = deployments()["nightly"]
    assert load_flow(nightly["entrypoint"]).name == "nightly"
    assert nightly["schedules"] == [{"cron": "30 4 * * *", "timezone": "Europe/Paris",
                                     "active": True}]
    assert nightly["concurrency_limit"] == 1
    assert nightly["work_pool"]["name"] == "backoffice-process"


def test_ingest_is_on_demand():
    ingest = deployments()["ingest"]
    assert "schedules" not in ingest
    assert load_flow(ingest["entrypoint"]).name == "ingest-platform-export"


def test_the_pec_flows_are_deployed_on_demand():
    names = {name: load_flow(d["entrypoint"]).name for name, d in deployments().items()}
    assert names["reconcile-pecs"] == "reconcile-pecs"
    assert names["resolve-pec"] == "resolve-pec"
    assert names["generate-documents"] == "generate-documents"
    assert names["issue-invoices"] == "issue-invoices"
    assert names["credit-note"] == "credit-note"
    assert names["bill-remainder-to-company"] == "bill-remainder-to-company"
    assert names["import-statements"] == "import-statements"
    assert names["decide-payment"] == "decide-payment"
    assert names["record-deposit"] == "record-deposit"


def test_what_the_command_line_does_an_operator_can_do_from_the_ui():
    names = {name: load_flow(d["entrypoint"]).name for name, d in deployments().items()}
    assert names["report"] == "report"
    assert names["import-invoices"] == "import-invoices"
    assert names["pay-trainers"] == "pay-trainers"
    assert names["audit-pack"] == "audit-pack"
    assert names["backfill"] == "backfill"


def test_every_form_field_has_a_french_title_and_no_list_default_is_shared():
    import inspect

    from prefect.utilities.callables import parameter_schema

    for name, deployment in deployments().items():
        flow = load_flow(deployment["entrypoint"])
        schema = parameter_schema(flow).model_dump()
        for parameter, field in schema["properties"].items():
            assert field["title"] != parameter, (name, parameter)  # not the Python name
        for parameter in inspect.signature(flow.fn).parameters.values():
            default = getattr(parameter.default, "default", parameter.default)
            assert not isinstance(default, list | dict), (name, parameter.name)  # shared
