"""The shape of the model core: a declared schedule, no import cycles, no unnamed numbers in decisions."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

from simulation.core import model as model_module
from simulation.core.indicators import DOCS_WITH_TABLES, RECORDED_NAMES, with_table
from simulation.core.model import SCHEDULE
from simulation.core.parameters import PARAMETERS_PATH, parameters_markdown
from tests.conftest import ROOT, small_model

CORE = ROOT / "simulation" / "core"
DECISION_CODE = [
    *sorted((CORE / "agents").glob("*.py")),
    *sorted((CORE / "submodels").glob("*.py")),
    CORE / "model.py",
    CORE / "routing.py",
    CORE / "choice.py",
    CORE / "levers" / "apply.py",
]
ALLOWED_LITERALS = {
    0,
    1,
    -1,
    2,  # geometry and structure: squares of distances, coordinate pairs, "two contenders or more"
    1000.0,  # rates are per 1000 persons: a unit, not a behaviour
    1e-9,  # guards against division by zero
    1e-6,  # guards against a zero weight in a random choice
}
"""Numbers allowed in decision code; every other number is a parameter (simulation/core/parameters.py)."""
OUTSIDE_THE_CORE = (
    "storage",
    "cli",
    "dashboard",
    "report",
    "experiments",
    "theory",
    "analysis",
    "connectors",
)


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")


def _imports(path: Path, runtime_only: bool) -> set[str]:
    """Modules ``path`` imports; with ``runtime_only``, not those under ``if TYPE_CHECKING:``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped: set[int] = set()
    if runtime_only:
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                skipped |= {id(n) for n in ast.walk(node)}
    found = set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return found


def test_the_model_step_runs_the_declared_schedule_and_nothing_else():
    source = inspect.getsource(model_module.CriminalMarketModel.step)
    assert "for phase in SCHEDULE" in source
    assert len(SCHEDULE) == len(set(SCHEDULE)) + 1, "only the dissolution phase runs twice (P12, P14)"
    owners = {phase.__module__ for phase in SCHEDULE}
    assert any(owner.startswith("simulation.core.agents.") for owner in owners)
    assert any(owner.startswith("simulation.core.submodels.") for owner in owners)


def test_the_model_module_keeps_only_construction_and_the_schedule():
    lines = (CORE / "model.py").read_text(encoding="utf-8").count("\n")
    assert lines < 250, f"simulation/core/model.py has {lines} lines"


def test_no_runtime_import_cycle_between_core_modules():
    modules = {_module_name(path): path for path in CORE.rglob("*.py")}
    graph = {
        name: {m for m in _imports(path, runtime_only=True) if m in modules and m != name}
        for name, path in modules.items()
    }
    for package in [name for name in modules if (CORE / Path(*name.split(".")[2:]) / "__init__.py").exists()]:
        graph[package] = set()  # a package's own __init__ is a face, not a dependency
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                raise AssertionError(" -> ".join([*trail[trail.index(nxt) :], nxt]))
            if nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for name in graph:
        if name not in state:
            visit(name, [name])


def test_the_core_never_imports_storage_cli_plots_or_executors():
    for path in CORE.rglob("*.py"):
        for module in _imports(path, runtime_only=False):
            part = module.split(".")
            assert not (part[0] == "simulation" and len(part) > 1 and part[1] in OUTSIDE_THE_CORE), (
                f"{path.relative_to(ROOT)} imports {module}"
            )
            assert part[0] not in ("sqlalchemy", "matplotlib", "seaborn", "typer", "dask"), (
                f"{path.relative_to(ROOT)} imports {module}"
            )


def test_every_number_in_decision_code_is_a_named_parameter():
    found = []
    for path in DECISION_CODE:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and type(node.value) in (int, float):
                if node.value not in ALLOWED_LITERALS:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}")
    assert not found, "numbers in decision code that should be parameters:\n" + "\n".join(found)


def test_the_parameter_docs_match_the_schema():
    assert PARAMETERS_PATH.read_text(encoding="utf-8") == parameters_markdown(), (
        "run python -m simulation.core.parameters"
    )


def test_the_indicator_tables_in_the_readme_and_the_odd_match_the_registry():
    for name in DOCS_WITH_TABLES:
        text = (ROOT / name).read_text(encoding="utf-8")
        assert text == with_table(text), f"{name}: run python -m simulation.core.indicators"


def test_every_indicator_is_recorded_under_its_name_with_its_own_computation():
    model = small_model(displacement={"target": "core"}, zones={"core": {"rect": [0, 0, 8, 8]}})
    model.step()
    row = model.records[-1]
    assert list(row) == list(RECORDED_NAMES)
    assert row["ocg_members"] == sum(len(g.members) for g in model.groups)
    assert row["activity_total"] == model.world.activity.sum()
