"""The one reader's rules, one by one (simulation/inputs.py and the schema's number rules)."""

from __future__ import annotations

import math

import pytest

from simulation.cost import MAX_RUN_SECONDS, run_seconds, too_long
from simulation.inputs import InputError, parse_yaml, resolve_plain
from simulation.scenario import ScenarioError, load_scenario


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1e3", 1000.0), ("1E3", 1000.0), ("-2.5e-1", -0.25), (".5", 0.5), ("1_000", 1000), ("0o14", 12),
        ("0x1F", 31), ("012", 12), ("true", True), ("False", False), ("~", None), ("null", None),
        ("yes", "yes"), ("on", "on"), ("2024-01-01", "2024-01-01"), ("1.2.3", "1.2.3"), (".", "."),
        ("-", "-"), ("e3", "e3"),
    ],
)  # fmt: skip
def test_plain_scalars_follow_the_yaml_1_2_core_schema(text, value):
    assert resolve_plain(text) == value and type(resolve_plain(text)) is type(value)


def test_infinities_and_nan_parse_so_that_the_schema_can_name_them():
    assert parse_yaml("a: [.inf, -.inf, .nan]")["a"][:2] == [math.inf, -math.inf]
    assert math.isnan(parse_yaml("a: .NaN")["a"])


def test_quoted_values_stay_text():
    assert parse_yaml("a: '12'\nb: \"true\"") == {"a": "12", "b": "true"}


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("a: 1\nb: 2\na: 3\n", "gives the key 'a' twice (lines 1 and 3)"),
        ("a: &x 1\n", "uses an anchor (&x) on line 1"),
        ("a: !!str 1\n", "uses the tag tag:yaml.org,2002:str on line 1"),
        ("a: !custom 1\n", "uses the tag !custom"),
        ("a: 1\n---\nb: 2\n", "holds more than one YAML document"),
        ("a: " + "[" * 40 + "]" * 40, "nests deeper than 32 levels"),
        ("a: 9223372036854775808\n", "is beyond ±(2^63 - 1)"),
        ("a: [1, 2\n", "not valid YAML"),
        ("1: a\ntrue: b\n", "gives the key True twice (lines 1 and 2)"),
        ("1: a\n1.0: b\n", "gives the key 1.0 twice"),
    ],
)
def test_documents_outside_the_rules_are_refused(text, problem):
    with pytest.raises(InputError, match=None) as error:
        parse_yaml(text)
    assert problem in error.value.problem


def test_a_yaml_error_names_line_and_column_without_quoting_the_file():
    with pytest.raises(InputError) as error:
        parse_yaml("name: ok\nsecret: [unclosed hunter2\n")
    assert "line" in error.value.problem and "hunter2" not in error.value.problem


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"steps": True}, "steps: must be a number, not true"),
        ({"steps": "12"}, "not the text '12'"),
        ({"steps": 12.5}, "must be a whole number, not 12.5"),
        ({"world.ocgs.cash": math.nan}, "must be a finite number, not .nan"),
        ({"behaviour.ocg.wage": -math.inf}, "must be a finite number, not -.inf"),
        ({"zones.a": {"rect": [0, 0, 4, True]}}, "zones.a.rect: item 3: must be a number, not true"),
        ({"theory_of_success": [{"claim": "c", "metric": "violence", "window": [1, True],
                                 "change": {"at_most": 1}}]}, "must be a number, not true"),
        ({"zones.a": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}, "nests deeper"),
        ({7: 1}, "a setting is named by a dotted path"),
    ],
)  # fmt: skip
def test_numbers_are_numbers_through_the_python_api_too(overrides, problem):
    with pytest.raises(ScenarioError) as error:
        load_scenario(None, overrides)
    assert problem in str(error.value)


def test_whole_floats_are_taken_as_integers():
    scenario = load_scenario(None, {"steps": 1e3, "world.ocgs.count": 4.0})
    assert scenario.steps == 1000 and isinstance(scenario.steps, int) and scenario.world.ocgs.count == 4


def test_a_lever_after_the_horizon_is_refused_unless_the_run_was_shortened():
    late = {"strategy.pursue.interdiction": {"start": 121}}
    with pytest.raises(ScenarioError, match="month 121 is after the last month"):
        load_scenario(None, late)
    assert load_scenario(None, {**late, "steps": 12}).steps == 12
    assert load_scenario(None, {"strategy.pursue.interdiction": {"start": 120}}).steps == 120


def test_the_run_time_estimate_grows_with_size_and_refuses_only_the_huge():
    default = load_scenario(None)
    assert 0.5 < run_seconds(default) < 10 and too_long(default) is None
    big = load_scenario(None, {"world.grid.width": 1000, "world.grid.height": 1000, "steps": 5000})
    assert run_seconds(big) > MAX_RUN_SECONDS and "need --force" in (too_long(big) or "")
    more = load_scenario(None, {"world.ocgs.count": 40})
    assert run_seconds(more) > run_seconds(default)
