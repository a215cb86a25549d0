"""A trainer's session: the live run, its comparison run, and the strategy changes made mid-run.

The live model plays the **session scenario**: the scenario file with the trainer's changes
written into it as lever windows (``start``/``end``), the enforcement style and the budget, just
as a scenario file holds them. The comparison model ("ghost") plays the same world from the same
seed without those changes — either the scenario as written or, if asked, with no strategy at
all — and is stepped in lock-step with the live one. Because one seed gives one run, the two
coincide until a change acts; from then on the gap between them is the change's effect.

A change rewrites the session scenario from the next month on and never touches a month already
simulated: a change that would (a second window for a lever that has already acted and stopped,
a new intensity or target for a lever that is acting, another enforcement style or budget after
the first month) is refused with the reason, because no scenario file could hold it. So at every
moment the live run *is* the run of the session scenario, and ``ocsim run`` of the exported file
with the session's seed reproduces it exactly (``tests/test_dashboard.py`` checks it).

Seeds are root seeds, as ``ocsim run --seed``: the model's own seed is replication 0 spawned
from it (``simulation.core.seeds``), so the seed on the page and the seed on the command line
name the same run, and the band over several seeds is replications 0, 1, 2, ... of it.
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
from simulation.core.seeds import replication_seed
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


class ChangeRefused(ValueError):
    """A change no scenario file could hold, because it would rewrite a month already simulated."""


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
    can_switch: bool = True
    """Whether the switch may be flipped now."""
    can_tune: bool = False
    """Whether intensity and target may be changed now (only before the lever first acts)."""
    note: str = ""
    """Why the switch or the tuning is locked, in a trainer's words."""


@dataclass(frozen=True)
class Window:
    """Months a lever acts in the live run (both ends included)."""

    principle: str
    name: str
    first: int
    last: int
    intensity: float
    target: Target
    changed: bool
    """False for a window exactly as the scenario file has it; True if the trainer set or moved it."""

    @property
    def text(self) -> str:
        months = f"month {self.first}" if self.first == self.last else f"months {self.first}–{self.last}"
        extra = [f"intensity {self.intensity:g}"] if self.intensity != 1.0 else []
        if self.target != "all":
            extra.append(describe_target(self.target))
        tail = f" ({', '.join(extra)})" if extra else ""
        return f"{self.principle.upper()} {self.name}: {months}{tail}"


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


def acting(scenario: Scenario, month: int) -> tuple:
    """What the strategy does in one month: style, budget, and each acting lever's intensity and
    target — everything the model reads from the strategy that month."""
    strategy = scenario.strategy
    levers = tuple(
        (principle, name, spec.intensity, target_key(spec.target))
        for principle, name, spec in strategy.levers()
        if spec.active(month)
    )
    return strategy.enforcement_style, strategy.budget, levers


def first_rewritten_month(before: Scenario, after: Scenario, through: int) -> int | None:
    """The first of months 1..``through`` whose strategy differs between two scenarios (None if none)."""
    for month in range(1, through + 1):
        if acting(before, month) != acting(after, month):
            return month
    return None


