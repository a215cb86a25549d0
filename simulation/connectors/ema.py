"""An EMA Workbench model built from an ocsim scenario file.

```python
from ema_workbench import MultiprocessingEvaluator, perform_experiments
from simulation.connectors.ema import Stat, ema_model

model = ema_model("scenarios/interdiction_claims.yaml", replications=5, paired=True,
                  outcomes=[Stat("ocg_revenue", (25, 60)), Stat("illicit_price", (25, 60))])
with MultiprocessingEvaluator(model) as evaluator:
    experiments, outcomes = perform_experiments(model, scenarios=50, evaluator=evaluator)
```

- **Uncertainties** are the scenario's ``assumptions:`` (``RealParameter``, or ``IntegerParameter``
  for ``type: int``), **levers** the intensity of each lever its strategy sets (``RealParameter``
  on [0, 1]); EMA names must be Python identifiers, so each gets a short name
  (``demand_elasticity``, ``interdiction_intensity``) and ``model.ocsim_paths`` maps it back to
  its dotted path.
- **Outcomes**: ``Stat(indicator, window, statistic)`` is a window statistic (mean, sum, min, max,
  median or last over months ``window``, inclusive); ``Series(indicator)`` the monthly series
  (months 1..steps).
- **Replications** use ocsim's paired seeds: replication *i* runs with
  ``simulation.core.seeds.replication_seed(seed, i)``, the seed ``ocsim run``/``sweep``/``test``
  give it, so every EMA experiment shares common random numbers. With ``replications > 1`` the
  model is a ``ReplicatorModel`` and each outcome gains a replication axis (``(experiments,
  replications)`` for a statistic, ``(experiments, replications, steps)`` for a series);
  ``aggregate="mean"`` (or ``"median"``) folds statistics across replications into scalars.
- ``paired=True``: each outcome is strategy minus counterfactual (the same scenario, seed and
  sampled assumptions with the strategy off), the paired effect.
- ``db=URL``: every run (and counterfactual) is also stored in ocsim's results database, with
  the same run identity as ``ocsim run`` (a run already stored is not written twice).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from simulation.core.indicators import RECORDED_NAMES
from simulation.core.seeds import replication_seed
from simulation.scenario import Scenario, ScenarioError, config_hash, resolved_config, without_strategy
from simulation.scenario.loader import (
    NOT_SIMULATED,
    apply_overrides,
    read_scenario_file,
    schema_has_path,
    validate_scenario,
)
from simulation.suggest import did_you_mean, path_hint

Statistic = Literal["mean", "sum", "min", "max", "median", "last"]
STATISTICS: tuple[str, ...] = ("mean", "sum", "min", "max", "median", "last")
REPLICATION_KEY = "ocsim_replication"
"""Keyword under which EMA hands each replication's index to the model function."""


@dataclass(frozen=True)
class Stat:
    """A window statistic of an indicator: ``statistic`` over months ``window`` (inclusive).

    ``window=None`` is the whole run. The outcome is named ``name`` (default
    ``<indicator>_<statistic>``, e.g. ``violence_mean``).
    """

    indicator: str
    window: tuple[int, int] | None = None
    statistic: Statistic = "mean"
    name: str | None = None

    @property
    def outcome_name(self) -> str:
        return self.name or f"{self.indicator}_{self.statistic}"

    def value(self, series: Any) -> float:
        if self.window is not None:
            series = series.loc[self.window[0] : self.window[1]]
        values = series.to_numpy(dtype=float)
        if not len(values):
            return math.nan
        if self.statistic == "last":
            return float(values[-1])
        return float(getattr(np, f"nan{self.statistic}")(values))


@dataclass(frozen=True)
class Series:
    """The monthly series of an indicator (months 1..steps); named ``name`` or the indicator."""

    indicator: str
    name: str | None = None

    @property
    def outcome_name(self) -> str:
        return self.name or self.indicator

    def value(self, series: Any) -> np.ndarray:
        return series.to_numpy(dtype=float)


OutcomeSpec = Stat | Series


class ConnectorError(ScenarioError):
    """A connector set-up that cannot work: names the scenario and the argument at fault."""

    def __str__(self) -> str:
        lines = [f"cannot build an EMA model from {self.source}:"]
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


