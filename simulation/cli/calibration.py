"""``ocsim calibrate`` and ``ocsim ensembles``: ABC-SMC calibration and posterior ensembles."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from simulation.cli import format as fmt
from simulation.cli.app import BAD_INPUT, RUN_FAILED, DbOption, SetOption, app, bad_input, open_store
from simulation.cli.experiments import INTERRUPTED, ExecutorChoice, _duration
from simulation.scenario import ScenarioError
from simulation.scenario.loader import parse_override

if TYPE_CHECKING:
    from simulation.calibration.run import CalibrationSummary, GenerationReport


@app.command()
def calibrate(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="Calibration YAML file.", show_default=False)],
    workers: Annotated[
        int | None,
        typer.Option(
            min=1, help="Parallel workers (default: all cores; 1: reproducible).", show_default=False
        ),
    ] = None,
    executor: Annotated[ExecutorChoice, typer.Option(help="Where simulations run.")] = ExecutorChoice.local,
    scheduler: Annotated[
        str | None,
        typer.Option(help="Join an existing Dask cluster, e.g. tcp://10.0.0.5:8786.", show_default=False),
    ] = None,
    steps: Annotated[
        int | None,
        typer.Option(min=1, help="Months per simulation (default: the file's).", show_default=False),
    ] = None,
    overrides: SetOption = None,
    db: DbOption = None,
    history: Annotated[
        Path | None,
        typer.Option(
            help="pyabc History database (default: beside the results database, "
            "e.g. results/ocsim.calibration-NAME.db).",
            show_default=False,
        ),
    ] = None,
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Start again instead of resuming; replaces the ensemble.")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress display.")] = False,
) -> None:
    """Fit a calibration file's free parameters with ABC-SMC (pyabc); resume where it stopped."""
    from simulation.calibration import CalibrationError, load_calibration

    if scheduler is not None and executor is not ExecutorChoice.dask:
        raise bad_input("--scheduler joins a Dask cluster; add --executor dask")
    try:
        settings = dict(parse_override(text) for text in overrides or [])
        calibration = load_calibration(file, settings, steps)
    except (CalibrationError, ScenarioError) as exc:
        raise bad_input(str(exc)) from None
    store = open_store(db)
    store.close()
    summary = _run_with_progress(calibration, executor, workers, scheduler, store.url, history, fresh, quiet)
    _print_summary(summary)
    if summary.failures:
        fmt.print_error(f"{summary.failures} simulation(s) raised an error and were rejected")


def _run_with_progress(
    calibration, executor, workers, scheduler, url, history, fresh, quiet
) -> CalibrationSummary:
    from simulation.calibration.run import run_calibration

    spec = calibration.spec
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[status]}"),
        TimeElapsedColumn(),
        TextColumn("ETA {task.fields[eta]}"),
    )
    with Progress(*columns, console=fmt.stderr(), disable=quiet) as bar:
        task = bar.add_task(
            f"{spec.name}: generation 1",
            total=spec.generations,
            status="sampling from the prior",
            eta="?",
        )

        def show(report: GenerationReport) -> None:
            epsilon = "accept all (prior)" if report.generation == 0 else f"{report.epsilon:.4g}"
            bar.update(
                task,
                completed=report.generation + 1,
                description=f"{spec.name}: generation {report.generation + 2}",
                status=(
                    f"last: epsilon {epsilon}, acceptance {report.acceptance_rate:.1%}, "
                    f"{report.total_simulations:,} simulations"
                ),
                eta="?" if report.eta is None else _duration(report.eta),
            )
            if not quiet:
                bar.console.print(
                    f"generation {report.generation + 1}"
                    + (f"/{report.generations}" if report.generations else "")
                    + f": epsilon {epsilon}, acceptance rate {report.acceptance_rate:.1%} "
                    f"({report.simulations:,} simulations; {report.total_simulations:,} in all)",
                    markup=False,
                    soft_wrap=True,
                )

        try:
            return run_calibration(
                calibration,
                db=url,
                executor=executor.value,
                workers=workers,
                scheduler=scheduler,
                history=history,
                fresh=fresh,
                progress=show,
            )
        except KeyboardInterrupt:
            bar.stop()
            fmt.print_error(
                "interrupted: finished generations are kept; run the same command to go on from the last one"
            )
            raise typer.Exit(INTERRUPTED) from None
        except ValueError as exc:
            bar.stop()
            fmt.print_error(str(exc))
            raise typer.Exit(BAD_INPUT) from None
        except RuntimeError as exc:
            bar.stop()
            fmt.print_error(str(exc))
            raise typer.Exit(RUN_FAILED) from None


