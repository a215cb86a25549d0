"""What a report needs from the database, gathered per experiment (no plotting here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from simulation.report.event_study import EventStudyData, gather_event_study
from simulation.scenario import ScenarioError, load_scenario
from simulation.storage import ResultsStore
from simulation.storage.ledger import load_experiment_record, load_findings, load_verdicts

Kind = Literal["paired", "challenge", "sweep"]
COUNTERFACTUAL_SUFFIX = " (counterfactual)"
MAP_LAYERS = ("activity", "control_strength", "violence")


@dataclass
class ExperimentData:
    name: str
    kind: Kind
    record: dict[str, Any]
    metrics: pd.DataFrame
    parameters: list[str]
    verdicts: pd.DataFrame
    findings: list[dict[str, Any]]
    strategy: str | None = None
    counterfactual: str | None = None
    strategy_config: dict[str, Any] = field(default_factory=dict)
    map_step: int | None = None
    map_difference: dict[str, np.ndarray] = field(default_factory=dict)
    """Layer -> mean over replications of strategy minus counterfactual at ``map_step`` ([x, y])."""
    event_study: EventStudyData | None = None
    """Violence around leaders' removals in the runs with leadership targeting (None: no such runs)."""


def gather(store: ResultsStore, name: str) -> ExperimentData:
    record = load_experiment_record(store, name)
    if record is None:
        raise LookupError(f"no experiment named {name!r}")
    metrics = store.load_metrics(experiment=name)
    plan = store.experiment_plan(name)
    parameters = [
        c
        for c in plan.columns
        if c not in ("scenario", "point", "replication", "run_key", "run_id", "status")
    ]
    findings = load_findings(store, name, "challenge")
    scenarios = sorted(set(plan["scenario"]))
    counterfactual = next((s for s in scenarios if s.endswith(COUNTERFACTUAL_SUFFIX)), None)
    strategy = counterfactual.removesuffix(COUNTERFACTUAL_SUFFIX) if counterfactual else None
    kind: Kind = "challenge" if findings else "paired" if strategy in scenarios else "sweep"
    data = ExperimentData(
        name, kind, record, metrics, parameters, load_verdicts(store, name), findings,
        strategy if kind != "sweep" else None, counterfactual if kind != "sweep" else None,
    )  # fmt: skip
    if kind == "paired":
        _maps(store, data, plan)
    paired = kind == "paired" and strategy is not None
    data.event_study = gather_event_study(
        store, strategy if paired and strategy else name, plan, counterfactual if paired else None
    )
    if not data.verdicts.empty:
        data.verdicts["baseline"] = _baselines(record, data.verdicts)
    return data


def _baselines(record: dict[str, Any], verdicts: pd.DataFrame) -> list[tuple[int, int] | None]:
    """The months a 'start' claim compared with, read back from the scenario file when it is there.

    Verdicts do not store them; the file may have moved or changed since, so a claim only gets
    its baseline when the file still states the same claim at the same place.
    """
    found: list[tuple[int, int] | None] = [None] * len(verdicts)
    if not (verdicts["compare"] == "start").any():
        return found
    sources = record.get("spec", {}).get("scenarios") or []
    try:
        claims = load_scenario(sources[0]).theory_of_success if sources else []
    except (ScenarioError, OSError, ValueError):
        return found
    for i, (_, v) in enumerate(verdicts.iterrows()):
        index = int(v["claim_index"])
        if v["compare"] == "start" and index < len(claims) and claims[index].claim == v["claim"]:
            found[i] = claims[index].baseline_window
    return found


def _maps(store: ResultsStore, data: ExperimentData, plan: pd.DataFrame) -> None:
    """Mean difference of the snapshot layers at the last month both runs of a pair kept."""
    finished = plan[plan["status"] == "finished"]
    pairs = finished.pivot_table(index="replication", columns="scenario", values="run_id", aggfunc="first")
    if data.strategy not in pairs or data.counterfactual not in pairs:
        return
    runs = store.load_runs(run_ids=[int(i) for i in finished["run_id"]])
    configs = dict(zip(runs["run_id"], runs["config"], strict=True))
    differences: dict[str, list[np.ndarray]] = {layer: [] for layer in MAP_LAYERS}
    complete = pairs.dropna()
    if complete.empty:
        return
    # Every strategy run of the experiment has the same configuration but its seed.
    data.strategy_config = configs.get(int(complete[data.strategy].iloc[0]), {})
    for _, row in complete.iterrows():
        s_id, c_id = int(row[data.strategy]), int(row[data.counterfactual])
        s_snaps, c_snaps = (
            store.load_snapshots(s_id, layers=MAP_LAYERS),
            store.load_snapshots(c_id, layers=MAP_LAYERS),
        )
        common = sorted(set(s_snaps) & set(c_snaps))
        if not common:
            continue
        step = common[-1]
        data.map_step = step
        for layer in MAP_LAYERS:
            if layer in s_snaps[step] and layer in c_snaps[step]:
                differences[layer].append(
                    s_snaps[step][layer].astype(float) - c_snaps[step][layer].astype(float)
                )
    data.map_difference = {k: np.mean(v, axis=0) for k, v in differences.items() if v}
