"""The pattern table: what the literature observed, what ocsim gives, and whether it lies inside.

Each pattern carries its source, the observed range it is judged against (with why that range),
how ocsim measures it and the computation that does. ``python -m validation.patterns`` runs every
pattern on its worlds and writes ``docs/patterns.md``; the tests call the same ``judge`` for the
patterns the model reproduces, so the table and the tests cannot disagree.

Measures are paired where there is a counterfactual (replication i of the strategy and of the
same scenario without it share seed i) and are given as a percentage with a 90% interval from a
bootstrap over seeds (seeded, so a re-run gives the same table).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import cache
from multiprocessing import get_context
from pathlib import Path

import numpy as np

from simulation import RunResult, load_scenario, run_scenario
from simulation.analysis import window_effect
from simulation.scenario import Scenario, without_strategy
from simulation.scenario.schema import HotspotZone

ROOT = Path(__file__).resolve().parents[1]
TABLE_PATH = ROOT / "docs" / "patterns.md"
REPLICATIONS = 16
CONFIDENCE = 0.9
RESAMPLES = 2000
RIGHTS_COMPLIANT = (("strategy.enforcement_style", "rights_compliant"),)
"""The heavy-handed crackdown's comparison: the same crackdown done rights-compliantly."""
NO_INTEGRITY = (("strategy.prevent.institutional_integrity.intensity", 0.0),)
"""The integrity programme's comparison: the same pursuit without it."""


@dataclass(frozen=True)
class Variant:
    """A world the patterns are measured on: settings over the scenarios' own, and a shift of every
    lever's start (and end, and hotspot month, and the measurement windows) in months."""

    name: str
    settings: tuple[tuple[str, object], ...] = ()
    shift: int = 0
    draws: tuple[tuple[tuple[str, object], ...], ...] = ()
    """Settings per replication on top of ``settings`` (a posterior's draws): replication i takes
    draw i, in both runs of its pair, so the pair still differs only in the strategy."""


def _world(width: int, height: int, groups: int) -> tuple[tuple[str, object], ...]:
    return (("world.grid.width", width), ("world.grid.height", height), ("world.ocgs.count", groups))


DEFAULT = Variant("default world (40 x 40, 8 groups)")
SMALL_WORLD = Variant("30 x 30, 5 groups", _world(30, 30, 5))
"""The world the baseline calibration fits (scenarios/baseline_30x30.yaml)."""
VARIANTS: tuple[Variant, ...] = (
    DEFAULT,
    SMALL_WORLD,
    Variant("56 x 56, 14 groups", _world(56, 56, 14)),
    Variant("60 x 30, 10 groups", _world(60, 30, 10)),
    Variant("levers 12 months later", shift=12),
    Variant("levers 12 months earlier", shift=-12),
)
"""The worlds and start months of the robustness table (issue: robust on any world)."""
POSTERIOR_WORLD = SMALL_WORLD.settings
POSTERIOR_DRAW_SEED = 0
POSTERIOR_HEADING = "\n## Across the calibrated posterior\n"


def posterior_variant(db_url: str, ensemble: str, replications: int) -> Variant:
    """The 30 x 30 world with replication i's behaviour parameters drawn from a stored posterior
    (by weight, with replacement, seeded), so a pattern's interval spans parameter uncertainty as
    well as luck. The draws are the same for every pattern."""
    from simulation import load_posterior
    from simulation.calibration.verdicts import draw_parameters, plain_values

    draws = draw_parameters(load_posterior(db_url, ensemble), replications, POSTERIOR_DRAW_SEED)
    per_draw = tuple(tuple(sorted(plain_values(r).items())) for r in draws.to_dict("records"))
    return Variant(f"posterior of {ensemble} (30 x 30, 5 groups)", POSTERIOR_WORLD, draws=per_draw)


@dataclass(frozen=True)
class Measurement:
    estimate: float
    low: float
    high: float
    n: int


