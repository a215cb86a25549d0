"""``ocsim test``, ``ocsim challenge`` and ``ocsim report``: judge a theory of success, find where it
breaks, and write it up for policy readers."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from simulation.cli import format as fmt
from simulation.cli.app import RUN_FAILED, DbOption, app, bad_input, open_store, require_file
from simulation.cli.experiments import INTERRUPTED, ExecutorChoice, parse_settings, require_experiment
from simulation.cli.options import SetOption, StepsOption
from simulation.cost import too_long
from simulation.formatting import format_claim_value
from simulation.scenario import ScenarioError
from simulation.storage.ledger import experiment_status

if TYPE_CHECKING:
    from simulation.experiments import SweepProgress
    from simulation.experiments.sweep import ProgressCallback

CLAIM_NOT_HELD = 1
_STYLE = {"HOLDS": "green", "FAILS": "red", "INCONCLUSIVE": "yellow"}


def _with_progress[T](label: str, quiet: bool, work: Callable[[ProgressCallback], T]) -> T:
    """Run ``work(progress)`` under a runs-done bar; Ctrl+C keeps finished runs and exits 130."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=fmt.stderr(), disable=quiet) as bar:
        task = bar.add_task(label, total=None)

        def show(p: SweepProgress) -> None:
            bar.update(task, total=p.total - p.skipped, completed=p.done)

        try:
            return work(show)
        except KeyboardInterrupt:
            bar.stop()
            fmt.print_error("interrupted: finished runs are stored; run the same command to go on")
            raise typer.Exit(INTERRUPTED) from None


JsonOption = Annotated[
    bool,
    typer.Option(
        "--json", help="Print the result as JSON on stdout (no progress bar or table); see the docs."
    ),
]


def _settings(overrides: list[str] | None, steps: int | None) -> dict[str, Any]:
    settings = parse_settings(overrides)
    if steps is not None:
        settings["steps"] = steps
    return settings


def _verdict_cells(v) -> tuple[str, str]:
    shown = partial(format_claim_value, kind=v.kind)  # the report writes claims the same way
    side = "≤" if v.wants_below else "≥"
    return (
        f"{shown(v.estimate)} [{shown(v.low)}, {shown(v.high)}]",
        f"{side} {shown(v.threshold)} at {v.confidence:.0%}",
    )


def _sweep_json(sweep) -> dict[str, Any]:
    return {
        "finished": sweep.finished,
        "failed": sweep.failed,
        "reused": sweep.skipped,
        "planned": sweep.planned,
        "wall_time": sweep.wall_time,
    }


@app.command("test")
def test_command(
    scenario: Annotated[
        Path,
        typer.Argument(
            metavar="SCENARIO", help="Scenario file with a theory_of_success.", show_default=False
        ),
    ],
    replications: Annotated[
        int | None,
        typer.Option(
            "--replications", "-r", min=2, help="Paired replications per scenario [default: 20; 2 per draw]."
        ),
    ] = None,
    seed: Annotated[int, typer.Option(min=0, help="Root seed of the replications.")] = 1,
    overrides: SetOption = None,
    steps: StepsOption = None,
    db: DbOption = None,
    executor: Annotated[ExecutorChoice, typer.Option(help="Where runs execute.")] = ExecutorChoice.local,
    workers: Annotated[int | None, typer.Option(min=1, help="Parallel workers.", show_default=False)] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    as_json: JsonOption = False,
    force: Annotated[
        bool, typer.Option("--force", help="Run even when a run is estimated to exceed the time limit.")
    ] = False,
    ensemble: Annotated[
        str | None,
        typer.Option(help="Judge across a posterior ensemble (ocsim ensembles).", show_default=False),
    ] = None,
    draws: Annotated[int, typer.Option("--draws", "-n", min=1, help="Posterior draws with --ensemble.")] = 20,
) -> None:
    """Run strategy and comparisons with paired seeds; HOLDS / FAILS / INCONCLUSIVE per claim.

    --set and --steps apply to the strategy and every comparison alike. Exit code 0 only when
    every claim holds (1 otherwise, 2 for bad input).
    """
    from simulation.theory import claim_setup, run_claim_test

    settings = _settings(overrides, steps)
    if ensemble is not None:
        from simulation.cli.calibration import test_across_posterior

        test_across_posterior(
            scenario, ensemble, draws, replications or 2, seed, db, executor, workers, quiet, settings
        )
        return
    replications = replications or 20
    try:
        require_file(scenario)
        setup = claim_setup(scenario, overrides=settings)
    except ScenarioError as exc:
        raise bad_input(str(exc)) from None
    if (refusal := too_long(setup.scenario)) and not force:
        raise bad_input(f"{scenario}: {refusal}")
    open_store(db).close()
    result = _with_progress(
        f"{setup.label}: runs",
        quiet or as_json,
        lambda show: run_claim_test(
            scenario, replications, seed, db, executor.value, workers, progress=show, setup=setup
        ),
    )
    if result.sweep.failed:
        fmt.print_error(f"{result.sweep.failed} run(s) failed; claims are judged on the finished ones")
    if as_json:
        _print_test_json(result, replications, seed, settings)
    else:
        _print_test_table(result, replications)
    if not result.all_hold:
        raise typer.Exit(CLAIM_NOT_HELD if not result.sweep.failed else RUN_FAILED)


