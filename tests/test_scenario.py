"""Scenario files: defaults, overrides and clear errors for bad input."""

from __future__ import annotations

import pytest

from simulation.scenario import ScenarioError, load_scenario, parse_override
from tests.conftest import ROOT


def _errors(text: str, tmp_path) -> str:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    message = str(caught.value)
    assert str(path) in message
    return message


def test_every_shipped_scenario_validates():
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        load_scenario(path)


def test_defaults_and_contract_override_paths():
    scenario = load_scenario(None, {"world.grid.width": 60, "world.ocgs.count": 12})
    assert scenario.world.grid.width == 60 and scenario.world.ocgs.count == 12
    assert scenario.output.snapshot_every == 12
    assert scenario.strategy.enforcement_style == "rights_compliant"


def test_unknown_field_is_named(tmp_path):
    message = _errors("world:\n  grid: {widht: 10}\n", tmp_path)
    assert "world.grid.widht" in message and "unknown field" in message


def test_wrong_type_is_named(tmp_path):
    message = _errors("behaviour:\n  ocg: {risk_aversion: high}\n", tmp_path)
    assert "behaviour.ocg.risk_aversion" in message and "'high'" in message


def test_negative_size_is_named(tmp_path):
    message = _errors("world:\n  grid: {width: -5}\n", tmp_path)
    assert "world.grid.width" in message and "greater than or equal to 8" in message


def test_missing_file_and_broken_yaml(tmp_path):
    with pytest.raises(ScenarioError, match="file not found"):
        load_scenario(tmp_path / "nope.yaml")
    assert "not valid YAML" in _errors("world: [unclosed\n", tmp_path)


def test_zone_outside_the_grid_and_unknown_jurisdiction(tmp_path):
    message = _errors("zones:\n  z: {rect: [0, 0, 99, 5]}\n", tmp_path)
    assert "zone 'z'" in message and "exceeds" in message
    message = _errors("zones:\n  z: {jurisdiction: Atlantis}\n", tmp_path)
    assert "Atlantis" in message and "Westland" in message


def test_a_mistyped_lever_lists_the_levers_of_its_principle(tmp_path):
    message = _errors("strategy:\n  pursue:\n    hotspot_polcing: {intensity: 1}\n", tmp_path)
    assert "strategy.pursue.hotspot_polcing" in message
    assert "pursue levers are: intelligence, hotspot_policing" in message


def test_every_lever_of_the_catalogue_is_accepted():
    from simulation.core.levers import LEVERS

    overrides = {f"strategy.{lever.principle}.{lever.name}": {"intensity": 0.5} for lever in LEVERS}
    scenario = load_scenario(None, overrides)
    assert len(scenario.strategy.levers()) == len(LEVERS)


def test_lever_windows_intensities_and_targets_are_checked(tmp_path):
    lever = "strategy:\n  pursue:\n    interdiction: {spec}\n"
    assert "end (3) must be after start (5)" in _errors(
        lever.replace("{spec}", "{start: 5, end: 3}"), tmp_path
    )
    assert "less than or equal to 1" in _errors(lever.replace("{spec}", "{intensity: 1.5}"), tmp_path)
    message = _errors(lever.replace("{spec}", "{target: {zone: nowhere}}"), tmp_path)
    assert "strategy.pursue.interdiction.target: unknown zone 'nowhere'" in message
    message = _errors(lever.replace("{spec}", "{target: north}"), tmp_path)
    assert "must be 'all', {zone: NAME} or {jurisdiction: NAME}" in message


def test_displacement_needs_a_known_zone(tmp_path):
    assert "displacement.target: unknown zone 'core'" in _errors("displacement: {target: core}\n", tmp_path)


def test_overrides_are_typed_and_checked():
    assert parse_override("world.grid.width=60") == ("world.grid.width", 60)
    assert parse_override("zones.z={rect: [0, 0, 4, 4]}") == ("zones.z", {"rect": [0, 0, 4, 4]})
    with pytest.raises(ScenarioError, match="no such setting"):
        load_scenario(None, {"world.grid.depth": 3})
    with pytest.raises(ScenarioError, match=r"world\.grid\.width"):
        load_scenario(None, {"world.grid.width": "wide"})
    with pytest.raises(ScenarioError, match="PATH=VALUE"):
        parse_override("world.grid.width")
    scenario = load_scenario(None, {"zones.centre": {"rect": [0, 0, 4, 4]}})
    assert scenario.zones["centre"].rect == [0, 0, 4, 4]


def test_a_hotspot_zone_must_be_fixed_within_the_run(tmp_path):
    message = _errors("steps: 12\nzones:\n  h: {hotspots: {top: 5, at_step: 24}}\n", tmp_path)
    assert "zone 'h': hotspots.at_step (24) is after the last month (12)" in message