@dataclass(frozen=True)
class Pattern:
    """One pattern: the evidence, the accepted range, and how ocsim measures it."""

    name: str
    source: str
    observed: str
    accepted: tuple[float, float]
    why_this_range: str
    unit: str
    measured_as: str
    measure: Callable[[int, Variant], Measurement]

    def judge(self, replications: int = REPLICATIONS, variant: Variant = DEFAULT) -> tuple[Measurement, str]:
        """The model's value and the verdict: inside only if the whole 90% interval is inside."""
        value = self.measure(replications, variant)
        low, high = self.accepted
        if low <= value.low and value.high <= high:
            verdict = "inside"
        elif value.high < low or value.low > high:
            verdict = "outside"
        else:
            verdict = "overlaps"
        return value, verdict


# ------------------------------------------------------------------------------------ running
_pool: ProcessPoolExecutor | None = None


def _runs(scenarios: Sequence, seeds: Sequence[int]) -> list[RunResult]:
    """Runs of (scenario, seed) pairs on every core; seeded, so where they run changes nothing."""
    global _pool
    if _pool is None:
        _pool = ProcessPoolExecutor(os.cpu_count() or 1, mp_context=get_context("forkserver"))
    return list(_pool.map(run_scenario, scenarios, seeds))


def shifted(scenario: Scenario, months: int) -> Scenario:
    """The scenario with every lever's window and every hotspot month moved by ``months`` (later if
    positive), and as many more months simulated when later."""
    moved = scenario.model_copy(deep=True)
    for _, _, lever in moved.strategy.levers():
        end = None if lever.end is None else max(1, lever.end + months)
        lever.end = None  # assigned twice so the start/end order check holds on the way
        lever.start = max(0, lever.start + months)
        lever.end = end if end is None or end > lever.start else lever.start + 1
    for zone in moved.zones.values():
        if isinstance(zone, HotspotZone):
            zone.hotspots.at_step = max(1, zone.hotspots.at_step + months)
    moved.steps = scenario.steps + max(0, months)
    return moved


def _scenario(name: str, variant: Variant, extra: tuple) -> Scenario:
    scenario = load_scenario(ROOT / "scenarios" / f"{name}.yaml", dict(variant.settings + extra))
    return shifted(scenario, variant.shift) if variant.shift else scenario


def _scenarios(name: str, variant: Variant, extra: tuple, replications: int) -> list[Scenario]:
    """The scenario of each replication: one for all, or one per draw of the variant's draws."""
    if not variant.draws:
        return [_scenario(name, variant, extra)] * replications
    draws = variant.draws
    return [_scenario(name, variant, draws[i % len(draws)] + extra) for i in range(replications)]


@cache
def paired(
    name: str, replications: int, variant: Variant = DEFAULT, extra: tuple = ()
) -> tuple[tuple[RunResult, RunResult], ...]:
    """(strategy, counterfactual) runs of a shipped scenario on seeds 1..n."""
    scenarios = _scenarios(name, variant, extra, replications)
    return _pairs(scenarios, [without_strategy(s) for s in scenarios])


@cache
def contrasted(
    name: str, replications: int, variant: Variant, reference_settings: tuple
) -> tuple[tuple[RunResult, RunResult], ...]:
    """(scenario, the same scenario with ``reference_settings``) runs on seeds 1..n: for claims
    whose comparison is not "no strategy" (heavy-handed against rights-compliant, say)."""
    return _pairs(
        _scenarios(name, variant, (), replications),
        _scenarios(name, variant, reference_settings, replications),
    )


@cache
def compared(name: str, other: str, replications: int) -> tuple[tuple[RunResult, RunResult], ...]:
    """(scenario, another shipped scenario) runs on seeds 1..n: integrated against pursuit alone."""
    return _pairs(_scenarios(name, DEFAULT, (), replications), _scenarios(other, DEFAULT, (), replications))


