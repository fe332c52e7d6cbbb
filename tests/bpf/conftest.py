"""The flow test of the BPF uses the Prefect harness of tests/flows."""

from tests.flows.conftest import pipeline_env, prefect_harness  # noqa: F401
