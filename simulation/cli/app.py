"""The ``ocsim`` command line.

Exit codes: 0 success; 1 a run failed (the others still ran and were stored); 2 bad input
(scenario, ``--set``, ``--db`` or an option), reported before anything is simulated or written.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from simulation.cli import format as fmt
from simulation.cli.dashboard import dashboard
from simulation.cli.options import SetOption
from simulation.core.seeds import ReplicationSeed, replication_seed_details
from simulation.cost import too_long
from simulation.inputs import clip
from simulation.scenario import Scenario, ScenarioError, config_hash, resolved_config
from simulation.scenario.loader import (
    apply_overrides,
    parse_override,
    read_scenario_file,
    validate_scenario,
)
from simulation.storage import DatabaseURLError, ResultsStore, RunExistsError
from simulation.suggest import file_hint, hint

BAD_INPUT = 2
RUN_FAILED = 1

app = typer.Typer(
    name="ocsim",
    help="Agent-based simulation of criminal markets under organized-crime strategies.",
    no_args_is_help=True,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.command()(dashboard)


@dataclass
class Outcome:
    """What happened to one replication."""

    replication: int
    seed: int
    run_id: int | None
    status: str  # finished | failed | stored (already in the database)
    error: str | None = None
    wall_time: float | None = None


# ------------------------------------------------------------------------------- input checks
def _parse_overrides(texts: list[str] | None, steps: int | None) -> dict[str, Any]:
    overrides = dict(parse_override(text) for text in texts or [])
    if steps is not None:
        overrides["steps"] = steps
    return overrides


def require_file(path: Path, error: type[ScenarioError] = ScenarioError) -> None:
    """A missing file is bad input, answered with the closest file names beside it (a directory or
    device is left to the reader, which says what it is)."""
    if not path.exists():
        raise error(str(path), [f"file not found{file_hint(path)}"])


def _load(path: Path, texts: list[str] | None, steps: int | None = None) -> Scenario:
    """The validated scenario; messages name the flags as well as the file when flags apply."""
    require_file(path)
    overrides = _parse_overrides(texts, steps)
    raw = read_scenario_file(path)
    flags = [f"--set {clip(t)}" for t in texts or []] + ([f"--steps {steps}"] if steps else [])
    source = f"{path} with {' '.join(flags)}" if flags else str(path)
    merged = apply_overrides(raw, overrides, source)
    return validate_scenario(merged, source, horizon_from_file="steps" not in overrides)


DbOption = Annotated[
    str | None,
    typer.Option(
        help="SQLAlchemy URL; default: $OCSIM_DB, else sqlite:///results/ocsim.sqlite.",
        show_default=False,
    ),
]


def open_store(db: str | None) -> ResultsStore:
    """The results store, or exit 2 with the URL's problem."""
    try:
        return ResultsStore(db)
    except DatabaseURLError as exc:
        raise bad_input(str(exc)) from None


def bad_input(message: str) -> typer.Exit:
    fmt.print_error(message)
    return typer.Exit(BAD_INPUT)