def _pairs(first: Sequence[Scenario], second: Sequence[Scenario]) -> tuple[tuple[RunResult, RunResult], ...]:
    """(first[i], second[i]) runs, replication i of both on seed i + 1 (common random numbers)."""
    jobs = [scenario for pair in zip(first, second, strict=True) for scenario in pair]
    seeds = [i + 1 for i in range(len(first)) for _ in (0, 1)]
    results = _runs(jobs, seeds)
    return tuple(zip(results[0::2], results[1::2], strict=True))


def _bootstrap(values: Callable[[np.ndarray], float], n: int, seed: int = 0) -> tuple[float, float]:
    """Percentile interval of ``values(indices)`` over resamples of the n seeds."""
    rng = np.random.default_rng(seed)
    draws = np.array([values(rng.integers(0, n, n)) for _ in range(RESAMPLES)])
    tail = (1.0 - CONFIDENCE) / 2.0 * 100.0
    low, high = np.nanpercentile(draws, [tail, 100.0 - tail])
    return float(low), float(high)


def relative_change(runs, indicator: str, window: tuple[int, int]) -> Measurement:
    """100 x (sum over seeds of the strategy's window mean / the counterfactual's - 1)."""
    first, last = window
    s = np.array([a.metrics.loc[first:last, indicator].mean() for a, _ in runs])
    c = np.array([b.metrics.loc[first:last, indicator].mean() for _, b in runs])

    def value(i: np.ndarray) -> float:
        return 100.0 * (s[i].sum() / c[i].sum() - 1.0) if c[i].sum() > 0 else np.nan

    low, high = _bootstrap(value, len(s))
    return Measurement(value(np.arange(len(s))), low, high, len(s))


# ------------------------------------------------------------------------------------ measures
def _window(window: tuple[int, int], variant: Variant) -> tuple[int, int]:
    return window[0] + variant.shift, window[1] + variant.shift


def _kingpin_area(area: str, months: tuple[int, int]) -> Callable[[int, Variant], Measurement]:
    def measure(replications: int, variant: Variant) -> Measurement:
        settings = (("output.history", ("violence",)),)
        runs = paired("kingpin_turf_war", replications, variant, settings)
        effect = window_effect(
            [s for s, _ in runs],
            months,
            "leader_arrest",
            where={"convicted": True},
            confidence=CONFIDENCE,
            counterfactual=[c for _, c in runs],
        )
        row = effect.loc[area]
        return Measurement(float(row["percent"]), float(row["low"]), float(row["high"]), replications)

    return measure


def _realised_elasticity(replications: int, variant: Variant) -> Measurement:
    runs = paired("seizure_price_pass_through", replications, variant)
    first, last = _window((37, 72), variant)
    price = np.array([[a.metrics.loc[first:last, "illicit_price"].mean() for a, _ in runs],
                      [b.metrics.loc[first:last, "illicit_price"].mean() for _, b in runs]])  # fmt: skip
    volume = np.array([[a.metrics.loc[first:last, "illicit_volume"].mean() for a, _ in runs],
                       [b.metrics.loc[first:last, "illicit_volume"].mean() for _, b in runs]])  # fmt: skip

    def value(i: np.ndarray) -> float:
        dp = np.log(price[0, i].sum() / price[1, i].sum())
        dq = np.log(volume[0, i].sum() / volume[1, i].sum())
        return float(dq / dp) if dp > 0 else np.nan

    low, high = _bootstrap(value, len(runs))
    return Measurement(value(np.arange(len(runs))), low, high, len(runs))


def _displacement_share(name: str) -> Callable[[int, Variant], Measurement]:
    """Ring gain over target fall of a crackdown scenario's displacement areas, months 25-72."""

    def measure(replications: int, variant: Variant) -> Measurement:
        return _displacement(paired(name, replications, variant), _window((25, 72), variant))

    return measure


