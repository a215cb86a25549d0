"""Performance benchmarks of ocsim: speed, memory and how cost grows with agents and cells.

Sections (each prints its figure, its budget and PASS/OVER):

1. default world: construction and 120 steps of ``scenarios/baseline.yaml`` on one core;
2. comparison with Mesa's Epstein civil-violence example at its default 40x40;
3. large world: ``scenarios/large_world.yaml`` (200x200, 50 groups, >= 20,000 members);
4. scaling: step time against grid size (everything scaled with the area) and against the
   number of members on a fixed 200x200 grid.

Every measurement runs in a fresh worker subprocess with numerical libraries limited to one
thread, so peak memory (``ru_maxrss``) belongs to one configuration. Run from anywhere::

    .venv/bin/python benchmarks/bench_model.py                 # full run, about 4 minutes
    .venv/bin/python benchmarks/bench_model.py --quick         # about 2 minutes
    .venv/bin/python benchmarks/bench_model.py --json bench.json
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"
LARGE_WORLD = ROOT / "scenarios" / "large_world.yaml"
ONE_THREAD = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS")

# Budgets.
BASELINE_BUDGET_S = 5.0  # construction + 120 steps of the default world
EPSTEIN_RATIO_BUDGET = 0.5  # our ms/step over Epstein's ms/step
LARGE_TIME_BUDGET_S = 120.0  # construction + 120 steps of the large world (prorated for fewer steps)
LARGE_MEMORY_BUDGET_MIB = 2048.0  # peak resident memory of the large-world process
LARGE_MIN_MEMBERS = 20_000  # members at liberty at every step of the large world
SCALING_SLOPE_BUDGET = 1.2  # log-log slope of step time: at most a little worse than linear
SCRIPT_BUDGET_S = 600.0  # the whole script with default options

GRID_SIDES = (40, 80, 120, 160, 200)
MEMBER_SIZES = (60, 120, 240, 420, 600)  # mean members per group at the start, 50 groups, 200x200
MEMBERS_PER_CELL = 1.5 * 1.25  # groups staff 1.5 members a cell plus a quarter of slack


# ============================================================================ worker side
def _rss_mib() -> float:
    """Peak resident set size of this process so far, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _members(model: Any) -> int:
    return sum(len(g.members) for g in model.groups)


def work_baseline(seeds: Sequence[int], steps: int) -> dict[str, Any]:
    """Construct and run the default world once per seed (after an untimed warm-up)."""
    from simulation import load_scenario
    from simulation.core.model import CriminalMarketModel

    scenario = load_scenario(BASELINE, {})
    warm = CriminalMarketModel(scenario, seed=0)
    warm.step()
    del warm
    runs = []
    for seed in seeds:
        gc.collect()
        started = time.perf_counter()
        model = CriminalMarketModel(scenario, seed=seed)
        built = time.perf_counter()
        for _ in range(steps):
            model.step()
        done = time.perf_counter()
        runs.append(
            {
                "seed": seed,
                "build_s": built - started,
                "steps_s": done - built,
                "members_end": _members(model),
                "agents_end": len(model.agents),
            }
        )
        del model
    return {"runs": runs, "peak_rss_mib": _rss_mib()}


def work_epstein(seeds: Sequence[int], steps: int) -> dict[str, Any]:
    """Mesa's Epstein civil-violence example at its default 40x40, once per seed."""
    from mesa.examples.advanced.epstein_civil_violence.model import EpsteinCivilViolence, EpsteinScenario

    def build(seed: int) -> tuple[Any, bool]:
        try:
            return EpsteinCivilViolence(scenario=EpsteinScenario(rng=seed)), True
        except (TypeError, ValueError):
            return EpsteinCivilViolence(), False

    warm, _ = build(0)
    warm.step()
    del warm
    runs = []
    for seed in seeds:
        gc.collect()
        started = time.perf_counter()
        model, seeded = build(seed)
        built = time.perf_counter()
        for _ in range(steps):
            model.step()
        done = time.perf_counter()
        runs.append(
            {
                "seed": seed,
                "seeded": seeded,
                "build_s": built - started,
                "steps_s": done - built,
                "agents": len(model.agents),
            }
        )
        del model
    return {"runs": runs, "peak_rss_mib": _rss_mib()}


