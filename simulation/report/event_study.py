"""The report's event study: violence around leaders' removals, in runs that target leaders.

For every experiment with runs whose strategy switches on leadership targeting (the kingpin lever),
the report measures violence month by month around each leader removal (a ``leader_arrest`` event
that convicted the leader) with ``simulation.analysis.event_study``, from the runs' stored events
and monthly violence layer (``output.history``). In a test against a counterfactual whose runs kept
the layer too, each removal is set against the same cells and months of the run with the same seed
and no strategy (difference in differences); otherwise it is a before/after comparison, said so.
Nothing here simulates; runs that did not keep the layer are named, with what to change, instead
of being skipped in silence.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from simulation.analysis import event_study, window_effect
from simulation.formatting import format_percent
from simulation.storage import ResultsStore

PRINCIPLE, LEVER = "pursue", "leadership_targeting"
"""The lever that targets leaders (``simulation.core.levers.catalogue``)."""
KIND, WHERE = "leader_arrest", {"convicted": True}
"""Leader arrests that removed the leader, as in docs/patterns.md's kingpin patterns."""
LAYER = "violence"
WINDOW = (-12, 24)
"""Relative months plotted: a year before each removal to two years after."""
MONTHS = (0, 11)
"""The months the summary speaks of: the removal's month and the eleven after it."""
SHORT_MONTHS = (0, 5)
"""The first half year, also shown in the table (Calderón et al. 2015 report it)."""
CONFIDENCE = 0.9
AREA_NAMES = {
    "territory": "the group's own territory",
    "ring 1": "the cells next to it (one step away)",
    "ring 2": "the cells two steps away",
    "rest": "the rest of the grid",
}
HOW_TO_KEEP = (
    f"add `history: [{LAYER}]` under `output:` in the scenario or experiment file, or pass "
    f"`--set 'output.history=[{LAYER}]'`, and run again (what a run keeps is part of its "
    "configuration, so these runs are made anew)"
)
"""What to change, with code in backticks (the report sets it as code)."""
HOW_TO_REDO = (
    "a sweep does not redo finished runs, so run the experiment again into a new database "
    "(`--db sqlite:///results/new.sqlite`)"
)


@dataclass
class EventStudyData:
    """What the report says about leaders' removals in one experiment."""

    label: str
    """Which runs: the strategy of a test, or the experiment's name."""
    runs: int
    """Finished runs with leadership targeting switched on."""
    used: int = 0
    """Of them, runs that kept the monthly violence layer (the study's runs)."""
    points: int = 1
    """Parameter points (scenario and point of the plan) the study's runs come from."""
    stale: int = 0
    """Runs without the layer although their scenario lists it: stored by an ocsim that did not
    store monthly layers."""
    arrests: int = 0
    removals: int = 0
    study: pd.DataFrame | None = None
    """``event_study`` frame: relative_month, area, percent, low, high, events, runs."""
    effects: dict[tuple[int, int], pd.DataFrame] = field(default_factory=dict)
    """Months -> ``window_effect`` frame (index area: percent, low, high, events, runs)."""
    problem: str | None = None
    """Why there is no study, in plain words (with what to change when it can be fixed)."""
    against_counterfactual: bool = False
    """Whether every study run had its counterfactual run's layer (difference in differences)."""
    unmatched: str | None = None
    """In a test against a counterfactual, why the study is before/after instead (None otherwise)."""

    @property
    def missing(self) -> int:
        """Runs with the lever that did not keep the layer."""
        return self.runs - self.used


def targets_leaders(config: Mapping[str, Any]) -> bool:
    """Whether a run's resolved configuration switches leadership targeting on (intensity > 0)."""
    lever = ((config.get("strategy") or {}).get(PRINCIPLE) or {}).get(LEVER)
    return isinstance(lever, Mapping) and float(lever.get("intensity") or 0.0) > 0.0


class _StoredHistory(Mapping[str, np.ndarray]):
    """A run's monthly layers, read from the store when asked for and not kept (a large sweep's
    histories need not fit in memory together)."""

    def __init__(self, store: ResultsStore, run_id: int, layers: list[str]) -> None:
        self._store, self._run_id, self._layers = store, run_id, layers

    def __getitem__(self, layer: str) -> np.ndarray:
        if layer not in self._layers:
            raise KeyError(layer)
        return self._store.load_history(self._run_id, layer)[layer]

    def __iter__(self) -> Iterator[str]:
        return iter(self._layers)

    def __len__(self) -> int:
        return len(self._layers)