def _displacement(runs, window: tuple[int, int]) -> Measurement:
    first, last = window

    def totals(indicator: str) -> np.ndarray:
        return np.array(
            [
                a.metrics.loc[first:last, indicator].mean() - b.metrics.loc[first:last, indicator].mean()
                for a, b in runs
            ]
        )

    target, buffer = totals("activity_target"), totals("activity_buffer")

    def value(i: np.ndarray) -> float:
        fall = -target[i].sum()
        return float(buffer[i].sum() / fall) if fall > 0 else np.nan

    low, high = _bootstrap(value, len(runs))
    return Measurement(value(np.arange(len(runs))), low, high, len(runs))


def _prevention(replications: int, variant: Variant) -> Measurement:
    runs = paired("prevention_slow_durable", replications, variant)
    return relative_change(runs, "ocg_members", _window((49, 72), variant))


def _integrated_members(replications: int, variant: Variant) -> Measurement:
    runs = paired("integrated_4p", replications, variant)
    return relative_change(runs, "ocg_members", _window((109, 120), variant))


def _integrated_violence(replications: int, variant: Variant) -> Measurement:
    runs = paired("integrated_4p", replications, variant)
    return relative_change(runs, "violence", _window((109, 120), variant))


def _heavy_handed_reports(replications: int, variant: Variant) -> Measurement:
    runs = contrasted("heavy_handed_backlash", replications, variant, RIGHTS_COMPLIANT)
    return relative_change(runs, "community_reports", _window((25, 72), variant))


def _integrity_arrests(replications: int, variant: Variant) -> Measurement:
    runs = contrasted("corruption_blunts_pursuit", replications, variant, NO_INTEGRITY)
    return relative_change(runs, "arrests", _window((25, 72), variant))


