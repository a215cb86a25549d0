"""``ocsim dashboard``: serve the trainers' dashboard (on 127.0.0.1 unless ``--host`` says otherwise)
until Ctrl+C."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Annotated

import typer

from simulation.cli import format as fmt
from simulation.cli.options import SetOption, StepsOption
from simulation.suggest import hint

BAD_INPUT = 2
SERVER_FAILED = 1


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def _first(folder: Path) -> str:
    """The scenario the page opens with when none is named (as the page itself chooses)."""
    from simulation.dashboard import server
    from simulation.dashboard.session import scenario_files

    available = scenario_files(folder)
    return server.PREFERRED_FIRST if server.PREFERRED_FIRST in available else next(iter(available))


def posterior_draw(db: str | None, ensemble: str, draw: int, seed: int) -> dict:
    """Draw ``draw`` of a posterior ensemble's parameter sets, as ``ocsim test --ensemble NAME
    --seed SEED`` draws them (by weight, from the seed): dotted path -> value."""
    import numpy as np

    from simulation.calibration.verdicts import draw_parameters
    from simulation.storage import DatabaseURLError
    from simulation.storage.ensembles import load_posterior

    try:
        posterior = load_posterior(db, ensemble)
    except DatabaseURLError as exc:
        raise ValueError(str(exc)) from None
    if posterior.empty:
        raise LookupError(
            f"ensemble {ensemble!r} has no particles (has its calibration finished a generation?)"
        )
    drawn = draw_parameters(posterior, draw + 1, seed).iloc[draw]
    # whole-number settings stay integers (the frame keeps their int dtype), as `ocsim test` has them
    return {k: int(v) if isinstance(v, int | np.integer) else float(v) for k, v in drawn.items()}


def saved_seed(path: Path) -> int | None:
    """The seed a session saved from the page names in its comments (None for other files)."""
    from simulation.dashboard.export import read_session_file

    return read_session_file(path)[1]


def _with_settings(path: Path, settings: dict, folder: Path, origin: str = "") -> Path:
    """The scenario with --set/--steps (and a posterior draw's parameters) applied, validated,
    written to a file the page can open; ``origin`` says where the settings came from, and is
    added to the scenario's description so the page shows it.

    The file goes in a private temporary folder removed when the command ends.
    """
    import atexit
    import shutil
    import tempfile

    import yaml

    from simulation.scenario.loader import apply_overrides, read_scenario_file, validate_scenario

    flags = " ".join(f"--steps {v}" if k == "steps" else f"--set {k}={v!r}" for k, v in settings.items())
    source = f"{path} with {flags}"
    raw = apply_overrides(read_scenario_file(path), settings, source)
    validate_scenario(raw, source)
    if origin:
        raw["description"] = f"{str(raw.get('description') or '').rstrip()}\nSETTINGS: {origin}".strip()
    where = Path(tempfile.mkdtemp(prefix="ocsim-dashboard-"))
    atexit.register(shutil.rmtree, where, True)
    written = where / path.name
    written.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return written


def dashboard(
    scenario: Annotated[
        str | None,
        typer.Argument(
            metavar="SCENARIO",
            help="Scenario shown first: a YAML file, or a name in the scenario folder "
            "(default: balloon_effect).",
            show_default=False,
        ),
    ] = None,
    scenarios: Annotated[
        Path | None,
        typer.Option(
            "--scenarios",
            help="Folder of scenario files offered in the menu (default: ./scenarios, else the "
            "repository's).",
            show_default=False,
        ),
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="Seed of the first run, as `ocsim run --seed` (default: the seed a saved session names, "
            "else 1).",
            show_default=False,
        ),
    ] = None,
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to serve the page on.")] = 8765,
    host: Annotated[
        str,
        typer.Option(
            help="Address to serve on. The default lets only this machine open the page; any other "
            "(e.g. 0.0.0.0) exposes it, and every lever in it, to the network.",
        ),
    ] = "127.0.0.1",
    open_browser: Annotated[
        bool, typer.Option("--open/--no-open", help="Open the page in the default browser.")
    ] = False,
    overrides: SetOption = None,
    steps: StepsOption = None,
    ensemble: Annotated[
        str | None,
        typer.Option(
            help="Start from a posterior ensemble (ocsim ensembles): its calibrated parameters are set "
            "to one draw, as --set would.",
            show_default=False,
        ),
    ] = None,
    draw: Annotated[
        int,
        typer.Option(
            min=0,
            help="Which draw of --ensemble: draw K as `ocsim test SCENARIO --ensemble NAME --seed SEED` "
            "numbers them (drawn by weight from the seed).",
        ),
    ] = 0,
    db: Annotated[
        str | None,
        typer.Option(
            help="SQLAlchemy URL of the ensemble's database; default: $OCSIM_DB, else "
            "sqlite:///results/ocsim.sqlite.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Serve the trainers' dashboard: the grid live, levers switched mid-run, a ghost line.

    --set, --steps and --ensemble change the scenario shown first (the menu's other files stay as
    written). A session saved from the page (its YAML) opens with the seed it was saved with.
    """
    from simulation.dashboard import assets, server
    from simulation.dashboard.session import find_scenario, scenario_files
    from simulation.scenario import ScenarioError, load_scenario
    from simulation.scenario.loader import parse_override

    if not server.is_loopback(host):
        fmt.stderr().print(
            f"warning: serving on {host} exposes the dashboard to every machine that can reach this "
            "address; anyone there can run it and change its levers (use the default 127.0.0.1 to "
            "keep it on this machine)",
            markup=False,
        )
    folder = scenarios if scenarios is not None else server.default_folder()
    if not folder.is_dir():
        fmt.print_error(f"--scenarios {folder}: no such folder")
        raise typer.Exit(BAD_INPUT)
    if scenario is None and not scenario_files(folder):
        fmt.print_error(f"{folder}: no scenario files (*.yaml) to offer")
        raise typer.Exit(BAD_INPUT)
    try:
        settings = dict(parse_override(text) for text in overrides or [])
    except ScenarioError as exc:
        fmt.print_error(str(exc))
        raise typer.Exit(BAD_INPUT) from None
    if steps is not None:
        settings["steps"] = steps
    if seed is None and scenario is not None:
        try:
            found = find_scenario(scenario, folder)
            seed = saved_seed(found) if found.is_file() else None
        except (ScenarioError, ValueError):
            pass  # reported below, with the scenario's other problems
    origin = ""
    if ensemble is not None:
        try:
            drawn = posterior_draw(db, ensemble, draw, 1 if seed is None else seed)
        except (LookupError, ValueError) as exc:
            fmt.print_error(str(exc))
            raise typer.Exit(BAD_INPUT) from None
        clash = sorted(set(drawn) & set(settings))
        if clash:
            fmt.print_error(
                f"--set {', '.join(clash)}: calibrated in ensemble {ensemble!r}, so set by --draw; "
                "a calibrated parameter cannot also be set"
            )
            raise typer.Exit(BAD_INPUT)
        origin = f"posterior draw {draw} of ensemble {ensemble}: " + ", ".join(
            f"{k}={v!r}" for k, v in drawn.items()
        )
        settings = {**drawn, **settings}
    if settings and scenario is None:
        scenario = _first(folder)
    if scenario is not None:
        try:
            path = find_scenario(scenario, folder)
            if settings:
                scenario = str(_with_settings(path, settings, folder, origin))
            else:
                load_scenario(path)
        except (ScenarioError, ValueError) as exc:
            message = str(exc)
            if not isinstance(exc, ScenarioError):
                message += hint(scenario, scenario_files(folder))
            fmt.print_error(message)
            raise typer.Exit(BAD_INPUT) from None
    seed = 1 if seed is None else seed
    try:
        fetched = assets.prepare(log=lambda line: fmt.stderr().print(line, markup=False))
    except assets.AssetsError as exc:
        fmt.print_error(f"the dashboard's front-end files are missing and could not be fetched: {exc}")
        raise typer.Exit(SERVER_FAILED) from None
    if fetched:
        fmt.stderr().print(f"front-end files cached in {assets.cache_dir()}", markup=False)
    process = server.start(folder, scenario, seed, port, open_browser, host=host)
    signal.signal(signal.SIGTERM, _interrupt)  # a plain kill stops the server too
    try:
        server.wait_until_up(process, port, host=host)
        fmt.stdout().print(f"ocsim dashboard: {server.url(port, host)}  (Ctrl+C to stop)", markup=False)
        code = process.wait()
    except KeyboardInterrupt:
        code = 0
    except (RuntimeError, TimeoutError) as exc:
        fmt.print_error(f"{exc} (is port {port} in use? try --port)")
        code = SERVER_FAILED
    finally:
        server.stop(process)
    if code:
        raise typer.Exit(SERVER_FAILED)
