"""Experiment files, designs and plans: clear errors, seeded designs, paired seeds, run identity."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from simulation.core.seeds import replication_seed
from simulation.experiments import ExperimentError, load_experiment, prepare_experiment
from simulation.experiments.design import design_points, salib_problem
from simulation.experiments.schema import ExperimentSpec

ROOT = Path(__file__).resolve().parents[1]
BASELINE = str(ROOT / "scenarios" / "baseline.yaml")
SMALL = {"world.grid.width": [16], "world.grid.height": [16], "world.ocgs.count": [3]}


def write(tmp_path: Path, spec: dict, name: str = "exp.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def spec_of(**fields) -> ExperimentSpec:
    return ExperimentSpec.model_validate({"name": "t", "scenarios": [BASELINE], **fields})


# ------------------------------------------------------------------------------------ bad input
@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"parameters": {"world.grid.wdth": [20, 30]}}, "parameters.world.grid.wdth: no such setting"),
        (
            {
                "design": {"type": "lhs", "samples": 4},
                "parameters": {"world.ocgs.count": {"low": 5, "high": 5}},
            },
            "empty range",
        ),
        (
            {
                "design": {"type": "sobol", "samples": 10},
                "parameters": {"world.ocgs.count": {"low": 2, "high": 9}},
            },
            "power of two (got 10; nearest: 8 or 16)",
        ),
        (
            {"design": {"type": "lhs"}, "parameters": {"world.ocgs.count": {"low": 2, "high": 9}}},
            "design: samples: required",
        ),
        ({"parameters": {"world.ocgs.count": {"low": 2, "high": 9}}}, "a grid design needs a list of values"),
        (
            {"design": {"type": "lhs", "samples": 4}, "parameters": {"world.ocgs.count": [2, 3]}},
            "a lhs design needs a range",
        ),
        ({"parameters": {"world.ocgs.count": []}}, "parameters.world.ocgs.count"),
        ({"parameters": {"world.ocgs.count": 7}}, "give a list of values (grid) or a range"),
        ({"replications": 0}, "replications"),
        ({"output": {"keep": ["violence", "mayhem"]}}, "unknown indicator(s) ['mayhem']"),
        ({"colour": "red"}, "colour: unknown field"),
        (
            {
                "design": {"type": "lhs", "samples": 4},
                "parameters": {"world.ocgs.count": {"low": 1.5, "high": 4, "type": "int"}},
            },
            "whole-number ends",
        ),
    ],
)
def test_bad_experiment_files_name_the_field_and_what_is_allowed(tmp_path, fields, expected):
    path = write(tmp_path, {"name": "bad", "scenarios": [BASELINE], **fields})
    with pytest.raises(ExperimentError) as caught:
        load_experiment(path)
    message = str(caught.value)
    assert message.startswith(f"invalid experiment {path}")
    assert expected in message


def test_a_point_that_breaks_a_scenario_is_reported_before_anything_runs(tmp_path):
    path = write(
        tmp_path, {"name": "bad", "scenarios": [BASELINE], "parameters": {"world.ocgs.count": [4, -2]}}
    )
    with pytest.raises(ExperimentError) as caught:
        prepare_experiment(path)
    message = str(caught.value)
    assert "point 1 (world.ocgs.count=-2)" in message and "world.ocgs.count" in message


def test_missing_scenario_file_is_named(tmp_path):
    path = write(tmp_path, {"name": "bad", "scenarios": ["scenarios/nowhere.yaml"]})
    with pytest.raises(ExperimentError, match=r"scenarios/nowhere\.yaml: file not found"):
        prepare_experiment(path)


def test_scenario_paths_resolve_beside_the_experiment_file(tmp_path, monkeypatch):
    (tmp_path / "scenarios").mkdir()
    (tmp_path / "scenarios" / "mine.yaml").write_text(yaml.safe_dump({"name": "mine", "steps": 2}))
    (tmp_path / "experiments").mkdir()
    path = write(tmp_path / "experiments", {"name": "e", "scenarios": ["../scenarios/mine.yaml"]})
    monkeypatch.chdir(ROOT)
    plan = prepare_experiment(path).plan
    assert {m.scenario for m in plan.members} == {"mine"}


# --------------------------------------------------------------------------------------- designs
def test_grid_is_every_combination_in_file_order():
    spec = spec_of(parameters={"world.ocgs.count": [3, 4], "behaviour.ocg.risk_aversion": [0.2, 0.5, 0.8]})
    points = design_points(spec)
    assert len(points) == 6
    assert points[0] == {"world.ocgs.count": 3, "behaviour.ocg.risk_aversion": 0.2}
    assert points[-1] == {"world.ocgs.count": 4, "behaviour.ocg.risk_aversion": 0.8}
    assert design_points(spec_of()) == [{}]


@pytest.mark.parametrize(
    ("design", "expected_points"),
    [({"type": "lhs", "samples": 20}, 20), ({"type": "sobol", "samples": 8}, 8 * (2 + 2)),
     ({"type": "sobol", "samples": 8, "second_order": True}, 8 * (2 * 2 + 2)),
     ({"type": "morris", "samples": 5}, 5 * (2 + 1))],
)  # fmt: skip
def test_sampling_designs_have_the_documented_size_and_stay_in_range(design, expected_points):
    parameters = {
        "behaviour.ocg.risk_aversion": {"low": 0.2, "high": 0.9},
        "world.ocgs.count": {"low": 4, "high": 9, "type": "int"},
    }
    spec = spec_of(design=design, parameters=parameters)
    points = design_points(spec)
    assert len(points) == expected_points
    risk = np.array([p["behaviour.ocg.risk_aversion"] for p in points])
    counts = [p["world.ocgs.count"] for p in points]
    assert ((risk >= 0.2) & (risk <= 0.9)).all()
    assert all(isinstance(c, int) and 4 <= c <= 9 for c in counts)
    assert points == design_points(spec), "same file, same points"
    other = design_points(spec_of(design=design, parameters=parameters, seed=2))
    assert other != points, "the root seed drives the sampling"


def test_integer_ranges_cover_both_ends_evenly():
    spec = spec_of(
        design={"type": "lhs", "samples": 600},
        parameters={"world.ocgs.count": {"low": 4, "high": 9, "type": "int"}},
    )
    counts = np.bincount([p["world.ocgs.count"] for p in design_points(spec)], minlength=10)[4:]
    # A Latin hypercube puts exactly 100 of 600 strata in each unit-wide bin of [4, 10).
    assert counts.tolist() == [100] * 6
    assert salib_problem(spec)["bounds"] == [[4.0, 10.0]]


# ----------------------------------------------------------------------------------------- plans
def test_replication_i_has_the_same_seed_under_every_scenario_and_point(tmp_path):
    other = write(tmp_path, {"name": "other", "steps": 4}, "other.yaml")
    spec = spec_of(
        scenarios=[BASELINE, str(other)], replications=3, seed=99, parameters={"world.ocgs.count": [3, 5]}
    )
    plan = prepare_experiment(spec).plan
    assert len(plan.members) == 2 * 2 * 3 and len(plan.tasks) == 12
    for member in plan.members:
        task = plan.tasks[member.run_key]
        expected = replication_seed(99, member.replication)
        assert task.seed.seed == expected.seed and task.seed.spawn_key == (member.replication,)
        assert task.seed.root_seed == 99


def test_identical_points_share_a_run_and_a_changed_setting_changes_the_key():
    spec = spec_of(replications=2, parameters={"world.ocgs.count": [4, 4, 5]})
    plan = prepare_experiment(spec).plan
    keys = {(m.point, m.replication): m.run_key for m in plan.members}
    assert keys[(0, 0)] == keys[(1, 0)] != keys[(2, 0)]
    assert keys[(0, 0)] != keys[(0, 1)]
    assert len(plan.tasks) == 4


def test_steps_and_output_become_part_of_every_run():
    spec = spec_of(steps=7, output={"snapshot_every": 0, "keep": ["violence", "ocg_revenue"]})
    task = next(iter(prepare_experiment(spec).plan.tasks.values()))
    assert task.steps == 7
    assert '"keep": ["violence", "ocg_revenue"]' in task.config and '"snapshot_every": 0' in task.config


SWEEP_FILES = [
    p for p in sorted((ROOT / "experiments").glob("*.yaml")) if "kind: calibration" not in p.read_text()
]


@pytest.mark.parametrize("path", SWEEP_FILES, ids=lambda p: p.name)
def test_shipped_experiments_are_valid(path, monkeypatch):
    monkeypatch.chdir(ROOT)
    prepared = prepare_experiment(path)
    assert prepared.plan.tasks