PATTERNS: tuple[Pattern, ...] = (
    Pattern(
        name="kingpin_local_surge",
        source="Lindo & Padilla-Romo (2018), J. Health Econ.; Calderón et al. (2015), J. Confl. Resol.",
        observed="homicides +80% in the municipality of a kingpin capture, for at least 12 months; "
        "about +36% in the first 6 months (both against places and months without a capture: "
        "fixed effects and timing, difference in differences with synthetic controls)",
        accepted=(30.0, 130.0),
        why_this_range="the two studies' point estimates (+36%, +80%) widened for their sampling error "
        "and because a group's territory is not a municipality",
        unit="% change, difference in differences",
        measured_as="event study of leader arrests that removed the leader (kingpin_turf_war): violence "
        "in the group's territory, months 0-11 after against the 12 before, over the same change in the "
        "same cells and months of the paired counterfactual run (same seed, no leadership targeting)",
        measure=_kingpin_area("territory", (0, 11)),
    ),
    Pattern(
        name="kingpin_surrounding_areas",
        source="Lindo & Padilla-Romo (2018), J. Health Econ.; Calderón et al. (2015), J. Confl. Resol.",
        observed="contested: homicides fall in the municipalities surrounding the one of capture "
        "(Lindo & Padilla-Romo 2018, published version; their +30% for about 6 months is in "
        "neighbouring municipalities where the same organisation is present, which here is the "
        "group's own territory); violence spills over to neighbouring municipalities (Calderón et al.)",
        accepted=(-50.0, 40.0),
        why_this_range="the evidence disagrees on the sign, so the range runs from a fall (the lower "
        "end excludes a collapse of violence around the territory, which neither study reports) to a "
        "spill-over the size of the +30% reported next door, with its sampling error",
        unit="% change, difference in differences",
        measured_as="the same event study and counterfactual: cells within one Moore step of the "
        "territory (held by other groups or by none), months 0-5",
        measure=_kingpin_area("ring 1", (0, 5)),
    ),
    Pattern(
        name="realised_demand_elasticity",
        source="OAS (2013), The Drug Problem in the Americas, ch. 4; Gallet (2014), Health Econ.; "
        "AIC (2020) systematic review",
        observed="price elasticity of demand about -0.5 (cocaine, cannabis), -0.3 (heroin); about "
        "-0.9 on average in a recent review",
        accepted=(-1.0, -0.3),
        why_this_range="the span of the reviewed estimates",
        unit="dlog volume / dlog price",
        measured_as="seizure_price_pass_through against its counterfactual, months 37-72: change in "
        "units sold over change in the price (both log, paired sums)",
        measure=_realised_elasticity,
    ),
    Pattern(
        name="displacement_is_partial",
        source="Guerette & Bowers (2009), Criminology; Weisburd et al. (2006), Criminology",
        observed="in 574 observations of place-based interventions displacement occurred in about a "
        "quarter and diffusion of benefits in about as many; where crime was displaced, less moved "
        "than was prevented. In Jersey City's drug and prostitution markets, crackdowns brought "
        "little displacement to the surrounding two blocks, and some diffusion of benefits",
        accepted=(-1.0, 1.0),
        why_this_range="partial displacement (0 to 1) or diffusion of benefits (below 0); a ratio "
        "above 1 (more displaced than prevented) is rarely observed",
        unit="ring gain / target fall",
        measured_as="street_market_crackdown against its counterfactual, months 25-72: street sales "
        "gained in the 2-locality ring over street sales lost in the 20 policed market places (the "
        "study areas are street markets and the catchment around them, as in Weisburd et al.)",
        measure=_displacement_share("street_market_crackdown"),
    ),
    Pattern(
        name="trafficking_routes_divert",
        source="Dell (2015), Am. Econ. Rev.; Reuter (2014), in Ending the Drug Wars, LSE IDEAS",
        observed="crackdowns on trafficking in some Mexican municipalities diverted the traffic onto "
        "the predicted alternative routes, where drug confiscations rose (Dell); interdiction moves "
        "trafficking routes rather than closing them (Reuter). No study gives a displacement ratio",
        accepted=(0.25, 2.0),
        why_this_range="a direction test: trade must reappear around the crackdown (at least a quarter "
        "of what the corridors lost) rather than vanish; above 1 is allowed up to 2 because goods "
        "in transit count in every cell they cross and a detour is longer than the road it avoids",
        unit="ring gain / target fall",
        measured_as="balloon_effect against its counterfactual, months 25-72: illicit activity (sales "
        "and goods in transit) gained in the 3-cell ring over activity lost in the 40 most active "
        "cells, mostly smuggling corridors",
        measure=_displacement_share("balloon_effect"),
    ),
    Pattern(
        name="prevention_lowers_membership",
        source="Calderoni et al. (2021), PROTON-OC simulations, Trends Organ. Crime",
        observed="every prevention policy simulated lowers total membership; none eradicates it",
        accepted=(-50.0, 0.0),
        why_this_range="a fall (below 0) that leaves at least half of the membership",
        unit="% of counterfactual",
        measured_as="prevention_slow_durable against its counterfactual: members, months 49-72",
        measure=_prevention,
    ),
    Pattern(
        name="heavy_handed_cuts_reporting",
        source="Tyler (2006), Why People Obey the Law; Skogan (2006), Policing & Society; Desmond, "
        "Papachristos & Kirk (2016), Am. Sociol. Rev.; contested by Zoorob (2020), Am. Sociol. Rev.",
        observed="unfair treatment by the police lowers their legitimacy and people's willingness to "
        "cooperate (Tyler); calls to the police fell about 17% in the year after a publicised beating "
        "(Desmond et al.), a finding that did not survive re-analysis (Zoorob): the size is contested",
        accepted=(-30.0, 0.0),
        why_this_range="from no change (Zoorob's re-analysis) to a fall somewhat larger than Desmond "
        "et al.'s 17%, since here the unfair contacts go on for years rather than one incident",
        unit="% of rights-compliant",
        measured_as="heavy_handed_backlash against the same crackdown done rights-compliantly "
        "(same seeds): community reports to the police, months 25-72",
        measure=_heavy_handed_reports,
    ),
    Pattern(
        name="integrity_restores_pursuit",
        source="Buscaglia & van Dijk (2003), Forum on Crime and Society 3; UNODC Toolkit (fig. 9)",
        observed="across countries, organized crime is highest where public institutions are most "
        "corrupt; corrupt officials shield groups from enforcement. No intervention's effect size on "
        "arrests is published",
        accepted=(0.0, 100.0),
        why_this_range="the direction is the pattern (integrity raises what the same police effort "
        "achieves); the upper end excludes a doubling, which no anti-corruption programme has shown",
        unit="% of no integrity programme",
        measured_as="corruption_blunts_pursuit against the same scenario without the integrity "
        "programme (same seeds): arrests, months 25-72",
        measure=_integrity_arrests,
    ),
    Pattern(
        name="integrated_no_eradication_members",
        source="Braga et al. (2018), focused deterrence meta-analysis; no programme has eradicated "
        "organized crime in a decade",
        observed="the strongest evaluated strategies cut violence by tens of percent",
        accepted=(-80.0, 0.0),
        why_this_range="organized crime stays alive: at least 20% of the counterfactual membership "
        "after ten years",
        unit="% of counterfactual",
        measured_as="integrated_4p against its counterfactual: members, months 109-120",
        measure=_integrated_members,
    ),
    Pattern(
        name="integrated_violence_cut",
        source="Braga et al. (2018), Criminology & Public Policy",
        observed="focused deterrence: moderate reductions in crime and violence, tens of percent",
        accepted=(-80.0, -10.0),
        why_this_range="tens of percent, not eradication",
        unit="% of counterfactual",
        measured_as="integrated_4p against its counterfactual: violence, months 109-120",
        measure=_integrated_violence,
    ),
)
PATTERNS_BY_NAME = {p.name: p for p in PATTERNS}


