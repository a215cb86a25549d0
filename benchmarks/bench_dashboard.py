"""Speed of the trainers' dashboard on the default world: months (steps) per second.

Two figures, each against the budget of 5 steps per second:

1. in process: the page (``simulation.dashboard.app.Dashboard``) rendered by Solara without a
   browser on ``scenarios/baseline.yaml``; each step is a click on the page's Step button — step
   the live run and its ghost (``TrainingSession.step``) and re-render the page: the top bar,
   the sidebar's lever panel, the map picture (PNG) and its hover labels, the live charts'
   Vega-Lite spec, the gap table. Median over ``--repeats`` runs of ``--steps`` steps after two
   warm-up steps.
2. in the browser: ``ocsim dashboard`` served on a free loopback port, opened in Debian's headless
   Chromium (Playwright), the pause between months set to 0, Play pressed, and the month counter
   the page shows read before and after ``--seconds`` seconds, with the server process's CPU time
   over the same seconds. This is the whole page plus sending each month to the browser, drawing
   it there, and waiting for the browser to say it has drawn it before the next month (so pause
   stops at the month on the screen). Skipped (with the reason) without Chromium or Playwright.

Run from the repository root::

    .venv/bin/python benchmarks/bench_dashboard.py
    .venv/bin/python benchmarks/bench_dashboard.py --no-browser --steps 40
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
BUDGET = 5.0
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def in_process(steps: int, repeats: int) -> list[float]:
    """Steps per second of stepping plus re-rendering the main panels, once per repeat."""
    import ipyvuetify as v
    import solara

    from simulation.dashboard import app
    from simulation.dashboard.session import TrainingSession

    rates = []
    for _ in range(repeats):
        session = TrainingSession("baseline", scenarios_dir=str(SCENARIOS))
        _, context = solara.render(app.Dashboard(session, SCENARIOS, "baseline", 1), handle_error=False)
        step = context.find(v.Btn, children=["Step"]).widget
        try:
            for _ in range(2):  # warm-up: first pictures, first chart spec
                step.click()
            start = time.perf_counter()
            for _ in range(steps):
                step.click()
            rates.append(steps / (time.perf_counter() - start))
        finally:
            context.close()
    return rates


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux ``/proc``), 0.0 where unavailable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def in_browser(seconds: float, chromium: str) -> tuple[float, int, int, float]:
    """(steps per second, first month, last month, server CPU seconds per month) of the page
    playing in headless Chromium. The CPU figure hardly depends on what else loads the machine:
    its inverse is the rate the server could keep up with a core to itself."""
    from playwright.sync_api import expect, sync_playwright

    from simulation.dashboard import server

    port = server.free_port()
    with open(os.devnull, "w") as quiet:
        process = server.start(SCENARIOS, "baseline", seed=1, port=port, stdout=quiet, stderr=quiet)
        try:
            server.wait_until_up(process, port)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
                try:
                    page = browser.new_page(viewport={"width": 1600, "height": 1100})
                    page.goto(server.url(port))
                    month = page.locator(".ocsim-month")
                    expect(month).to_have_text("Month 0 of 120", timeout=60_000)
                    page.locator(".ocsim-interval [role=slider]").focus()  # pause between months
                    page.keyboard.press("Home")
                    page.locator(".ocsim-play").click()
                    expect(month).not_to_have_text("Month 0 of 120", timeout=30_000)
                    page.wait_for_timeout(1_000)
                    first, start = int(month.inner_text().split()[1]), time.perf_counter()
                    cpu_start = cpu_seconds(process.pid)
                    page.wait_for_timeout(seconds * 1000)
                    last, end = int(month.inner_text().split()[1]), time.perf_counter()
                    cpu = cpu_seconds(process.pid) - cpu_start
                finally:
                    browser.close()
        finally:
            server.stop(process)
    return (last - first) / (end - start), first, last, cpu / max(last - first, 1)


def verdict(rate: float) -> str:
    return "PASS" if rate >= BUDGET else "OVER"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=60, help="timed steps per in-process run")
    parser.add_argument("--repeats", type=int, default=3, help="in-process runs (median reported)")
    parser.add_argument(
        "--seconds", type=float, default=8.0, help="seconds of play in the browser (the run must not end)"
    )
    parser.add_argument("--no-browser", action="store_true", help="skip the browser measurement")
    args = parser.parse_args(argv)

    print(f"dashboard on {SCENARIOS / 'baseline.yaml'} (live + ghost), budget >= {BUDGET:g} steps/s")
    rates = in_process(args.steps, args.repeats)
    median = statistics.median(rates)
    runs = ", ".join(f"{r:.1f}" for r in rates)
    print(f"1. in process, step + re-render:  {median:5.1f} steps/s  (runs: {runs})  {verdict(median)}")

    if args.no_browser:
        return 0 if median >= BUDGET else 1
    chromium = os.environ.get("OCSIM_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    try:
        import playwright  # noqa: F401
    except ImportError:
        print("2. in the browser: skipped (playwright is not installed)")
        return 0 if median >= BUDGET else 1
    if not Path(chromium).exists():
        print(f"2. in the browser: skipped (no Chromium at {chromium})")
        return 0 if median >= BUDGET else 1
    rate, first, last, cpu = in_browser(args.seconds, chromium)
    if last >= 120:
        print("   the run ended before the time was up: the rate below is a lower bound (try --seconds)")
    print(
        f"2. in headless Chromium, playing:  {rate:5.1f} steps/s  "
        f"(months {first} -> {last} in {args.seconds:g} s)  {verdict(rate)}"
    )
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    capacity = 1 / cpu if cpu else float("nan")
    print(f"   server CPU per month: {cpu * 1000:.0f} ms (at most {capacity:.1f} months/s); load {load}")
    return 0 if median >= BUDGET and rate >= BUDGET else 1


if __name__ == "__main__":
    sys.exit(main())