def _print_test_table(result, replications: int) -> None:
    out = fmt.stdout()
    columns = [
        "claim",
        "metric",
        "estimate [interval]",
        "needs",
        ("verdict", {"no_wrap": True}),
        ("more reps", {"justify": "right"}),
    ]
    table = fmt.table(
        f"theory of success: {result.setup.label} ({replications} paired replications)", columns
    )
    for v in result.verdicts:
        estimate, needs = _verdict_cells(v)
        verdict = f"[{_STYLE[v.verdict]}]{v.verdict}[/]"
        table.add_row(v.claim, v.metric, estimate, needs, verdict, str(v.more_replications or ""))
    out.print(table)
    for v in result.verdicts:
        if v.note:
            out.print(f"note on {v.claim!r}: {v.note}", markup=False, soft_wrap=True)
    out.print(
        f"verdicts stored in experiment {result.experiment} of {result.sweep.database}",
        markup=False,
        soft_wrap=True,
    )


def _print_test_json(result, replications: int, seed: int, settings: dict[str, Any]) -> None:
    claims = []
    for v in result.verdicts:
        record = fmt.json_clean(v.as_record())
        record["holds"] = v.verdict == "HOLDS"
        claims.append(record)
    fmt.print_json(
        {
            "command": "test",
            "scenario": result.setup.label,
            "source": result.setup.source,
            "settings": fmt.json_clean(settings),
            "replications": replications,
            "seed": seed,
            "experiment": result.experiment,
            "database": result.sweep.database,
            "runs": _sweep_json(result.sweep),
            "all_hold": result.all_hold,
            "claims": claims,
        }
    )


class SensitivityChoice(StrEnum):
    sobol = "sobol"
    morris = "morris"


