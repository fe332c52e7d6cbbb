"""The dependency rule between the project's layers (docs/architecture.md): each imports only
the layers below it, so that a rule lives in one place and a change of framework stays at the
edges. The core's own purity (no I/O library) is tests/core/test_core_is_pure.py."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ("backoffice", "adapters", "services", "tasks", "flows", "ops", "demo")
# what each layer may import of the project (its own package included); and of Prefect
ALLOWED = {
    "backoffice": {"backoffice"},
    "adapters": {"adapters", "backoffice"},
    "services": {"services", "adapters", "backoffice"},
    "tasks": {"tasks", "services", "adapters", "backoffice"},
    "flows": {"flows", "tasks", "services", "adapters", "backoffice"},
    "ops": {"ops", "flows", "tasks", "services", "adapters", "backoffice", "demo"},
    "demo": {"demo", "flows", "tasks", "services", "adapters", "backoffice"},
}
USES_PREFECT = {"tasks", "flows", "ops", "demo"}


def imports(path: Path) -> set[str]:
    """The top-level packages a module imports, at any depth of its code (lazy imports too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def offenders(layer: str) -> dict[str, list[str]]:
    refused = set(LAYERS) - ALLOWED[layer]
    if layer not in USES_PREFECT:
        refused.add("prefect")
    found = {}
    for path in sorted((ROOT / layer).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        bad = sorted(imports(path) & refused)
        if bad:
            found[str(path.relative_to(ROOT))] = bad
    return found


def test_every_layer_has_modules():
    for layer in LAYERS:
        assert list((ROOT / layer).glob("*.py")), layer


def test_each_layer_imports_only_the_layers_below_it():
    assert {layer: offenders(layer) for layer in LAYERS} == {layer: {} for layer in LAYERS}


def test_the_rule_sees_a_lazy_import(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from services.payments import match_payments\n"
                      "import prefect.states\n")
    assert imports(sample) == {"services", "prefect"}