@dataclass
class _Run:
    events: pd.DataFrame
    history: Mapping[str, np.ndarray]


def gather_event_study(
    store: ResultsStore, label: str, plan: pd.DataFrame, counterfactual: str | None = None
) -> EventStudyData | None:
    """The event study of an experiment's finished runs with leadership targeting (None: no such runs).

    ``counterfactual``: the plan's scenario label of the runs without the strategy, in a paired
    test; each study run is then matched with the one of the same point and replication.
    """
    finished = plan[plan["status"] == "finished"].dropna(subset=["run_id"])
    ids = sorted({int(i) for i in finished["run_id"]})
    if not ids:
        return None
    table = store.load_runs(run_ids=ids)
    targeted = [int(r) for r, c in zip(table["run_id"], table["config"], strict=True) if targets_leaders(c)]
    if not targeted:
        return None
    data = EventStudyData(label, len(targeted))
    kept = store.history_layers(targeted)
    used = [run_id for run_id in targeted if LAYER in kept.get(run_id, [])]
    data.used = len(used)
    data.points = max(1, len(finished[finished["run_id"].isin(used)].drop_duplicates(["scenario", "point"])))
    configs = dict(zip(table["run_id"], table["config"], strict=True))
    data.stale = sum(1 for r in targeted if r not in used and LAYER in _listed(configs[r]))
    if not used:
        data.problem = f"The event study needs {LAYER} per cell and month. {why_missing(data)}"
        return data
    events = store.load_events(run_ids=used, kind=KIND)
    data.arrests = len(events)
    data.removals = int((events["convicted"] == True).sum()) if "convicted" in events else 0  # noqa: E712
    if data.removals == 0:
        data.problem = (
            f"No leader was removed (arrested and convicted) in the {_runs(data.used)} with leadership "
            f"targeting ({data.arrests} arrest{'s' if data.arrests != 1 else ''} of leaders, none "
            "convicted): there is no event to study."
        )
        return data
    by_run = dict(iter(events.groupby("run_id", sort=False)))
    runs = [
        _Run(by_run.get(run_id, events.iloc[0:0]), _StoredHistory(store, run_id, [LAYER])) for run_id in used
    ]
    options: dict[str, Any] = {"kind": KIND, "layer": LAYER, "where": WHERE, "confidence": CONFIDENCE}
    if counterfactual is not None:
        controls, data.unmatched = _counterfactual_runs(store, finished, used, counterfactual)
        if controls is not None:
            no_events = events.iloc[0:0]
            options["counterfactual"] = [_Run(no_events, _StoredHistory(store, c, [LAYER])) for c in controls]
            data.against_counterfactual = True
    data.study = event_study(runs, window=WINDOW, **options)
    data.effects = {months: window_effect(runs, months, **options) for months in (SHORT_MONTHS, MONTHS)}
    return data


def _counterfactual_runs(
    store: ResultsStore, finished: pd.DataFrame, used: list[int], label: str
) -> tuple[list[int] | None, str | None]:
    """The counterfactual run of each study run (same point and replication), or why there are none."""
    key = ["point", "replication"] if "point" in finished else ["replication"]
    twins = finished[finished["scenario"] == label].set_index(key)["run_id"]
    keys = finished.drop_duplicates("run_id").set_index("run_id").loc[used, key]
    wanted = [twins.get(tuple(k) if len(key) > 1 else k[0]) for k in keys.itertuples(index=False)]
    found = [int(w) for w in wanted if w is not None and not pd.isna(w)]
    kept = store.history_layers(found)
    lacking = len(used) - sum(1 for r in found if LAYER in kept.get(r, []))
    if lacking:
        return None, (
            f"{lacking} of the {_runs(len(used))} have no finished counterfactual run that kept "
            f"{LAYER}, so the comparison is before/after"
        )
    return found, None


def _listed(config: Mapping[str, Any]) -> list[str]:
    return list((config.get("output") or {}).get("history") or [])