def _print_summary(summary: CalibrationSummary) -> None:
    out = fmt.stdout()
    rate = summary.simulations / summary.wall_time * 3600 if summary.wall_time > 0 else 0.0
    resumed = f" (resumed after generation {summary.resumed_from})" if summary.resumed_from else ""
    epsilon = "—" if summary.generations < 2 else f"{summary.final_epsilon:.4g}"
    out.print(
        f"calibration {summary.name}: {summary.generations} generation(s){resumed}, {summary.particles} "
        f"particles, final epsilon {epsilon}, {summary.simulations:,} simulations; "
        f"stopped: {summary.reason}; "
        f"{_duration(summary.wall_time)} on {summary.sampler}"
        + (f" ({rate:,.0f} simulations/hour this time)" if rate and not summary.resumed_from else ""),
        markup=False,
        soft_wrap=True,
    )
    out.print(f"ensemble {summary.name!r} in {summary.database}", markup=False, soft_wrap=True)
    out.print(f"pyabc history: {summary.history_url}", markup=False, soft_wrap=True)


# ------------------------------------------------------------------------------------ ensembles
@app.command()
def ensembles(
    db: DbOption = None,
    name: Annotated[
        str | None, typer.Option(help="Show one ensemble's posterior summary.", show_default=False)
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the listing (or the posterior's particles) as JSON.")
    ] = False,
) -> None:
    """List posterior ensembles (calibrations) and their parameters."""
    from simulation.storage.ensembles import list_ensembles, posterior_frame

    store = open_store(db)
    out = fmt.stdout()
    with store:
        listing = list_ensembles(store)
        if name is not None:
            posterior = posterior_frame(store, name)
            if posterior is None:
                known = ", ".join(listing["name"]) or "none"
                raise bad_input(f"no ensemble named {name!r} in {store.display_url}; ensembles: {known}")
            if as_json:
                fmt.print_json(
                    {
                        "database": store.display_url,
                        "ensemble": name,
                        "particles": posterior.to_dict("records"),
                    }
                )
            else:
                out.print(_posterior_table(name, posterior))
            return
    if as_json:
        fmt.print_json(
            {
                "database": store.display_url,
                "ensembles": [
                    {
                        "name": row.name,
                        "status": row.status,
                        "scenario": row.scenario,
                        "parameters": list(row.parameters),
                        "particles": int(row.particles),
                        "generations": int(row.generations),
                        "final_epsilon": fmt.json_number(row.final_epsilon),
                        "simulations": int(row.simulations),
                        "created_at": row.created_at,
                        "updated_at": row.updated_at,
                        "history_url": row.history_url,
                    }
                    for row in listing.itertuples()
                ],
            }
        )
        return
    if listing.empty:
        out.print(f"no ensembles in {store.display_url}", markup=False, soft_wrap=True)
        return
    right = {"justify": "right"}
    table = fmt.table(
        f"posterior ensembles in {store.display_url}",
        [
            ("name", {"no_wrap": True}),
            "status",
            "parameters",
            ("particles", right),
            ("generations", right),
            ("final epsilon", right),
            ("simulations", right),
            "date",
        ],
    )
    for row in listing.itertuples():
        epsilon = (
            "—" if row.final_epsilon is None or math.isnan(row.final_epsilon) else f"{row.final_epsilon:.4g}"
        )
        table.add_row(
            row.name,
            row.status,
            "\n".join(row.parameters),
            str(row.particles),
            str(row.generations),
            epsilon,
            f"{row.simulations:,}",
            f"{row.updated_at:%Y-%m-%d %H:%M}",
        )
    out.print(table)


def _posterior_table(name: str, posterior) -> Table:
    import numpy as np

    from simulation.calibration.posterior import weighted_quantiles

    weights = posterior["weight"].to_numpy()
    right = {"justify": "right"}
    table = fmt.table(
        f"{name}: posterior ({len(posterior)} particles, weighted)",
        ["parameter", ("mean", right), ("5%", right), ("median", right), ("95%", right)],
    )
    for path in [c for c in posterior.columns if c != "weight"]:
        values = posterior[path].to_numpy(dtype=float)
        low, mid, high = weighted_quantiles(values, weights, (0.05, 0.5, 0.95))
        table.add_row(
            path, f"{np.average(values, weights=weights):.4g}", f"{low:.4g}", f"{mid:.4g}", f"{high:.4g}"
        )
    return table


# ------------------------------------------------------------------- ocsim test --ensemble NAME
def test_across_posterior(
    scenario: Path,
    ensemble: str,
    draws: int,
    replications: int,
    seed: int,
    db: str | None,
    executor: ExecutorChoice,
    workers: int | None,
    quiet: bool,
    settings: dict | None = None,
) -> None:
    """``ocsim test SCENARIO --ensemble NAME``: each claim's share of posterior mass where it holds.

    ``settings`` (``--set``, ``--steps``) apply to the strategy and every comparison; the
    posterior's values are set on top of them."""
    from functools import partial

    from simulation.calibration.verdicts import run_posterior_test
    from simulation.cli.theory import _STYLE, CLAIM_NOT_HELD, _with_progress
    from simulation.formatting import format_claim_value
    from simulation.storage.ensembles import posterior_frame
    from simulation.theory import claim_setup

    try:
        setup = claim_setup(scenario, overrides=settings or None)
    except ScenarioError as exc:
        raise bad_input(str(exc)) from None
    store = open_store(db)
    with store:
        if posterior_frame(store, ensemble) is None:
            raise bad_input(f"no ensemble named {ensemble!r} in {store.display_url}; see `ocsim ensembles`")
    try:
        result = _with_progress(
            f"{setup.label} across {ensemble}: runs",
            quiet,
            lambda show: run_posterior_test(
                scenario, ensemble, draws, replications, seed, store.url, executor.value, workers, show, setup
            ),
        )
    except ScenarioError as exc:
        raise bad_input(str(exc)) from None
    out = fmt.stdout()
    table = Table(
        title=f"theory of success: {setup.label} across posterior {ensemble} "
        f"({draws} draws x {replications} paired replications)"
    )
    for column in ("claim", "metric", "holds for", "pooled estimate [interval]", "needs", "verdict"):
        table.add_column(column)
    for c in result.claims:
        v = c.verdict
        shown = partial(format_claim_value, kind=v.kind)
        side = "≤" if v.wants_below else "≥"
        table.add_row(
            v.claim,
            v.metric,
            f"{c.share_holds:.0%} of the posterior",
            f"{shown(v.estimate)} [{shown(v.low)}, {shown(v.high)}]",
            f"{side} {shown(v.threshold)} for {v.confidence:.0%} of it",
            f"[{_STYLE[v.verdict]}]{v.verdict}[/]",
        )
    out.print(table)
    out.print(f"verdicts stored in experiment {result.experiment} of {result.sweep.database}", markup=False)
    if not result.all_hold:
        raise typer.Exit(CLAIM_NOT_HELD if not result.sweep.failed else RUN_FAILED)


# ----------------------------------------------------------------- ocsim report --ensemble NAME
PPC_DRAWS = 20
"""Fresh runs of the posterior predictive check in ``ocsim report --ensemble``."""


def report_ensemble(out: Path, db: str | None, ensemble: str, ppc_draws: int = PPC_DRAWS) -> None:
    """``ocsim report --ensemble NAME --out FILE.html``: the posterior against its priors, and the
    targets against ``ppc_draws`` fresh runs drawn from it."""
    from simulation.calibration.loader import CalibrationError
    from simulation.calibration.predictive import posterior_predictive
    from simulation.report.calibration import build_calibration_report
    from simulation.storage.ensembles import posterior_frame

    if out.suffix.lower() not in (".html", ".htm"):
        raise bad_input(f"--out {out}: give a file name ending in .html")
    with open_store(db) as store:
        posterior = posterior_frame(store, ensemble)
        if posterior is None or posterior.empty:
            what = "no ensemble named" if posterior is None else "no finished generation in ensemble"
            raise bad_input(f"{what} {ensemble!r} in {store.display_url}; see `ocsim ensembles`")
        url = store.url
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise bad_input(f"--out {out}: cannot create the folder: {exc.strerror}") from None
    check, why_not = None, None
    if ppc_draws:
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, console=fmt.stderr()) as bar:
            task = bar.add_task(f"{ensemble}: predictive check runs", total=ppc_draws)
            try:
                check = posterior_predictive(
                    url, ensemble, ppc_draws, lambda done, _: bar.update(task, completed=done)
                )
            except (CalibrationError, ScenarioError, OSError) as exc:
                bar.stop()
                why_not = (
                    f"ensemble {ensemble!r} does not store the scenario as simulated, and it cannot be "
                    f"rebuilt from the stored specification: {exc}"
                )
                fmt.print_error(f"no predictive check: {why_not}")
            except KeyboardInterrupt:
                bar.stop()
                fmt.print_error("interrupted: no report written")
                raise typer.Exit(INTERRUPTED) from None
        if check is not None and check.failures:
            fmt.print_error(f"{check.failures} of {ppc_draws} predictive run(s) failed; left out of the band")
    report = build_calibration_report(url, out, ensemble, predictive=check, why_no_check=why_not)
    fmt.stdout().print(
        f"wrote {report.path} ({len(report.figures)} figures, also as PNG in {report.figure_dir})",
        markup=False,
        soft_wrap=True,
    )