def work_run(scenario_path: str, overrides: dict[str, Any], seed: int, steps: int) -> dict[str, Any]:
    """One configuration: construction, ``steps`` timed steps, membership and peak memory."""
    from simulation import load_scenario
    from simulation.core.model import CriminalMarketModel

    scenario = load_scenario(scenario_path, overrides)
    rss_before = _rss_mib()
    started = time.perf_counter()
    model = CriminalMarketModel(scenario, seed=seed)
    built = time.perf_counter()
    members = [_members(model)]
    agents = [len(model.agents)]
    step_ms = []
    for _ in range(steps):
        t0 = time.perf_counter()
        model.step()
        step_ms.append((time.perf_counter() - t0) * 1000.0)
        members.append(_members(model))
        agents.append(len(model.agents))
    return {
        "cells": model.world.width * model.world.height,
        "build_s": built - started,
        "steps_s": sum(step_ms) / 1000.0,
        "step_ms": step_ms,
        "members": members,
        "agents": agents,
        "groups_end": len(model.groups),
        "rss_before_model_mib": rss_before,
        "peak_rss_mib": _rss_mib(),
    }


def worker(task: dict[str, Any]) -> dict[str, Any]:
    kind = task["kind"]
    if kind == "baseline":
        return work_baseline(task["seeds"], task["steps"])
    if kind == "epstein":
        return work_epstein(task["seeds"], task["steps"])
    if kind == "run":
        return work_run(task["scenario"], task["overrides"], task["seed"], task["steps"])
    raise ValueError(f"unknown task {kind!r}")


# ============================================================================ parent side
def run_worker(task: dict[str, Any], label: str) -> dict[str, Any]:
    """Run one task in a fresh single-threaded interpreter and return its JSON answer."""
    print(f"  ... {label}", file=sys.stderr, flush=True)
    env = dict(os.environ, **dict.fromkeys(ONE_THREAD, "1"))
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--worker", json.dumps(task)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"worker for {label} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def verdict(ok: bool, bad: str = "OVER") -> str:
    return "PASS" if ok else bad