def why_missing(data: EventStudyData) -> str:
    """Which runs lack the layer and what to do about it, one sentence per reason."""

    def which(n: int) -> str:
        return f"The {_runs(n)}" if n == data.runs else f"{n} of the {_runs(data.runs)}"

    said = []
    if unlisted := data.missing - data.stale:
        said.append(
            f"{which(unlisted)} with leadership targeting did not keep the monthly {LAYER} layer; "
            f"to keep it, {HOW_TO_KEEP}."
        )
    if data.stale:
        said.append(
            f"{which(data.stale)} with leadership targeting list {LAYER} under output.history but were "
            f"stored by an earlier ocsim, which did not store monthly layers; {HOW_TO_REDO}."
        )
    return " ".join(said)


def _runs(n: int) -> str:
    return f"{n} run{'s' if n != 1 else ''}"


def months_text(months: tuple[int, int]) -> str:
    first, last = months
    return f"months {first}–{last}"


def change_text(row: Mapping[str, Any]) -> str:
    """'rose by 101% (90% interval +82% to +120%)', from a ``window_effect`` row (values in %)."""
    percent, low, high = (float(row[k]) for k in ("percent", "low", "high"))
    if not np.isfinite(percent):
        return f"cannot be given as a change: there was no {LAYER} there in the months before"
    size = format_percent(abs(percent) / 100.0, signed=False)
    moved = "did not change" if size == "0%" else f"{'rose' if percent > 0 else 'fell'} by {size}"
    if not (np.isfinite(low) and np.isfinite(high)):
        return f"{moved} (no interval)"
    return (
        f"{moved} ({CONFIDENCE:.0%} interval {format_percent(low / 100.0)} to {format_percent(high / 100.0)})"
    )


def sentences(data: EventStudyData) -> list[str]:
    """One sentence per area (territory, ring 1, ring 2, rest of the grid), the first saying over what."""
    if data.problem is not None or MONTHS not in data.effects:
        return [data.problem or "No event study."]
    effect = data.effects[MONTHS]
    first, last = MONTHS
    span = f"in the {last - first + 1} months from the removal ({months_text(MONTHS)})"
    removals = f"{data.removals} removal{'s' if data.removals != 1 else ''}"
    against = (
        "against its mean over the 12 months before and the same change without the strategy"
        if data.against_counterfactual
        else "against its mean over the 12 months before"
    )
    said = [
        f"After a leader's removal (arrest and conviction), {LAYER} in the group's own territory "
        f"{change_text(effect.loc['territory'])} {span} {against}, over {removals} in {_runs(data.used)}."
    ]
    for area in effect.index:
        if area == "territory":
            continue
        said.append(f"In {AREA_NAMES.get(area, area)}, {LAYER} {change_text(effect.loc[area])}.")
    return said


def caveat(data: EventStudyData) -> str:
    """What the numbers are (and are not), and which runs were left out."""
    if data.against_counterfactual:
        text = (
            "A difference in differences: each removal's change is set against the change in the same "
            "cells and months of the run with the same seed and no strategy, which takes out what the "
            "world would have done anyway."
        )
    else:
        text = (
            "A before/after comparison around each removal: leaders fall where the police look, so the "
            "change is an association, not the lever's effect (the comparison with no strategy is that)."
        )
        if data.unmatched:
            text += f" {data.unmatched}."
    if data.points > 1:
        text += (
            f" The runs come from {data.points} parameter points (every point where leadership "
            "targeting is on) and are pooled."
        )
    if data.missing:
        text += f" {why_missing(data)} Those runs are left out."
    return text


def effects_table(data: EventStudyData) -> pd.DataFrame:
    """Area by window: the pooled change with its interval, as the summary writes it."""
    rows = []
    for area in data.effects[MONTHS].index:
        row: dict[str, Any] = {"area": AREA_NAMES.get(area, area)}
        for months, effect in data.effects.items():
            values = effect.loc[area]
            row[f"{months_text(months)} after: change [{CONFIDENCE:.0%} interval]"] = (
                f"{format_percent(values['percent'] / 100.0)} "
                f"[{format_percent(values['low'] / 100.0)}, {format_percent(values['high'] / 100.0)}]"
            )
        rows.append(row)
    return pd.DataFrame(rows)