@app.command("challenge")
def challenge_command(
    scenario: Annotated[
        Path,
        typer.Argument(
            metavar="SCENARIO", help="Scenario file with claims and assumptions.", show_default=False
        ),
    ],
    samples: Annotated[
        int, typer.Option(min=2, help="Assumption points (Sobol': base sample, a power of two).")
    ],
    replications: Annotated[
        int, typer.Option("--replications", "-r", min=1, help="Paired replications per point.")
    ] = 2,
    sensitivity: Annotated[
        SensitivityChoice | None,
        typer.Option(
            help="Also compute Sobol' or Morris indices (changes the sampling design).", show_default=False
        ),
    ] = None,
    seed: Annotated[int, typer.Option(min=0, help="Root seed.")] = 1,
    overrides: SetOption = None,
    steps: StepsOption = None,
    db: DbOption = None,
    executor: Annotated[ExecutorChoice, typer.Option(help="Where runs execute.")] = ExecutorChoice.local,
    workers: Annotated[int | None, typer.Option(min=1, help="Parallel workers.", show_default=False)] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    as_json: JsonOption = False,
    force: Annotated[
        bool, typer.Option("--force", help="Run even when a run is estimated to exceed the time limit.")
    ] = False,
    ensemble: Annotated[
        str | None,
        typer.Option(
            help="Draw the parameters a posterior ensemble calibrates from it (ocsim ensembles); "
            "sample only the other assumptions.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Sample the assumption space and report where each claim holds and where it breaks.

    --set and --steps fix settings for every run (they may not name a sampled assumption). With
    --ensemble, each point also draws the calibrated parameters from the posterior by weight, and
    assumptions the ensemble calibrates are not sampled.
    """
    from simulation.experiments import prepare_experiment
    from simulation.theory import claim_setup
    from simulation.theory.challenge import challenge_spec, run_challenge

    settings = _settings(overrides, steps)
    kind = sensitivity.value if sensitivity else None
    store = open_store(db) if ensemble is not None else None
    try:
        require_file(scenario)
        setup = claim_setup(scenario, overrides=settings)
        # Planned here too, so a bad range or design exits 2 before anything runs.
        if store is not None:
            plan = _ensemble_plan(store, setup, ensemble, samples, replications, seed, kind)
            prepare_experiment(plan.spec, plan.inputs)
        else:
            prepare_experiment(challenge_spec(setup, samples, replications, seed, kind), setup.inputs)
    except ScenarioError as exc:  # experiment errors are scenario errors too
        raise bad_input(str(exc)) from None
    if (refusal := too_long(setup.scenario)) and not force:
        raise bad_input(f"{scenario}: {refusal}")
    open_store(db).close()

    def work(show):
        if ensemble is not None:
            from simulation.calibration.challenge import run_ensemble_challenge

            return run_ensemble_challenge(
                scenario, ensemble, samples, replications, seed, db, executor.value, workers, kind,
                progress=show, setup=setup,
            )  # fmt: skip
        return run_challenge(
            scenario, samples, replications, seed, db, executor.value, workers, kind,
            progress=show, setup=setup,
        )  # fmt: skip

    result = _with_progress(f"{setup.label}: challenge runs", quiet or as_json, work)
    if as_json:
        _print_challenge_json(result, setup, samples, replications, seed, settings, kind)
    else:
        _print_challenge(result, setup, replications)
    if result.sweep.failed:
        fmt.print_error(f"{result.sweep.failed} run(s) failed; their points are judged as not holding")
        raise typer.Exit(RUN_FAILED)


def _ensemble_plan(store, setup, ensemble: str, samples, replications, seed, kind):
    """The challenge across a posterior, planned; exit 2 when the ensemble is missing or empty."""
    from simulation.calibration.challenge import plan_ensemble_challenge
    from simulation.storage.ensembles import posterior_frame

    with store:
        posterior = posterior_frame(store, ensemble)
    if posterior is None or posterior.empty:
        what = "no ensemble named" if posterior is None else "no finished generation in ensemble"
        raise bad_input(f"{what} {ensemble!r} in {store.display_url}; see `ocsim ensembles`")
    return plan_ensemble_challenge(setup, posterior, ensemble, samples, replications, seed, kind)


def _ensemble_lines(result) -> list[str]:
    if result.ensemble is None:
        return []
    lines = [
        f"calibrated parameters drawn from posterior ensemble {result.ensemble} (one draw by weight "
        f"per point): {', '.join(result.calibrated)}"
    ]
    if result.dropped:
        lines.append(
            f"not sampled from their assumption ranges, because the ensemble calibrates them: "
            f"{', '.join(result.dropped)}"
        )
    return lines


def _print_challenge(result, setup, replications: int) -> None:
    out = fmt.stdout()
    out.print(
        f"challenge of {setup.label}: {len(result.points)} assumption points x {replications} paired "
        f"replication(s) ({result.sweep.finished} runs made, {result.sweep.skipped} reused)",
        markup=False,
        soft_wrap=True,
    )
    for line in _ensemble_lines(result):
        out.print(line, markup=False, soft_wrap=True)
    for finding in result.claims:
        out.print(f"\n{finding.claim}", style="bold", markup=False)
        out.print(f"  {finding.statement}", markup=False, soft_wrap=True)
        for warning in finding.warnings:
            out.print(f"  warning: {warning}", style="yellow", markup=False, soft_wrap=True)
        if finding.feature_scores:
            ranked = ", ".join(f"{a} {finding.feature_scores[a]:.2f}" for a in finding.deciding_assumptions)
            out.print(f"  deciding assumptions (feature scores): {ranked}", markup=False, soft_wrap=True)
        elif finding.failures == 0:
            out.print("  feature scores: none (the claim never fails)", markup=False, soft_wrap=True)
        for index, values in finding.sensitivity.items():
            shown = ", ".join(f"{a} {v:.2f}" for a, v in values.items())
            out.print(f"  {index}: {shown}", markup=False, soft_wrap=True)
    out.print(
        f"\nfindings stored in experiment {result.experiment} of {result.sweep.database}",
        markup=False,
        soft_wrap=True,
    )


def _print_challenge_json(result, setup, samples, replications, seed, settings, kind) -> None:
    from dataclasses import asdict

    claims = []
    for finding in result.claims:
        record = fmt.json_clean(asdict(finding))
        record["deciding_assumptions"] = finding.deciding_assumptions
        claims.append(record)
    fmt.print_json(
        {
            "command": "challenge",
            "scenario": setup.label,
            "source": setup.source,
            "settings": fmt.json_clean(settings),
            "samples": samples,
            "points": len(result.points),
            "replications": replications,
            "seed": seed,
            "sensitivity": kind,
            "ensemble": result.ensemble,
            "calibrated": result.calibrated,
            "dropped_assumptions": result.dropped,
            "experiment": result.experiment,
            "database": result.sweep.database,
            "runs": _sweep_json(result.sweep),
            "claims": claims,
            "assumption_points": fmt.json_clean(result.points.to_dict(orient="records")),
        }
    )


@app.command("report")
def report_command(
    out: Annotated[
        Path, typer.Option(help="HTML file to write (PNG figures go beside it).", show_default=False)
    ],
    db: DbOption = None,
    experiment: Annotated[
        str | None, typer.Option(help="One experiment (default: every experiment).", show_default=False)
    ] = None,
    ensemble: Annotated[
        str | None, typer.Option(help="Report a posterior ensemble against its priors.", show_default=False)
    ] = None,
    ppc_draws: Annotated[
        int | None,
        typer.Option(
            "--ppc-draws",
            min=0,
            help="With --ensemble: fresh runs from the posterior for the predictive check "
            "[default: 20; 0: none].",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Write an HTML report: time series, results framework, displacement, claims, challenges, sweeps."""
    if ppc_draws is not None and ensemble is None:
        raise bad_input("--ppc-draws goes with --ensemble (the predictive check of a posterior)")
    if ensemble is not None:
        from simulation.cli.calibration import PPC_DRAWS, report_ensemble

        report_ensemble(out, db, ensemble, PPC_DRAWS if ppc_draws is None else ppc_draws)
        return
    from simulation.report import build_report

    with open_store(db) as store:
        known = list(experiment_status(store)["experiment"])
        if experiment is not None:
            require_experiment(store, experiment)
    if not known:
        raise bad_input(f"no experiments in {store.display_url}; run ocsim sweep, test or challenge first")
    if out.suffix.lower() not in (".html", ".htm"):
        raise bad_input(f"--out {out}: give a file name ending in .html")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise bad_input(f"--out {out}: cannot create the folder: {exc.strerror}") from None
    report = build_report(db, out, experiment)
    fmt.stdout().print(
        f"wrote {report.path} ({len(report.figures)} figures, also as PNG in {report.figure_dir})",
        markup=False,
        soft_wrap=True,
    )