@dataclass
class OcsimFunction:
    """The model function EMA calls: keyword arguments in, outcomes out (picklable for
    ``MultiprocessingEvaluator``)."""

    raw: dict[str, Any]
    source: str
    paths: dict[str, str]
    """EMA parameter name -> dotted setting path."""
    outcomes: list[OutcomeSpec]
    settings: dict[str, Any] = field(default_factory=dict)
    seed: int = 1
    steps: int | None = None
    paired: bool = False
    db: str | None = None

    def scenario(self, values: Mapping[str, Any]) -> Scenario:
        overrides = {**self.settings, **{self.paths[name]: _plain(v) for name, v in values.items()}}
        return validate_scenario(apply_overrides(self.raw, overrides, self.source), self.source)

    def __call__(self, **kwargs: Any) -> dict[str, Any]:
        from simulation.runner import run_scenario

        replication = int(kwargs.pop(REPLICATION_KEY, 0))
        unknown = [name for name in kwargs if name not in self.paths]
        if unknown:
            raise KeyError(f"parameters {unknown} are not ocsim settings of this model")
        origin = replication_seed(self.seed, replication)
        scenario = self.scenario(kwargs)
        steps = self.steps or scenario.steps
        result = run_scenario(scenario, seed=origin.seed, steps=steps)
        self._store(scenario, result, origin)
        values = self._values(result.metrics)
        if not self.paired:
            return values
        counterfactual = without_strategy(scenario)
        base = run_scenario(counterfactual, seed=origin.seed, steps=steps)
        self._store(counterfactual, base, origin)
        return {name: values[name] - value for name, value in self._values(base.metrics).items()}

    def _values(self, metrics: Any) -> dict[str, Any]:
        return {o.outcome_name: o.value(metrics[o.indicator]) for o in self.outcomes}

    def _store(self, scenario: Scenario, result: Any, origin: Any) -> None:
        if self.db is None:
            return
        from simulation.storage import ResultsStore, RunExistsError

        config = resolved_config(scenario)
        with ResultsStore(self.db) as store:
            try:
                run_id = store.begin_run(
                    config,
                    config_hash(config),
                    origin.seed,
                    result.steps,
                    scenario.name,
                    scenario_source=self.source,
                    replication=origin.replication,
                    seed_entropy=origin.root_seed,
                    spawn_key=origin.spawn_key,
                )
            except RunExistsError:
                return
            store.complete_run(run_id, result)


def _plain(value: Any) -> Any:
    """numpy scalars from EMA's samplers as plain Python numbers (for pydantic and JSON)."""
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def _short_names(paths: Sequence[str]) -> dict[str, str]:
    """Identifier per dotted path: the last part (a lever's name and 'intensity'), or more of the
    path where two would clash."""
    names: dict[str, str] = {}
    for path in paths:
        parts = path.split(".")
        shortest = 2 if parts[0] == "strategy" else 1
        for depth in range(shortest, len(parts) + 1):
            name = "_".join(parts[-depth:])
            others = [p for p in paths if p != path and "_".join(p.split(".")[-depth:]) == name]
            if not others:
                break
        names[path] = name
    return names


def ema_model(
    scenario: str | Path,
    outcomes: Sequence[OutcomeSpec | str] = ("violence", "ocg_revenue"),
    *,
    name: str | None = None,
    replications: int = 1,
    seed: int = 1,
    steps: int | None = None,
    settings: Mapping[str, Any] | None = None,
    uncertainties: bool = True,
    levers: bool = True,
    paired: bool = False,
    aggregate: Literal["mean", "median"] | None = None,
    db: str | None = None,
):
    """An EMA Workbench ``Model`` (or ``ReplicatorModel``) that runs ``scenario`` with ocsim.

    ``outcomes``: ``Stat``/``Series`` specs, or indicator names (a name is its mean over the whole
    run). ``settings`` (dotted paths -> values, as ``--set``) and ``steps`` are fixed for every run
    and may not name a sampled assumption. ``uncertainties=False`` / ``levers=False`` leave the
    assumptions / lever intensities out (they stay as the file says).
    """
    from ema_workbench import (
        ArrayOutcome,
        IntegerParameter,
        Model,
        RealParameter,
        ReplicatorModel,
        ScalarOutcome,
    )

    source = str(scenario)
    raw_file = read_scenario_file(scenario)
    settings = dict(settings or {})
    problems = _check(source, raw_file, outcomes, settings, replications, steps, aggregate)
    specs = [Stat(o) if isinstance(o, str) else o for o in outcomes]
    simulated = {k: v for k, v in raw_file.items() if k not in NOT_SIMULATED}
    overrides = {**settings, **({"steps": int(steps)} if steps is not None else {})}
    try:
        # What is simulated, with the fixed settings; claims are not (their windows may pass steps).
        base = validate_scenario(apply_overrides(simulated, overrides, source), source)
        beliefs = {"assumptions": raw_file.get("assumptions") or {}}
        assumptions = validate_scenario(beliefs, source).assumptions
    except ScenarioError as exc:
        raise ConnectorError(source, problems + exc.problems) from None
    if base.output.keep is not None:
        problems += [
            f"outcomes: {spec.indicator} is not kept by the scenario's output.keep "
            f"({', '.join(base.output.keep)}); add it there or drop output.keep"
            for spec in specs
            if spec.indicator not in base.output.keep
        ]
    fixed_and_sampled = [p for p in settings if p in assumptions and uncertainties]
    problems += [
        f"settings: {p} is an assumption EMA samples; a setting is either fixed or sampled"
        for p in fixed_and_sampled
    ]
    if problems:
        raise ConnectorError(source, problems)

    uncertain = dict(assumptions) if uncertainties else {}
    lever_paths = (
        [f"strategy.{principle}.{lever}.intensity" for principle, lever, _ in base.strategy.levers()]
        if levers
        else []
    )
    names = _short_names([*uncertain, *lever_paths])
    model_name = name or _identifier(base.name)
    function = OcsimFunction(
        raw=simulated,
        source=source,
        paths={names[p]: p for p in names},
        outcomes=specs,
        settings=overrides,
        seed=int(seed),
        steps=steps,
        paired=paired,
        db=db,
    )
    replicated = replications > 1
    model = (ReplicatorModel if replicated else Model)(model_name, function=function)
    if replicated:
        model.replications = [{REPLICATION_KEY: i} for i in range(replications)]
    model.uncertainties = [
        IntegerParameter(names[p], int(r.low), int(r.high))
        if r.type == "int"
        else RealParameter(names[p], float(r.low), float(r.high))
        for p, r in uncertain.items()
    ]
    model.levers = [RealParameter(names[p], 0.0, 1.0) for p in lever_paths]
    model.outcomes = [_outcome(spec, replicated, aggregate, ScalarOutcome, ArrayOutcome) for spec in specs]
    model.ocsim_paths = dict(function.paths)  # EMA name -> dotted path, for the user
    return model


