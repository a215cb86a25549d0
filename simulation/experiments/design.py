"""Parameter points of an experiment's design: grid, Latin hypercube, Sobol' or Morris (SALib).

Sampling is seeded from the experiment's root seed (on a stream apart from the replications'),
so the same file always gives the same points. Integer ranges are sampled on [low, high + 1)
and floored, so every integer in the range is equally likely.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

from simulation.experiments.schema import ExperimentSpec, RangeSpec

_SAMPLING_STREAM = 0x5A3B1E
"""Mixed into the root seed so sampling never shares a stream with a replication seed."""


def salib_problem(spec: ExperimentSpec) -> dict[str, Any]:
    """The SALib problem definition of a sampling design (names in file order, bounds as sampled)."""
    names, bounds = [], []
    for path, values in spec.parameters.items():
        assert isinstance(values, RangeSpec)
        names.append(path)
        high = values.high + 1 if values.type == "int" else values.high
        bounds.append([float(values.low), float(high)])
    return {"num_vars": len(names), "names": names, "bounds": bounds}


def design_size(spec: ExperimentSpec) -> int:
    """How many points the design has, counted without drawing them."""
    n_params = len(spec.parameters)
    if spec.design.type == "grid":
        return math.prod(len(values) for values in spec.parameters.values())  # type: ignore[arg-type]
    samples = int(spec.design.samples or 0)
    if spec.design.type == "lhs":
        return samples
    if spec.design.type == "sobol":
        return samples * (2 * n_params + 2 if spec.design.second_order else n_params + 2)
    return samples * (n_params + 1)  # morris


def sampling_seed(root_seed: int) -> int:
    return int(np.random.SeedSequence([int(root_seed), _SAMPLING_STREAM]).generate_state(1)[0])


def design_points(spec: ExperimentSpec) -> list[dict[str, Any]]:
    """The parameter values of every point, in design order (a grid with no parameters: one point)."""
    if spec.design.type == "grid":
        paths = list(spec.parameters)
        combos = itertools.product(*(spec.parameters[p] for p in paths))
        return [dict(zip(paths, combo, strict=True)) for combo in combos]
    matrix = sample_matrix(spec)
    points = []
    for row in matrix:
        point = {}
        for (path, spec_range), value in zip(spec.parameters.items(), row, strict=True):
            assert isinstance(spec_range, RangeSpec)
            point[path] = _as_value(float(value), spec_range)
        points.append(point)
    return points


def sample_matrix(spec: ExperimentSpec) -> np.ndarray:
    """Raw SALib samples (rows: points, columns: parameters) before integer flooring."""
    from SALib.sample import latin, morris, sobol

    problem = salib_problem(spec)
    n = int(spec.design.samples or 0)
    seed = sampling_seed(spec.seed)
    kind = spec.design.type
    if kind == "lhs":
        return latin.sample(problem, n, seed=seed)
    if kind == "sobol":
        return sobol.sample(problem, n, calc_second_order=spec.design.second_order, seed=seed)
    if kind == "morris":
        return morris.sample(problem, n, num_levels=spec.design.levels, seed=seed)
    raise ValueError(f"unknown design type {kind!r}")


def _as_value(value: float, spec_range: RangeSpec) -> int | float:
    if spec_range.type == "int":
        return int(min(np.floor(value), spec_range.high))
    return float(value)


def describe_design(spec: ExperimentSpec, n_points: int) -> dict[str, Any]:
    """What the design was, for the experiments table and reports."""
    record: dict[str, Any] = {"type": spec.design.type, "points": n_points}
    if spec.design.type == "grid":
        record["parameters"] = {path: list(values) for path, values in spec.parameters.items()}  # type: ignore[arg-type]
        return record
    record.update(
        samples=spec.design.samples,
        seed=sampling_seed(spec.seed),
        problem=salib_problem(spec),
        parameters={path: values.model_dump() for path, values in spec.parameters.items()},  # type: ignore[union-attr]
    )
    if spec.design.type == "sobol":
        record["second_order"] = spec.design.second_order
    if spec.design.type == "morris":
        record["levels"] = spec.design.levels
    return record
