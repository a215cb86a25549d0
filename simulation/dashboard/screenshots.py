"""The pictures of the page in ``docs/img/``, taken in headless Chromium (a developer's tool).

    .venv/bin/python -m simulation.dashboard.screenshots [--out docs/img]

Each picture is one scene: a scenario, a seed, the clicks a trainer would make, a screen size.
Needs Playwright and Chromium, like the browser test (``OCSIM_CHROMIUM`` points at another one).
"""

from __future__ import annotations

import argparse
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from simulation.dashboard import server

ROOT = Path(__file__).resolve().parents[2]
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


@dataclass
class Scene:
    file: str
    scenario: str
    seed: int
    size: tuple[int, int]
    months: int
    compare: str = "as_written"
    layer: str | None = None
    view: str | None = None
    band: bool = False
    open_group: str | None = None
    switch_on: list[tuple[int, str]] = field(default_factory=list)
    """(month, lever) pairs: the lever is switched on when the run reaches that month."""


SCENES = [
    Scene(
        "dashboard-1280x720.png",
        "balloon_effect",
        3,
        (1280, 720),
        40,
        "no_strategy",
        "activity",
        "difference",
    ),
    Scene(
        "dashboard-1920x1080.png",
        "kingpin_turf_war",
        1,
        (1920, 1080),
        48,
        "no_strategy",
        "control",
        "live",
        band=True,
    ),
    Scene(
        "levers.png",
        "prevention_slow_durable",
        1,
        (1366, 768),
        30,
        open_group="prevent",
        switch_on=[(6, "ways_out")],
    ),
]


def _choose(page, select: str, text: str) -> None:
    page.locator(select).click()
    page.locator(".v-menu__content:visible .v-list-item", has_text=text).first.click()


def take(scene: Scene, url: str, browser, out: Path) -> Path:
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": scene.size[0], "height": scene.size[1]})
    try:
        page.goto(url)
        month = page.locator(".ocsim-month")
        expect(month).to_contain_text("Month 0 of", timeout=60_000)
        if scene.seed != 1:
            page.locator(".ocsim-seed [role=slider]").focus()
            page.keyboard.press("Home")
            for _ in range(scene.seed - 1):
                page.keyboard.press("ArrowRight")
            expect(page.locator(".ocsim-seed")).to_contain_text(f"seed: {scene.seed}")
        if scene.scenario != page.locator(".ocsim-name").inner_text() or scene.compare != "as_written":
            _choose(page, ".ocsim-scenario-select", scene.scenario)
            _choose(page, ".ocsim-compare", scene.compare)
        if scene.seed != 1 or scene.scenario != page.locator(".ocsim-name").inner_text():
            page.locator(".ocsim-reset").click()
        if scene.compare != "as_written":
            page.locator(".ocsim-reset").click()
            expect(page.locator(".ocsim-name")).to_have_text(scene.scenario, timeout=30_000)
        if scene.open_group:
            page.get_by_text(f"{scene.open_group.upper()} —").click()
        plan = dict(scene.switch_on)
        for done in range(1, scene.months + 1):
            if done - 1 in plan:
                lever = page.locator(f".ocsim-lever-{plan[done - 1]}")
                lever.locator("label").first.click()
                expect(page.locator(".ocsim-change").last).to_contain_text(plan[done - 1], timeout=20_000)
            page.locator(".ocsim-step").click()
            expect(month).to_contain_text(f"Month {done} of", timeout=30_000)
        if scene.layer:
            page.locator(".ocsim-layer").click()
            page.locator(".v-menu__content:visible .v-list-item", has_text=scene.layer).first.click()
        if scene.view:
            page.locator(f".ocsim-view-{scene.view}").click()
        if scene.band:
            page.locator(".ocsim-band-switch").click()
            expect(page.locator(".ocsim-band")).to_contain_text("percentile", timeout=600_000)
        page.evaluate("() => { document.querySelector('.ocsim-side').scrollTop = 0; }")
        page.mouse.move(1, 1)
        page.wait_for_timeout(1_500)
        path = out / scene.file
        page.screenshot(path=str(path))
        return path
    finally:
        page.close()


def main(argv: list[str] | None = None) -> int:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    parser.add_argument("--only", help="take only the picture with this file name")
    args = parser.parse_args(argv)
    chromium = os.environ.get("OCSIM_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    port = server.free_port()
    with open(os.devnull, "w") as quiet:
        process = server.start(
            ROOT / "scenarios", SCENES[0].scenario, seed=1, port=port, stdout=quiet, stderr=quiet
        )
        try:
            server.wait_until_up(process, port)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=chromium, args=FLAGS)
                try:
                    for scene in SCENES:
                        if args.only and scene.file != args.only:
                            continue
                        print(take(scene, server.url(port), browser, args.out))
                finally:
                    browser.close()
        finally:
            server.stop(process)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