def _outcome(spec: OutcomeSpec, replicated: bool, aggregate: str | None, scalar: type, array: type):
    name = spec.outcome_name
    # EMA remembers one outcome class per name for save_results and refuses another; a model built
    # with other replications (scalar vs per-replication array) re-declares the name: the newest wins.
    from ema_workbench.em_framework.outcomes import register

    register.outcomes.pop(name, None)
    if isinstance(spec, Series):
        return array(name)
    if not replicated:
        return scalar(name)
    if aggregate is not None:
        return scalar(name, function=_AGGREGATES[aggregate])
    return array(name)


def _mean_across(values: Any) -> float:
    return float(np.nanmean(np.asarray(values, dtype=float)))


def _median_across(values: Any) -> float:
    return float(np.nanmedian(np.asarray(values, dtype=float)))


_AGGREGATES = {"mean": _mean_across, "median": _median_across}
"""Module-level (not lambdas) so a model can be pickled to MultiprocessingEvaluator's workers."""


def _identifier(text: str) -> str:
    cleaned = "".join(c if c.isalnum() else "_" for c in text).strip("_") or "ocsim"
    return cleaned if cleaned[0].isalpha() else f"ocsim_{cleaned}"


def _check(
    source: str,
    raw: Mapping[str, Any],
    outcomes: Sequence[OutcomeSpec | str],
    settings: Mapping[str, Any],
    replications: int,
    steps: int | None,
    aggregate: str | None,
) -> list[str]:
    problems = []
    if not outcomes:
        problems.append("outcomes: give at least one indicator, Stat(...) or Series(...)")
    for outcome in outcomes:
        spec = Stat(outcome) if isinstance(outcome, str) else outcome
        if not isinstance(spec, Stat | Series):
            problems.append(f"outcomes: {outcome!r} is not an indicator name, Stat or Series")
            continue
        if spec.indicator not in RECORDED_NAMES:
            hint = did_you_mean(spec.indicator, RECORDED_NAMES)
            problems.append(
                f"outcomes: unknown indicator {spec.indicator!r}"
                + (f" ({hint})" if hint else "")
                + "; see simulation/indicators.py"
            )
        if isinstance(spec, Stat):
            if spec.statistic not in STATISTICS:
                problems.append(
                    f"outcomes: statistic {spec.statistic!r} of {spec.indicator}; allowed: "
                    + ", ".join(STATISTICS)
                )
            if spec.window is not None:
                first, last = spec.window
                horizon = steps or raw.get("steps")
                if first < 1 or last < first or (isinstance(horizon, int) and last > horizon):
                    problems.append(
                        f"outcomes: window [{first}, {last}] of {spec.indicator} must satisfy "
                        f"1 <= first <= last <= steps ({horizon or 'the scenario steps'})"
                    )
        if not spec.outcome_name.isidentifier():
            problems.append(f"outcomes: name {spec.outcome_name!r} is not a Python identifier")
    specs = [Stat(o) if isinstance(o, str) else o for o in outcomes]
    names = [o.outcome_name for o in specs if isinstance(o, Stat | Series)]
    if len(set(names)) != len(names):
        problems.append(f"outcomes: two outcomes share a name ({', '.join(names)}); give each a name=")
    for path in settings:
        if not schema_has_path(Scenario, [p for p in path.split(".") if p]):
            problems.append(f"settings: {path}: no such setting in the scenario schema{path_hint(path)}")
    if isinstance(replications, bool) or not isinstance(replications, int) or replications < 1:
        problems.append(f"replications: must be a whole number >= 1 (got {replications!r})")
    if steps is not None and (not isinstance(steps, int) or steps < 1):
        problems.append(f"steps: must be a whole number >= 1 (got {steps!r})")
    if aggregate not in (None, "mean", "median"):
        problems.append(f"aggregate: {aggregate!r}; allowed: mean, median (or None for every replication)")
    return problems
