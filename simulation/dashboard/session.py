"""A trainer's session: the live run, its comparison run, and the strategy changes made mid-run.

The live model plays the scenario with whatever the trainer changes; the comparison model
("ghost") plays the same world from the same seed without those changes — either the scenario as
written or, if asked, with no strategy at all — and is stepped in lock-step with the live one.
Because one seed gives one run, the two coincide until a change acts; from then on the gap
between them is the change's effect, free of luck.

A change is recorded at once but reaches the live model only at the start of the next month
(``step``), so a change made while a month is being simulated never tears it, and it acts from
the next month exactly as ``start:`` does in a scenario file.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import mesa
import numpy as np

from simulation.core.indicators import INDICATOR_NAMES, INDICATORS, SNAPSHOT_LAYERS
from simulation.core.levers import LEVERS_BY_NAME, PRINCIPLES, levers_of
from simulation.core.model import CriminalMarketModel
from simulation.scenario import Scenario, load_scenario, without_strategy
from simulation.scenario.loader import validate_scenario
from simulation.scenario.schema import JurisdictionTarget, LeverSpec, ZoneTarget

Comparison = Literal["as_written", "no_strategy"]
COMPARISONS: dict[str, str] = {
    "as_written": "the scenario as written (the gap is the effect of your changes)",
    "no_strategy": "no strategy at all (the gap is the effect of the whole strategy, your changes included)",
}
EnforcementStyle = Literal["rights_compliant", "heavy_handed"]
ENFORCEMENT_STYLES: tuple[str, ...] = ("rights_compliant", "heavy_handed")

DISPLACEMENT_SERIES: tuple[str, ...] = (
    "activity_target",
    "activity_buffer",
    "activity_control",
    "activity_other_jurisdictions",
    "activity_total",
)
"""Recorded each month when the scenario has a ``displacement:`` section."""
CORE_CHARTS: tuple[str, ...] = ("violence", "ocg_revenue", "ocg_members", "illicit_price", "new_victims")
"""Always charted: the outcomes a room asks about first (violence, revenue, members, price, victims)."""
FALLBACK_CHARTS = CORE_CHARTS
UNITS: dict[str, str] = {i.name: i.unit for i in INDICATORS}
UNITS.update(dict.fromkeys(DISPLACEMENT_SERIES, "units/month"))

Target = str
"""``"all"``, ``"jurisdiction:NAME"`` or ``"zone:NAME"`` (the form the dashboard's menus use)."""


@dataclass(frozen=True)
class Change:
    """One change the trainer made, and the first month it acts."""

    month: int
    text: str


@dataclass(frozen=True)
class LeverView:
    """What the strategy panel shows about one lever."""

    principle: str
    name: str
    on: bool
    """Acting next month or scheduled to act later."""
    intensity: float
    target: Target
    status: str


def target_key(target: Any) -> Target:
    """The menu key of a lever target (a schema object or its dumped mapping)."""
    if isinstance(target, ZoneTarget | JurisdictionTarget):
        target = target.model_dump()
    if isinstance(target, dict) and "zone" in target:
        return f"zone:{target['zone']}"
    if isinstance(target, dict) and "jurisdiction" in target:
        return f"jurisdiction:{target['jurisdiction']}"
    return "all"


def target_spec(key: Target) -> Any:
    kind, _, name = key.partition(":")
    if kind == "zone":
        return {"zone": name}
    if kind == "jurisdiction":
        return {"jurisdiction": name}
    if key != "all":
        raise ValueError(f"unknown target {key!r}; use 'all', 'jurisdiction:NAME' or 'zone:NAME'")
    return "all"


def describe_target(key: Target) -> str:
    kind, _, name = key.partition(":")
    return {"zone": f"zone {name}", "jurisdiction": name}.get(kind, "everywhere")


def charts_named_in(description: str, available: set[str], most: int = 4) -> list[str]:
    """Indicators the scenario's description names after "WHAT TO WATCH" (anywhere if it has no
    such part), in order, topped up with common ones."""
    text = description.lower()
    _, marker, watch = text.partition("what to watch")
    words = re.findall(r"[a-z][a-z_]*[a-z]", watch if marker else text)
    named = [w for w in dict.fromkeys(words) if w in available]
    for fallback in FALLBACK_CHARTS:
        if fallback not in named and fallback in available:
            named.append(fallback)
    return named[:most]


def scenario_files(folder: str | Path) -> dict[str, Path]:
    """Scenario files in a folder by name (file stem), sorted."""
    folder = Path(folder)
    return {p.stem: p for p in sorted(folder.glob("*.yaml"))} if folder.is_dir() else {}


def find_scenario(name: str, folder: str | Path | None = None) -> Path:
    """A scenario file given its path, or its name in ``folder``."""
    path = Path(name)
    if path.suffix in (".yaml", ".yml") or path.is_file():
        return path
    files = scenario_files(folder) if folder is not None else {}
    if name not in files:
        where = f" in {folder}" if folder is not None else ""
        raise ValueError(f"no scenario {name!r}{where}; available: {', '.join(files) or 'none'}")
    return files[name]


class TrainingSession(mesa.Model):
    """A live run and its comparison run, stepped together; levers can change between months.

    Parameters are keyword arguments so that Mesa's visualisation can re-create a session with
    new settings (scenario file, seed, what to compare with).
    """

    def __init__(
        self,
        scenario_name: str = "",
        seed: int = 1,
        compare: Comparison = "as_written",
        scenarios_dir: str | None = None,
        *,
        spec: Scenario | None = None,
    ) -> None:
        super().__init__(rng=int(seed))
        if compare not in COMPARISONS:
            raise ValueError(f"compare must be one of {sorted(COMPARISONS)}, got {compare!r}")
        self.seed = int(seed)
        self.compare: Comparison = compare
        if spec is None:
            self.source = find_scenario(scenario_name, scenarios_dir)
            spec = load_scenario(self.source)
        else:
            self.source = None
        self.original: Scenario = spec
        self.live = CriminalMarketModel(self.original, seed=self.seed)
        baseline = self.original if compare == "as_written" else without_strategy(self.original)
        self.ghost = CriminalMarketModel(baseline, seed=self.seed)
        self.changes: list[Change] = []
        self._planned: Scenario = self.original
        self._lock = threading.Lock()
        self.running = self.original.steps > 0

    # ------------------------------------------------------------------------------ time
    @property
    def month(self) -> int:
        """Months simulated so far (0 before the first step)."""
        return self.live.steps

    @property
    def last_month(self) -> int:
        return self.original.steps

    def step(self) -> None:
        """One month of both runs; the trainer's pending changes act from this month."""
        with self._lock:  # a change made meanwhile waits, and so acts from the month after
            if self.live.spec is not self._planned:
                self.live.spec = self._planned
            self.live.step()
            self.ghost.step()
            self.running = self.live.steps < self.last_month

    # -------------------------------------------------------------------------- strategy
    @property
    def strategy(self):
        """The strategy as the trainer has set it (in force from the next month)."""
        return self._planned.strategy

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    def targets(self) -> list[Target]:
        """Where a lever can act: everywhere, a jurisdiction, or one of the scenario's zones."""
        names = [j.name for j in self.original.world.jurisdictions]
        return ["all", *(f"jurisdiction:{n}" for n in names), *(f"zone:{z}" for z in self.original.zones)]

    def lever(self, principle: str, name: str) -> LeverView:
        spec: LeverSpec | None = getattr(getattr(self.strategy, principle), name)
        upcoming = self.month + 1
        if spec is None:
            return LeverView(principle, name, False, 1.0, "all", "off")
        on = spec.intensity > 0 and (spec.end is None or spec.end > upcoming)
        if not on:
            status = f"ended month {spec.end}" if spec.end is not None else "off"
        elif spec.start > upcoming:
            status = f"from month {spec.start}"
        elif spec.start <= self.month:
            status = f"on since month {spec.start}" if spec.start > 0 else "on"
        else:
            status = f"on from month {spec.start}"
        if on and spec.end is not None:
            status += f", until month {spec.end - 1}"
        return LeverView(principle, name, on, spec.intensity, target_key(spec.target), status)

    def levers(self, principle: str) -> list[LeverView]:
        return [self.lever(principle, lever.name) for lever in levers_of(principle)]  # type: ignore[arg-type]

    def set_lever(
        self,
        principle: str,
        name: str,
        *,
        on: bool | None = None,
        intensity: float | None = None,
        target: Target | None = None,
    ) -> None:
        """Switch a lever on or off, or change its intensity or target, from the next month.

        Switching on starts the lever next month (a scheduled lever is brought forward); switching
        off ends it after this month (a lever that has not acted yet is removed). Intensity and
        target changes keep the lever's window.
        """
        if principle not in PRINCIPLES or LEVERS_BY_NAME.get(name) is None:
            raise ValueError(f"unknown lever {principle}.{name}")
        if LEVERS_BY_NAME[name].principle != principle:
            raise ValueError(f"lever {name} belongs to {LEVERS_BY_NAME[name].principle}, not {principle}")
        upcoming = self.month + 1
        with self._lock:
            current = self.lever(principle, name)
            spec: LeverSpec | None = getattr(getattr(self.strategy, principle), name)
            fields = spec.model_dump(mode="json") if spec is not None else None
            words = []
            if on is True and not current.on:
                where = fields["target"] if fields is not None else "all"
                fields = {"intensity": current.intensity, "start": upcoming, "end": None, "target": where}
                words.append("on")
            elif on is True and fields is not None and fields["start"] > upcoming:
                fields["start"] = upcoming
                words.append("on now")
            elif on is False and current.on and fields is not None:
                fields = None if fields["start"] >= upcoming else {**fields, "end": upcoming}
                words.append("off")
            if fields is not None and intensity is not None and float(intensity) != fields["intensity"]:
                fields["intensity"] = float(intensity)
                words.append(f"intensity {float(intensity):g}")
            if fields is not None and target is not None and target != target_key(fields["target"]):
                fields["target"] = target_spec(target)
                words.append(f"target {describe_target(target)}")
            if not words:
                return
            strategy = self._planned.strategy.model_dump(mode="json")
            strategy[principle][name] = fields
            text = f"{principle.upper()} {name}: {', '.join(words)}"
            last = self.changes[-1] if self.changes else None
            only_intensity = re.compile(rf"{principle.upper()} {name}: intensity [0-9.]+")
            if (
                only_intensity.fullmatch(text)
                and last is not None
                and last.month == upcoming
                and only_intensity.fullmatch(last.text)
            ):
                self.changes.pop()  # a slider dragged through several values: keep where it stopped
            self._replan(strategy, text)

    def set_enforcement_style(self, style: EnforcementStyle) -> None:
        if style not in ENFORCEMENT_STYLES:
            raise ValueError(f"enforcement style must be one of {ENFORCEMENT_STYLES}, got {style!r}")
        with self._lock:
            if self.strategy.enforcement_style == style:
                return
            strategy = self._planned.strategy.model_dump(mode="json")
            strategy["enforcement_style"] = style
            self._replan(strategy, f"enforcement {style.replace('_', '-')}")

    def _replan(self, strategy: dict[str, Any], text: str) -> None:
        raw = self._planned.model_dump(mode="json")
        raw["strategy"] = strategy
        self._planned = validate_scenario(raw, f"{self.original.name} (changed in the dashboard)")
        self.changes.append(Change(self.month + 1, text))

    # --------------------------------------------------------------------------- results
    def indicators(self) -> list[str]:
        """Every series recorded for this scenario, in the results framework's order."""
        names = list(INDICATOR_NAMES)
        if self.original.displacement is not None:
            names += list(DISPLACEMENT_SERIES)
        return names

    def default_charts(self, extra: int = 3) -> list[str]:
        """The core five, after up to ``extra`` indicators the scenario says to watch."""
        named = charts_named_in(self.original.description, set(self.indicators()), most=extra)
        return [*dict.fromkeys([*named, *CORE_CHARTS])]

    def series(self, indicator: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Months, live values and comparison values of one indicator so far."""
        months = min(len(self.live.records), len(self.ghost.records))  # one may be mid-step
        live = np.array([r.get(indicator, np.nan) for r in self.live.records[:months]], dtype=float)
        ghost = np.array([r.get(indicator, np.nan) for r in self.ghost.records[:months]], dtype=float)
        return np.arange(1, months + 1), live, ghost

    def parted(self) -> int | None:
        """The first month whose indicators differ between the two runs (None while identical)."""
        for month, (live, ghost) in enumerate(zip(self.live.records, self.ghost.records, strict=False), 1):
            if live != ghost:
                return month
        return None

    def layer(self, name: str, run: Literal["live", "comparison"] = "live") -> np.ndarray:
        """A spatial layer ([x, y]) of the live or the comparison run, as of the last month."""
        if name not in SNAPSHOT_LAYERS:
            raise ValueError(f"unknown layer {name!r}; layers: {', '.join(SNAPSHOT_LAYERS)}")
        model = self.live if run == "live" else self.ghost
        return model.world.layers[name]

    def zones(self) -> dict[str, np.ndarray]:
        """The scenario's named zones as [x, y] masks (a hotspot zone is empty until it is fixed)."""
        return dict(self.live.zones.masks)

    def lever_area(self) -> np.ndarray | None:
        """Cells where a lever with a limited target acted in the last month (None if none did)."""
        masks = [a.mask for a in self.live.active_levers if not a.mask.all()]
        if not masks:
            return None
        return np.logical_or.reduce(masks)

    def scenario_name(self) -> str:
        if self.original.name and self.original.name != "unnamed":
            return self.original.name
        return self.source.stem if self.source is not None else "unnamed"