# ------------------------------------------------------------------------------------ running
def _progress(quiet: bool) -> Progress:
    """Steps x replications; on stderr so stdout keeps only results; plain lines without a TTY."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=fmt.stderr(),
        disable=quiet,
    )


@dataclass
class Batch:
    """Replications of one scenario written to one store, advancing one progress bar."""

    store: ResultsStore
    scenario: Scenario
    source: Path
    force: bool
    advance: Callable[[int], None]

    def run(self, origin: ReplicationSeed) -> Outcome:
        """begin -> simulate -> complete; an exception marks the run failed, the batch goes on."""
        steps, replication, seed = self.scenario.steps, origin.replication, origin.seed
        try:
            run_id = self._begin(origin)
        except RunExistsError as exc:
            self.advance(steps)
            return Outcome(replication, seed, exc.run_id, "stored")
        done = 0

        def step_done(step: int, _total: int) -> None:
            nonlocal done
            self.advance(step - done)
            done = step

        from simulation import runner  # the model loads only when something runs

        try:
            result = runner.run_scenario(self.scenario, seed=seed, steps=steps, progress=step_done)
            self.store.complete_run(run_id, result)
        except KeyboardInterrupt:
            self.store.fail_run(run_id, "interrupted by the user", traceback.format_exc())
            raise
        except Exception as exc:
            self.store.fail_run(run_id, exc, traceback.format_exc())
            self.advance(steps - done)
            return Outcome(replication, seed, run_id, "failed", f"{type(exc).__name__}: {exc}")
        return Outcome(replication, seed, run_id, "finished", wall_time=result.wall_time)

    def _begin(self, origin: ReplicationSeed) -> int:
        config = resolved_config(self.scenario)
        return self.store.begin_run(
            config,
            config_hash(config),
            origin.seed,
            self.scenario.steps,
            self.scenario.name,
            scenario_source=str(self.source),
            replication=origin.replication,
            replace=self.force,
            seed_entropy=origin.root_seed,
            spawn_key=origin.spawn_key,
        )


def _report_outcome(outcome: Outcome, quiet: bool) -> None:
    where = f"replication {outcome.replication} (seed {outcome.seed}) run {outcome.run_id}"
    if outcome.status == "failed":
        fmt.print_error(f"{where} failed: {outcome.error}")
        return
    if quiet:
        return
    if outcome.status == "stored":
        message = f"{where}: already in the database, not run again (use --force to re-run)"
    else:
        message = f"{where}: finished in {outcome.wall_time:.1f} s"
    fmt.stderr().print(message, markup=False, soft_wrap=True)


def _print_summary(store: ResultsStore, scenario: Scenario, outcomes: list[Outcome]) -> None:
    ids = [o.run_id for o in outcomes if o.status in ("finished", "stored")]
    summary = fmt.summarise(store.load_metrics(run_ids=ids)) if ids else None
    if summary is not None and not summary.empty:
        title = f"{scenario.name}: mean of the last {fmt.SUMMARY_WINDOW} months, {len(ids)} run(s)"
        fmt.stdout().print(fmt.summary_table(summary, title))


def _print_where(store: ResultsStore, outcomes: list[Outcome]) -> None:
    def ids(status: str) -> str:
        return fmt.id_list([o.run_id for o in outcomes if o.status == status])

    out = fmt.stdout()
    out.print(f"database: {store.display_url}", markup=False, soft_wrap=True)
    out.print(f"runs written: {ids('finished')}", markup=False)
    if any(o.status == "stored" for o in outcomes):
        out.print(f"runs already stored: {ids('stored')}", markup=False)
    if any(o.status == "failed" for o in outcomes):
        out.print(f"runs failed: {ids('failed')} (error and traceback in table runs)", markup=False)


# ----------------------------------------------------------------------------------- commands
@app.command()
def validate(
    files: Annotated[
        list[Path], typer.Argument(metavar="FILE", help="Scenario YAML files.", show_default=False)
    ],
    overrides: SetOption = None,
) -> None:
    """Check scenario files; print a one-line summary of each valid one."""
    invalid = 0
    for path in files:
        try:
            scenario = _load(path, overrides)
        except ScenarioError as exc:
            fmt.print_error(str(exc))
            invalid += 1
            continue
        fmt.stdout().print(fmt.describe_scenario(path, scenario), markup=False, soft_wrap=True)
    if invalid:
        fmt.print_error(f"{invalid} of {len(files)} file(s) invalid")
        raise typer.Exit(BAD_INPUT)


@app.command()
def run(
    scenario: Annotated[
        Path, typer.Argument(metavar="SCENARIO", help="Scenario YAML file.", show_default=False)
    ],
    steps: Annotated[
        int | None, typer.Option(min=1, help="Months to simulate (default: the scenario's).")
    ] = None,
    seed: Annotated[int, typer.Option(min=0, help="Root seed of the replications.")] = 1,
    replications: Annotated[
        int, typer.Option("--replications", "-r", min=1, help="Runs with spawned seeds.")
    ] = 1,
    overrides: SetOption = None,
    db: DbOption = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Re-run replications already stored with the same settings; run even when a run is "
            "estimated to exceed the time limit.",
        ),
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or table.")] = False,
) -> None:
    """Simulate a scenario for one or more replications and store the results."""
    try:
        spec = _load(scenario, overrides, steps)
    except ScenarioError as exc:
        raise bad_input(str(exc)) from None
    if (refusal := too_long(spec)) and not force:
        raise bad_input(f"{scenario}: {refusal}")
    store = open_store(db)
    seeds = replication_seed_details(seed, replications)
    with store, _progress(quiet) as progress:
        task = progress.add_task(spec.name, total=spec.steps * replications)

        batch = Batch(store, spec, scenario, force, lambda n: progress.advance(task, n))
        outcomes = []
        for origin in seeds:
            replication = origin.replication
            progress.update(task, description=f"{spec.name} rep {replication + 1}/{replications}")
            outcome = batch.run(origin)
            _report_outcome(outcome, quiet)
            outcomes.append(outcome)
        progress.stop()
        if not quiet:
            _print_summary(store, spec, outcomes)
        _print_where(store, outcomes)
    if any(o.status == "failed" for o in outcomes):
        raise typer.Exit(RUN_FAILED)


@app.command()
def levers(
    principle: Annotated[
        str | None, typer.Argument(help="prevent, pursue, protect or promote (default: all)")
    ] = None,
) -> None:
    """List the strategy levers: principle, decision they enter, effect and cost."""
    from rich.table import Table

    from simulation.core.levers import PRINCIPLES, levers_of

    if principle is not None and principle not in PRINCIPLES:
        lever_names = {lever.name: p for p in PRINCIPLES for lever in levers_of(p)}  # type: ignore[arg-type]
        if principle in lever_names:
            raise bad_input(
                f"{principle!r} is a lever, not a principle; see it with: "
                f"ocsim levers {lever_names[principle]}"
            )
        raise bad_input(
            f"unknown principle {principle!r}; allowed: {', '.join(PRINCIPLES)}"
            + hint(principle, [*PRINCIPLES, *lever_names])
        )
    table = Table(title="strategy levers (docs/levers.md)")
    for column in ("principle", "lever", "modifier", "effect", "cost k/month"):
        table.add_column(column, no_wrap=True)
    table.add_column("objective")
    for p in [principle] if principle else PRINCIPLES:
        for lever in levers_of(p):  # type: ignore[arg-type]
            table.add_row(
                p, lever.name, lever.modifier, f"{lever.effect:+g}", f"{lever.cost:g}", lever.objective
            )
    fmt.stdout().print(table)


def main() -> None:
    """Entry point of the ``ocsim`` script."""
    app()