# -------------------------------------------------------------------------------------- table
_HEADER = """# Patterns: what was observed, what ocsim gives

Generated by `python -m validation.patterns {n} --all-worlds [--posterior DB_URL ENSEMBLE]`
(replications {n} per pattern, seeds 1..{n}, default world 40 x 40 with 8 groups unless the
scenario says otherwise; this table {seconds:.0f} s on {cores} cores). Do not edit by hand. A
verdict is *inside* when the model's whole 90% interval lies in the accepted range, *outside*
when it lies wholly beyond it, *overlaps* otherwise. The tests (`tests/test_patterns.py`) judge
the patterns marked inside with the same code.

| Pattern | Source | Observed | Accepted range (why) | ocsim measures | Model, 90% interval | Verdict |
|---|---|---|---|---|---|---|
"""


def table(replications: int = REPLICATIONS) -> str:
    started = time.perf_counter()
    rows = []
    for p in PATTERNS:
        value, verdict = p.judge(replications)
        low, high = p.accepted
        model = f"{value.estimate:+.2f} [{value.low:+.2f}, {value.high:+.2f}]"
        rows.append(
            f"| `{p.name}` | {p.source} | {p.observed} | {low:g} to {high:g} {p.unit} ({p.why_this_range}) "
            f"| {p.measured_as} | {model} | **{verdict}** |"
        )
        print(f"{p.name}: {model} -> {verdict}", flush=True)
    header = _HEADER.format(n=replications, seconds=time.perf_counter() - started, cores=os.cpu_count())
    return header + "\n".join(rows) + "\n"