def model_seed(seed: int) -> int:
    """The model seed of a root seed, as ``ocsim run --seed`` gives its first replication."""
    return replication_seed(int(seed), 0).seed


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

    Parameters are keyword arguments so that the page can re-create a session with new settings
    (scenario file, seed, what to compare with).
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
        """The root seed, as ``ocsim run --seed`` takes it."""
        self.model_seed = model_seed(self.seed)
        self.compare: Comparison = compare
        if spec is None:
            self.source: Path | None = find_scenario(scenario_name, scenarios_dir)
            spec = load_scenario(self.source)
        else:
            self.source = None
        self.original: Scenario = spec
        self.spec: Scenario = spec
        """The session scenario: what the live run plays (the original with the trainer's changes)."""
        self.live = CriminalMarketModel(self.spec, seed=self.model_seed)
        self.ghost = CriminalMarketModel(self.ghost_scenario, seed=self.model_seed)
        self.changes: list[Change] = []
        self._lock = threading.Lock()
        self.running = self.original.steps > 0

    @property
    def ghost_scenario(self) -> Scenario:
        """What the comparison run plays."""
        return self.original if self.compare == "as_written" else without_strategy(self.original)

    # ------------------------------------------------------------------------------ time
    @property
    def month(self) -> int:
        """Months simulated so far (0 before the first step)."""
        return self.live.steps

    @property
    def last_month(self) -> int:
        return self.original.steps

    @property
    def finished(self) -> bool:
        return self.month >= self.last_month

    def step(self) -> None:
        """One month of both runs."""
        with self._lock:  # a change made meanwhile waits, and so acts from the month after
            if self.finished:
                self.running = False
                return
            self.live.step()
            self.ghost.step()
            self.running = not self.finished

    # -------------------------------------------------------------------------- strategy
    @property
    def strategy(self):
        """The strategy as the trainer has set it (what the live run plays from the next month)."""
        return self.spec.strategy

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    def targets(self) -> list[Target]:
        """Where a lever can act: everywhere, a jurisdiction, or one of the scenario's zones."""
        names = [j.name for j in self.original.world.jurisdictions]
        return ["all", *(f"jurisdiction:{n}" for n in names), *(f"zone:{z}" for z in self.original.zones)]

    def lever(self, principle: str, name: str) -> LeverView:
        spec: LeverSpec | None = getattr(getattr(self.strategy, principle), name)
        now, upcoming = self.month, self.month + 1
        if self.finished:
            ended_run = "the run has ended (Reset to start again)"
        else:
            ended_run = ""
        if spec is None or spec.intensity <= 0:
            return LeverView(
                principle, name, False, 1.0, target_key(spec.target) if spec else "all", "off",
                can_switch=not ended_run, note=ended_run,
            )  # fmt: skip
        first = max(spec.start, 1)
        started = first <= now
        on = spec.end is None or spec.end > upcoming
        target = target_key(spec.target)
        if not on:
            last = spec.end - 1 if spec.end is not None else first
            status = f"acted months {first}–{last}" if started and last > first else f"acted month {first}"
            if not started:
                status = "off"
            again = spec.end == upcoming  # still acted this month: switching on just continues it
            note = ended_run or (
                ""
                if again or not started
                else "a scenario gives a lever one window, so it cannot act again in this run "
                "(Reset to start over)"
            )
            return LeverView(
                principle, name, False, spec.intensity, target, status,
                can_switch=not ended_run and (again or not started), note=note,
            )  # fmt: skip
        if first > upcoming:
            status = f"from month {first}"
        elif first == upcoming:
            status = f"on from month {first}"
        else:
            status = f"on since month {first}"
        if spec.end is not None:
            status += f", until month {spec.end - 1}"
        note = ended_run or (
            "intensity and where are fixed once a lever acts (a scenario gives a window one of each)"
            if started
            else ""
        )
        return LeverView(
            principle, name, True, spec.intensity, target, status,
            can_switch=not ended_run, can_tune=not ended_run and not started, note=note,
        )  # fmt: skip

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
        """Switch a lever on or off, or set its intensity or target, from the next month.

        Switching on starts the lever next month (a scheduled lever is brought forward, one
        switched off this month continues); switching off ends it after this month (a lever that
        has not acted yet is removed). Intensity and target can be set until the lever first acts.
        Anything else would rewrite a month already simulated and raises ``ChangeRefused``.
        """
        if principle not in PRINCIPLES or LEVERS_BY_NAME.get(name) is None:
            raise ValueError(f"unknown lever {principle}.{name}")
        if LEVERS_BY_NAME[name].principle != principle:
            raise ValueError(f"lever {name} belongs to {LEVERS_BY_NAME[name].principle}, not {principle}")
        label = f"{principle.upper()} {name}"
        with self._lock:
            self._refuse_if_finished(label)
            upcoming = self.month + 1
            current = self.lever(principle, name)
            spec: LeverSpec | None = getattr(getattr(self.strategy, principle), name)
            fields = spec.model_dump(mode="json") if spec is not None and spec.intensity > 0 else None
            words = []
            if on is True and not current.on:
                if not current.can_switch:
                    raise ChangeRefused(f"{label}: {current.status}; {current.note}")
                if fields is not None and fields["end"] == upcoming:
                    fields["end"] = None
                    words.append("on again")
                else:
                    where = fields["target"] if fields is not None else "all"
                    level = fields["intensity"] if fields is not None else current.intensity
                    fields = {"intensity": level, "start": upcoming, "end": None, "target": where}
                    words.append("on")
            elif on is True and fields is not None and max(fields["start"], 1) > upcoming:
                fields["start"] = upcoming
                words.append("on now")
            elif on is False and current.on and fields is not None:
                fields = None if max(fields["start"], 1) >= upcoming else {**fields, "end": upcoming}
                words.append("off")
            tuning = []
            if fields is not None and intensity is not None and float(intensity) != fields["intensity"]:
                fields["intensity"] = float(intensity)
                tuning.append(f"intensity {float(intensity):g}")
            if fields is not None and target is not None and target != target_key(fields["target"]):
                fields["target"] = target_spec(target)
                tuning.append(f"target {describe_target(target)}")
            if tuning and fields is not None and max(fields["start"], 1) <= self.month:
                raise ChangeRefused(
                    f"{label}: acting since month {max(fields['start'], 1)}; intensity and where are fixed "
                    "once a lever acts, because a scenario gives each window one intensity and one target "
                    "(switch it off, or Reset and set them before it starts)"
                )
            words += tuning
            if not words:
                return
            strategy = self.spec.strategy.model_dump(mode="json")
            strategy[principle][name] = fields
            text = f"{label}: {', '.join(words)}"
            last = self.changes[-1] if self.changes else None
            dragged = re.compile(rf"{re.escape(label)}: intensity [0-9.]+")
            self._adopt(strategy, text)
            if (
                dragged.fullmatch(text)
                and last is not None
                and last.month == upcoming
                and dragged.fullmatch(last.text)
            ):
                self.changes.remove(last)  # a slider dragged through several values: keep where it stopped

    def set_enforcement_style(self, style: EnforcementStyle) -> None:
        """Rights-compliant or heavy-handed enforcement, for the whole run: before the first month."""
        if style not in ENFORCEMENT_STYLES:
            raise ValueError(f"enforcement style must be one of {ENFORCEMENT_STYLES}, got {style!r}")
        with self._lock:
            if self.strategy.enforcement_style == style:
                return
            self._refuse_after_start("the enforcement style")
            strategy = self.spec.strategy.model_dump(mode="json")
            strategy["enforcement_style"] = style
            self._adopt(strategy, f"enforcement {style.replace('_', '-')}")

    def set_budget(self, budget: float | None) -> None:
        """The strategy's budget (k per month for all levers; None: no limit), before the first month."""
        if budget is not None and not (float(budget) > 0 and np.isfinite(float(budget))):
            raise ValueError(f"the budget must be a positive number of k per month (or none), got {budget!r}")
        budget = None if budget is None else float(budget)
        with self._lock:
            if self.strategy.budget == budget:
                return
            self._refuse_after_start("the budget")
            strategy = self.spec.strategy.model_dump(mode="json")
            strategy["budget"] = budget
            text = "budget: no limit" if budget is None else f"budget {budget:g} k/month"
            self._adopt(strategy, text)

    def _refuse_if_finished(self, what: str) -> None:
        if self.finished:
            raise ChangeRefused(f"{what}: the run has ended (Reset to start again)")

    def _refuse_after_start(self, what: str) -> None:
        self._refuse_if_finished(what)
        if self.month > 0:
            raise ChangeRefused(
                f"{what} holds for the whole run in a scenario file, so it is set before the first "
                f"month; this run is at month {self.month} (Reset to change it)"
            )

    def _adopt(self, strategy: dict[str, Any], text: str) -> None:
        """Make ``strategy`` the session scenario's, if it leaves every simulated month as it was."""
        raw = self.spec.model_dump(mode="json")
        raw["strategy"] = strategy
        candidate = validate_scenario(raw, f"{self.original.name} (changed in the dashboard)")
        rewritten = first_rewritten_month(self.spec, candidate, self.month)
        if rewritten is not None:  # the rules above never get here; this keeps them honest
            raise ChangeRefused(f"{text} would change month {rewritten}, which has already been simulated")
        self.spec = candidate
        if self.month == 0:  # nothing simulated yet: build the live run from the new scenario
            self.live = CriminalMarketModel(candidate, seed=self.model_seed)
        else:
            self.live.spec = candidate  # read afresh every month; the months so far are unchanged
        self.changes.append(Change(self.month + 1, text))

    def windows(self) -> list[Window]:
        """The lever windows of the live run, in catalogue order."""
        original = {(p, n): spec for p, n, spec in self.original.strategy.levers()}
        found = []
        for principle, name, spec in self.strategy.levers():
            first = max(spec.start, 1)
            last = min(spec.end - 1 if spec.end is not None else self.last_month, self.last_month)
            if spec.intensity <= 0 or last < first:
                continue
            changed = original.get((principle, name)) != spec
            found.append(
                Window(principle, name, first, last, spec.intensity, target_key(spec.target), changed)
            )
        return found

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

    def spent(self) -> float:
        """What the live run's levers cost in the last month (k)."""
        if not self.live.records:
            return 0.0
        record = self.live.records[-1]
        return float(sum(record.get(f"spend_{p}", 0.0) for p in PRINCIPLES))

    def scenario_name(self) -> str:
        if self.original.name and self.original.name != "unnamed":
            return self.original.name
        return self.source.stem if self.source is not None else "unnamed"
