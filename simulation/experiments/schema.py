"""Experiment files: which scenarios, which parameters over which ranges, how many replications.

An experiment is validated like a scenario (unknown keys are errors, every value is checked) and
its parameter paths are checked against the scenario schema before anything runs.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag, field_validator, model_validator

from simulation.inputs import shown
from simulation.scenario.claims import RangeSpec
from simulation.scenario.schema import OutputSpec, Section

DesignType = Literal["grid", "lhs", "sobol", "morris"]
MAX_ROOT_SEED = 2**63 - 1


GridValues = Annotated[list[Any], Field(min_length=1)]


def _values_kind(value: Any) -> str | None:
    if isinstance(value, list):
        return "Grid"
    if isinstance(value, dict | RangeSpec):
        return "Range"
    return None


ParameterValues = Annotated[
    Annotated[GridValues, Tag("Grid")] | Annotated[RangeSpec, Tag("Range")],
    Discriminator(
        _values_kind,
        custom_error_type="parameter_values",
        custom_error_message="give a list of values (grid) or a range {low, high}",
    ),
]


class DesignSpec(Section):
    """How parameter points are chosen.

    grid: every combination of the listed values. lhs: ``samples`` Latin-hypercube points.
    sobol: Saltelli/Sobol' sequence with base ``samples`` (a power of two), giving
    ``samples * (D + 2)`` points, or ``samples * (2D + 2)`` with ``second_order``.
    morris: ``samples`` elementary-effect trajectories on ``levels`` levels, ``samples * (D + 1)``
    points.
    """

    type: DesignType = "grid"
    samples: Annotated[int | None, Field(ge=1, le=1_000_000)] = None
    second_order: bool = False
    levels: Annotated[int, Field(ge=2, le=100)] = 4

    @model_validator(mode="after")
    def _samples_fit_type(self) -> DesignSpec:
        if self.type == "grid":
            if self.samples is not None:
                raise ValueError("samples: a grid takes every combination; remove samples")
            return self
        if self.samples is None:
            raise ValueError(f"samples: required for a {self.type} design")
        if self.type == "sobol" and self.samples & (self.samples - 1):
            raise ValueError(
                f"samples: a sobol design needs a power of two (got {self.samples}; "
                f"nearest: {_nearest_powers(self.samples)})"
            )
        if self.type == "morris" and self.levels % 2:
            raise ValueError(f"levels: morris needs an even number of levels (got {self.levels})")
        return self


def _nearest_powers(n: int) -> str:
    below = 1 << (n.bit_length() - 1)
    return f"{below} or {below * 2}"


class ExperimentOutput(OutputSpec):
    """What each run keeps, imposed on every scenario of the experiment (part of run identity).

    Unlike a scenario's ``output``, unset fields leave each scenario's own setting alone.
    """

    snapshot_every: Annotated[int | None, Field(ge=0, description="0: no snapshots")] = None  # type: ignore[assignment]


class ExperimentSpec(Section):
    """A whole experiment file."""

    name: Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.\-]+$")]
    description: str = ""
    scenarios: Annotated[list[str], Field(min_length=1, description="scenario files")]
    steps: Annotated[int | None, Field(ge=1, le=100_000, description="months; default each scenario's")] = (
        None
    )
    replications: Annotated[int, Field(ge=1, le=100_000)] = 1
    seed: Annotated[int, Field(ge=0, le=MAX_ROOT_SEED, description="root seed of the replications")] = 1
    design: DesignSpec = DesignSpec()
    parameters: dict[str, ParameterValues] = Field(default_factory=dict)
    set: dict[str, Any] = Field(
        default_factory=dict,
        description="fixed settings (dotted paths -> values) imposed on every run, as --set does",
    )
    output: ExperimentOutput = ExperimentOutput()

    @field_validator("scenarios")
    @classmethod
    def _each_once(cls, scenarios: list[str]) -> list[str]:
        twice = sorted({name for name in scenarios if scenarios.count(name) > 1})
        if twice:
            raise ValueError(f"{', '.join(twice)} listed more than once; list each scenario once")
        return scenarios

    @field_validator("parameters", mode="before")
    @classmethod
    def _lists_or_ranges(cls, parameters: Any) -> Any:
        if isinstance(parameters, dict):
            for path, values in parameters.items():
                if not isinstance(values, list | dict):
                    raise ValueError(
                        f"parameters.{path}: give a list of values (grid) or a range {{low, high}} "
                        f"(got {shown(values)})"
                    )
        return parameters

    @model_validator(mode="after")
    def _parameters_fit_design(self) -> ExperimentSpec:
        kind = self.design.type
        for path, values in self.parameters.items():
            if kind == "grid" and isinstance(values, RangeSpec):
                raise ValueError(f"parameters.{path}: a grid design needs a list of values, not a range")
            if kind != "grid" and not isinstance(values, RangeSpec):
                raise ValueError(
                    f"parameters.{path}: a {kind} design needs a range {{low: ..., high: ...}}, not a list"
                )
        if kind != "grid" and not self.parameters:
            raise ValueError(f"parameters: a {kind} design needs at least one parameter range")
        both = [path for path in self.set if path in self.parameters]
        if both:
            raise ValueError(
                f"set.{both[0]}: also swept under parameters; a setting is either fixed (set) or "
                "swept (parameters), not both"
            )
        if "steps" in self.set and self.steps is not None:
            raise ValueError("set.steps: the experiment's own steps field already fixes the months")
        return self