def robustness(replications: int = REPLICATIONS) -> str:
    """Every pattern on every world and start shift of ``VARIANTS``: value, interval, verdict."""
    started = time.perf_counter()
    head = "| Pattern | " + " | ".join(v.name for v in VARIANTS) + " |"
    rows = [head, "|---" * (len(VARIANTS) + 1) + "|"]
    for p in PATTERNS:
        cells = []
        for variant in VARIANTS:
            value, verdict = p.judge(replications, variant)
            cells.append(f"{value.estimate:+.2f} [{value.low:+.2f}, {value.high:+.2f}] {verdict}")
            print(f"{p.name} / {variant.name}: {cells[-1]}", flush=True)
        rows.append(f"| `{p.name}` | " + " | ".join(cells) + " |")
    seconds = time.perf_counter() - started
    return (
        f"\n## On other worlds and start months\n\nThe same measures on {len(VARIANTS)} worlds and start "
        f"months ({replications} pairs each, windows moved with the levers; {seconds:.0f} s). "
        "An effect that holds only on the default world is not claimed.\n\n" + "\n".join(rows) + "\n"
    )


def across_posterior(variant: Variant, replications: int = REPLICATIONS) -> str:
    """Every pattern with the behaviour parameters drawn from a calibration's posterior."""
    started = time.perf_counter()
    rows = ["| Pattern | Accepted range | 30 x 30, 5 groups, default parameters | "
            "30 x 30, 5 groups, posterior draws | Verdict |", "|---|---|---|---|---|"]  # fmt: skip
    for p in PATTERNS:
        fixed, fixed_verdict = p.judge(replications, SMALL_WORLD)
        drawn, verdict = p.judge(replications, variant)
        rows.append(
            f"| `{p.name}` | {p.accepted[0]:g} to {p.accepted[1]:g} | {fixed.estimate:+.2f} "
            f"[{fixed.low:+.2f}, {fixed.high:+.2f}] {fixed_verdict} | {drawn.estimate:+.2f} "
            f"[{drawn.low:+.2f}, {drawn.high:+.2f}] | **{verdict}** |"
        )
        print(f"{p.name} / {variant.name}: {rows[-1]}", flush=True)
    names = sorted({k for draw in variant.draws for k, _ in draw})
    return (
        f"{POSTERIOR_HEADING}\n{variant.name}: replication i of every pattern "
        f"runs at posterior draw i (drawn by weight, seed {POSTERIOR_DRAW_SEED}; both runs of a pair "
        f"at the same draw), so the interval covers the uncertainty left in "
        f"{', '.join(f'`{n}`' for n in names)} as well as luck ({replications} pairs; "
        f"{time.perf_counter() - started:.0f} s). The default-parameter column is the same world "
        "at the defaults of docs/parameters.md.\n\n" + "\n".join(rows) + "\n"
    )


def _option(flag: str, count: int) -> list[str] | None:
    if flag not in sys.argv:
        return None
    at = sys.argv.index(flag)
    values = sys.argv[at + 1 : at + 1 + count]
    if len(values) < count or any(v.startswith("--") for v in values):
        sys.exit(f"{flag} needs {count} values: {flag} DB_URL ENSEMBLE_NAME")
    return values


def with_posterior_section(text: str, section: str) -> str:
    """``text`` with its posterior section (if any) replaced by ``section``."""
    kept = text.split(POSTERIOR_HEADING, 1)[0].rstrip("\n") + "\n"
    return kept + section


if __name__ == "__main__":
    posterior = _option("--posterior", 2)
    taken = set(posterior or ())
    args = [a for a in sys.argv[1:] if not a.startswith("--") and a not in taken]
    n = int(args[0]) if args else REPLICATIONS
    if "--posterior-only" in sys.argv:  # the other tables do not depend on a posterior: keep them
        if posterior is None:
            sys.exit("--posterior-only needs --posterior DB_URL ENSEMBLE_NAME")
        section = across_posterior(posterior_variant(posterior[0], posterior[1], n), n)
        text = with_posterior_section(TABLE_PATH.read_text(encoding="utf-8"), section)
    else:
        text = table(n)
        if "--all-worlds" in sys.argv:
            text += robustness(n)
        if posterior is not None:
            text += across_posterior(posterior_variant(posterior[0], posterior[1], n), n)
    TABLE_PATH.write_text(text, encoding="utf-8")
    print(f"wrote {TABLE_PATH}")