def print_table(title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """A plain fixed-width table."""
    cells = [[str(c) for c in header]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    print(f"\n{title}")
    print("  " + "  ".join(c.ljust(w) for c, w in zip(cells[0], widths, strict=True)))
    print("  " + "  ".join("-" * w for w in widths))
    for row in cells[1:]:
        print("  " + "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))


def fit_line(xs: Sequence[float], ys: Sequence[float]) -> tuple[float, float]:
    """Least-squares slope and intercept."""
    fit = statistics.linear_regression(xs, ys)
    return fit.slope, fit.intercept


def loglog_slope(xs: Sequence[float], ys: Sequence[float]) -> float:
    return fit_line([math.log(x) for x in xs], [math.log(y) for y in ys])[0]


def bench_baseline(seeds: list[int], steps: int) -> dict[str, Any]:
    """Section 1: the default world."""
    answer = run_worker({"kind": "baseline", "seeds": seeds, "steps": steps}, "default world")
    runs = answer["runs"]
    build = statistics.median(r["build_s"] for r in runs)
    run = statistics.median(r["steps_s"] for r in runs)
    total = statistics.median(r["build_s"] + r["steps_s"] for r in runs)
    step_ms = run / steps * 1000.0
    rows = [
        ["construction", f"{build:.2f} s", "", ""],
        [f"{steps} steps", f"{run:.2f} s", "", ""],
        ["per step", f"{step_ms:.1f} ms", "", ""],
        [
            "construction + steps",
            f"{total:.2f} s",
            f"<= {BASELINE_BUDGET_S:.0f} s",
            verdict(total <= BASELINE_BUDGET_S),
        ],
        ["members at the end", f"{statistics.median(r['members_end'] for r in runs):.0f}", "", ""],
    ]
    print_table(
        f"1. Default world (baseline.yaml, 40x40, 8 groups), median of {len(seeds)} seeds, one core",
        ["figure", "value", "budget", "verdict"],
        rows,
    )
    return {
        "runs": runs,
        "build_s": build,
        "steps_s": run,
        "total_s": total,
        "step_ms": step_ms,
        "budget_s": BASELINE_BUDGET_S,
        "pass": total <= BASELINE_BUDGET_S,
    }


def bench_epstein(seeds: list[int], steps: int, our_step_ms: float) -> dict[str, Any]:
    """Section 2: Mesa's Epstein civil-violence example."""
    answer = run_worker({"kind": "epstein", "seeds": seeds, "steps": steps}, "Epstein civil violence")
    runs = answer["runs"]
    step_ms = statistics.median(r["steps_s"] for r in runs) / steps * 1000.0
    ratio = our_step_ms / step_ms
    seeded = all(r["seeded"] for r in runs)
    rows = [
        ["Epstein construction", f"{statistics.median(r['build_s'] for r in runs):.2f} s", "", ""],
        ["Epstein per step", f"{step_ms:.1f} ms", "", ""],
        ["Epstein agents", f"{runs[0]['agents']}", "", ""],
        ["ocsim per step (section 1)", f"{our_step_ms:.1f} ms", "", ""],
        [
            "ratio ocsim / Epstein",
            f"{ratio:.2f}",
            f"<= {EPSTEIN_RATIO_BUDGET}",
            verdict(ratio <= EPSTEIN_RATIO_BUDGET),
        ],
    ]
    how = "seeded EpsteinScenario(rng=seed)" if seeded else "default scenario (unseeded)"
    print_table(
        f"2. Mesa Epstein civil violence, default 40x40, {steps} steps, {how}, median of {len(seeds)}",
        ["figure", "value", "budget", "verdict"],
        rows,
    )
    return {
        "runs": runs,
        "seeded": seeded,
        "step_ms": step_ms,
        "ratio": ratio,
        "budget": EPSTEIN_RATIO_BUDGET,
        "pass": ratio <= EPSTEIN_RATIO_BUDGET,
    }


def bench_large(steps: int, seed: int) -> dict[str, Any]:
    """Section 3: the large world, in its own process for an honest peak-memory figure."""
    answer = run_worker(
        {"kind": "run", "scenario": str(LARGE_WORLD), "overrides": {}, "seed": seed, "steps": steps},
        f"large world, {steps} steps",
    )
    total = answer["build_s"] + answer["steps_s"]
    budget = LARGE_TIME_BUDGET_S * steps / 120.0
    members = answer["members"]
    low, high = min(members), max(members)
    step_ms = answer["step_ms"]
    window = min(10, len(step_ms))
    first, last = statistics.mean(step_ms[:window]), statistics.mean(step_ms[-window:])
    peak = answer["peak_rss_mib"]
    rows = [
        ["construction", f"{answer['build_s']:.1f} s", "", ""],
        [f"{steps} steps", f"{answer['steps_s']:.1f} s", "", ""],
        [f"per step, first / last {window}", f"{first:.0f} / {last:.0f} ms", "", ""],
        ["construction + steps", f"{total:.1f} s", f"<= {budget:.0f} s", verdict(total <= budget)],
        [
            "members min / max",
            f"{low:,} / {high:,}",
            f"min >= {LARGE_MIN_MEMBERS:,}",
            verdict(low >= LARGE_MIN_MEMBERS, "UNDER"),
        ],
        ["members start / end", f"{members[0]:,} / {members[-1]:,}", "", ""],
        ["groups at the end", f"{answer['groups_end']}", "", ""],
        ["agents at the end (all kinds)", f"{answer['agents'][-1]:,}", "", ""],
        ["peak RSS, after imports", f"{answer['rss_before_model_mib']:.0f} MiB", "", ""],
        [
            "peak RSS, whole run",
            f"{peak:.0f} MiB",
            f"<= {LARGE_MEMORY_BUDGET_MIB / 1024:.0f} GiB",
            verdict(peak <= LARGE_MEMORY_BUDGET_MIB),
        ],
    ]
    note = "" if steps == 120 else f" (time budget prorated to {steps} steps)"
    print_table(
        f"3. Large world (large_world.yaml, 200x200, 50 groups), seed {seed}, {steps} steps{note}; "
        "memory = ru_maxrss of a fresh process",
        ["figure", "value", "budget", "verdict"],
        rows,
    )
    return {
        **answer,
        "steps": steps,
        "total_s": total,
        "budget_s": budget,
        "members_min": low,
        "members_max": high,
        "first_step_ms": first,
        "last_step_ms": last,
        "pass_time": total <= budget,
        "pass_memory": peak <= LARGE_MEMORY_BUDGET_MIB,
        "pass_members": low >= LARGE_MIN_MEMBERS,
    }


def grid_overrides(side: int) -> dict[str, Any]:
    """The baseline tiled to ``side`` x ``side``: densities of groups, cities, police and enablers
    kept; entry points (ports on the edge, crossings on borders) grow with the side."""
    area = (side / 40) ** 2
    return {
        "world.grid.width": side,
        "world.grid.height": side,
        "world.ocgs.count": round(8 * area),
        "world.geography.urban_centres": round(6 * area),
        "world.geography.entry_points": round(4 * side / 40),
        "world.police.units_per_jurisdiction": round(2 * area),
        "world.enablers.count": round(12 * area),
    }


def member_overrides(size: int) -> dict[str, Any]:
    """The large world with ``size`` members a group; territory and cash sized to match."""
    radius = max(1, round((math.sqrt(size / MEMBERS_PER_CELL) - 1) / 2))
    return {
        "world.ocgs.members": size,
        "world.ocgs.territory_radius": radius,
        "world.ocgs.cash": round(3000 * size / 420),
    }


def _series_row(answer: dict[str, Any]) -> dict[str, float]:
    return {
        "cells": answer["cells"],
        "members": statistics.mean(answer["members"][1:]),
        "agents": statistics.mean(answer["agents"][1:]),
        "step_ms": statistics.mean(answer["step_ms"]),
        "build_s": answer["build_s"],
        "peak_rss_mib": answer["peak_rss_mib"],
    }


def bench_scaling(steps: int, seed: int) -> dict[str, Any]:
    """Section 4: step time against cells (with agents in proportion) and against members."""
    grid = []
    for side in GRID_SIDES:
        answer = run_worker(
            {
                "kind": "run",
                "scenario": str(BASELINE),
                "overrides": grid_overrides(side),
                "seed": seed,
                "steps": steps,
            },
            f"scaling: grid {side}x{side}",
        )
        grid.append({"side": side, "groups": grid_overrides(side)["world.ocgs.count"], **_series_row(answer)})
    members = []
    for size in MEMBER_SIZES:
        answer = run_worker(
            {
                "kind": "run",
                "scenario": str(LARGE_WORLD),
                "overrides": member_overrides(size),
                "seed": seed,
                "steps": steps,
            },
            f"scaling: {size} members a group",
        )
        members.append({"per_group": size, **_series_row(answer)})

    print_table(
        f"4a. Grid size, baseline densities (groups, cities, police, enablers ~ area), mean of {steps} steps",
        ["grid", "cells", "groups", "members", "agents", "ms/step", "build s", "peak MiB"],
        [
            [
                f"{r['side']}x{r['side']}",
                f"{r['cells']:,}",
                r["groups"],
                f"{r['members']:,.0f}",
                f"{r['agents']:,.0f}",
                f"{r['step_ms']:.0f}",
                f"{r['build_s']:.1f}",
                f"{r['peak_rss_mib']:.0f}",
            ]
            for r in grid
        ],
    )
    print_table(
        f"4b. Members at fixed 200x200 (large world, 50 groups), mean of {steps} steps",
        ["members/group", "members", "agents", "ms/step", "build s", "peak MiB"],
        [
            [
                r["per_group"],
                f"{r['members']:,.0f}",
                f"{r['agents']:,.0f}",
                f"{r['step_ms']:.0f}",
                f"{r['build_s']:.1f}",
                f"{r['peak_rss_mib']:.0f}",
            ]
            for r in members
        ],
    )
    cells = [r["cells"] for r in grid]
    grid_ms = [r["step_ms"] for r in grid]
    slope_cells = loglog_slope(cells, grid_ms)
    slope_grid_agents = loglog_slope([r["agents"] for r in grid], grid_ms)
    per_10k_cells, _ = fit_line([c / 10_000 for c in cells], grid_ms)
    member_ms = [r["step_ms"] for r in members]
    per_1k_members, fixed_ms = fit_line([r["members"] / 1000 for r in members], member_ms)
    slope_members = loglog_slope([r["members"] for r in members], member_ms)
    ok_grid = slope_cells <= SCALING_SLOPE_BUDGET
    ok_members = slope_members <= SCALING_SLOPE_BUDGET
    rows = [
        [
            "4a log-log slope, ms/step vs cells",
            f"{slope_cells:.2f}",
            f"<= {SCALING_SLOPE_BUDGET}",
            verdict(ok_grid),
        ],
        ["4a log-log slope, ms/step vs agents", f"{slope_grid_agents:.2f}", "", ""],
        ["4a linear fit, ms per 10,000 cells", f"{per_10k_cells:.0f} ms", "", ""],
        [
            "4b log-log slope, ms/step vs members",
            f"{slope_members:.2f}",
            f"<= {SCALING_SLOPE_BUDGET}",
            verdict(ok_members),
        ],
        ["4b linear fit, ms per 1,000 members", f"{per_1k_members:.1f} ms", "", ""],
        ["4b linear fit, ms/step at zero members", f"{fixed_ms:.0f} ms", "", ""],
    ]
    print_table("4c. Growth of cost (slope 1 = linear)", ["figure", "value", "budget", "verdict"], rows)
    return {
        "steps": steps,
        "grid": grid,
        "members": members,
        "loglog_slope_cells": slope_cells,
        "loglog_slope_grid_agents": slope_grid_agents,
        "ms_per_10k_cells": per_10k_cells,
        "loglog_slope_members": slope_members,
        "ms_per_1k_members": per_1k_members,
        "ms_fixed_200x200": fixed_ms,
        "budget_slope": SCALING_SLOPE_BUDGET,
        "pass": ok_grid and ok_members,
    }


def machine() -> dict[str, Any]:
    versions = {}
    for package in ("mesa", "numpy", "scipy"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "missing"
    return {
        "date": dt.date.today().isoformat(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        **versions,
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="seeds 1..N for sections 1-2 (median)")
    parser.add_argument("--quick", action="store_true", help="20 steps of the large world, 5 scaling steps")
    parser.add_argument("--large-steps", type=int, default=None, help="steps of the large world (0 skips)")
    parser.add_argument("--scaling-steps", type=int, default=None, help="timed steps per scaling point")
    parser.add_argument("--no-scaling", action="store_true", help="skip section 4")
    parser.add_argument("--seed", type=int, default=1, help="seed of the large world and scaling runs")
    parser.add_argument("--json", type=Path, default=None, help="also write every figure to FILE")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker is not None:
        print(json.dumps(worker(json.loads(args.worker))))
        return 0

    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    large_steps = args.large_steps if args.large_steps is not None else (20 if args.quick else 120)
    scaling_steps = args.scaling_steps if args.scaling_steps is not None else (5 if args.quick else 20)
    seeds = list(range(1, args.repeats + 1))
    started = time.perf_counter()
    info = machine()
    print(
        f"ocsim benchmarks, {info['date']}: Python {info['python']}, Mesa {info['mesa']}, "
        f"numpy {info['numpy']}, scipy {info['scipy']}, {info['cpus']} CPUs, "
        f"load average {info['load_average'][0]:.2f}"
    )
    results: dict[str, Any] = {"machine": info}
    results["default_world"] = bench_baseline(seeds, 120)
    results["epstein"] = bench_epstein(seeds, 50, results["default_world"]["step_ms"])
    if large_steps > 0:
        results["large_world"] = bench_large(large_steps, args.seed)
    if not args.no_scaling:
        results["scaling"] = bench_scaling(scaling_steps, args.seed)
    elapsed = time.perf_counter() - started
    results["script_s"] = elapsed
    full = (
        not args.quick
        and not args.no_scaling
        and args.repeats == 3
        and large_steps == 120
        and scaling_steps == 20
    )
    budget = f"<= {SCRIPT_BUDGET_S / 60:.0f} min" if full else "(not a default run)"
    state = verdict(elapsed <= SCRIPT_BUDGET_S) if full else ""
    print(f"\nwhole script: {elapsed:.0f} s  {budget}  {state}")
    if args.json is not None:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
        print(f"figures written to {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
