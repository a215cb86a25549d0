"""``ocsim sweep``, ``ocsim runs`` and ``ocsim export``: experiments from the command line."""

from __future__ import annotations

import json
import math
import os
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

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
from simulation.cli.app import (
    BAD_INPUT,
    RUN_FAILED,
    DbOption,
    app,
    bad_input,
    open_store,
    require_file,
)
from simulation.cli.options import SetOption, StepsOption
from simulation.cost import duration
from simulation.scenario import ScenarioError, parse_override
from simulation.storage import ResultsStore
from simulation.storage.ledger import experiment_status, load_experiment_record, load_sweeps
from simulation.suggest import hint

if TYPE_CHECKING:
    from simulation.experiments import SweepProgress
    from simulation.experiments.sweep import SweepSummary

INTERRUPTED = 130


class ExecutorChoice(StrEnum):
    local = "local"
    dask = "dask"
    serial = "serial"


class ExportFormat(StrEnum):
    csv = "csv"
    parquet = "parquet"


ExecutorOption = Annotated[
    ExecutorChoice | None,
    typer.Option(
        help="Where runs execute: local (process pool, the default), serial or dask "
        "(the default with --scheduler).",
        show_default=False,
    ),
]


def resolve_executor(executor: ExecutorChoice | None, scheduler: str | None) -> ExecutorChoice:
    """``--scheduler`` alone means Dask; with another executor it is a contradiction (exit 2)."""
    if scheduler is None:
        return executor or ExecutorChoice.local
    if executor not in (None, ExecutorChoice.dask):
        raise bad_input(
            f"--scheduler {scheduler} joins a Dask cluster, but --executor {executor.value} was given; "
            "leave --executor out (or use --executor dask) to join the cluster"
        )
    return ExecutorChoice.dask


def parse_settings(texts: list[str] | None) -> dict[str, Any]:
    """``--set PATH=VALUE`` flags as a mapping, or exit 2 naming the flag."""
    try:
        return dict(parse_override(text) for text in texts or [])
    except ScenarioError as exc:
        raise bad_input(str(exc)) from None


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h {minutes:02d}m {secs:02d}s" if hours else f"{minutes}m {secs:02d}s"


# ---------------------------------------------------------------------------------------- sweep
@app.command()
def sweep(
    experiment: Annotated[
        Path, typer.Argument(metavar="FILE", help="Experiment YAML file.", show_default=False)
    ],
    workers: Annotated[
        int | None, typer.Option(min=1, help="Parallel workers (default: all cores).", show_default=False)
    ] = None,
    executor: ExecutorOption = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            help="Join an existing Dask cluster, e.g. tcp://10.0.0.5:8786 (implies --executor dask).",
            show_default=False,
        ),
    ] = None,
    overrides: SetOption = None,
    steps: StepsOption = None,
    db: DbOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count the runs and estimate the time; run nothing.")
    ] = False,
    batch_size: Annotated[
        int | None, typer.Option(min=1, help="Runs per task (default: chosen from runs and workers).")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Run even when a run is estimated to exceed the time limit.")
    ] = False,
) -> None:
    """Run an experiment: every scenario x parameter point x replication not stored yet."""
    from simulation.experiments import ExperimentError, prepare_experiment
    from simulation.experiments.executors import default_workers
    from simulation.experiments.sweep import pending_tasks

    executor = resolve_executor(executor, scheduler)
    settings = parse_settings(overrides)
    try:
        require_file(experiment, ExperimentError)
        prepared = prepare_experiment(experiment, settings=settings, steps=steps)
    except ExperimentError as exc:
        raise bad_input(str(exc)) from None
    if prepared.plan.longest[1] and not force and not dry_run:
        raise bad_input(f"{experiment}: {prepared.plan.longest[1]}")
    store = open_store(db)
    slots = 1 if executor is ExecutorChoice.serial else workers or default_workers()
    with store:
        todo = pending_tasks(store, prepared.plan)
        if dry_run:
            _print_dry_run(store, prepared, todo, slots, executor, batch_size)
            return
    summary = _run_with_progress(
        experiment, executor, workers, scheduler, store.url, batch_size, quiet, settings, steps
    )
    _print_summary(summary)
    if summary.failed:
        raise typer.Exit(RUN_FAILED)


def _print_dry_run(
    store, prepared, todo, slots: int, executor: ExecutorChoice, batch_size: int | None
) -> None:
    from simulation.experiments.estimate import estimate_run_time
    from simulation.experiments.sweep import batch_size_for

    spec, plan = prepared.spec, prepared.plan
    out = fmt.stdout()
    out.print(
        f"experiment {spec.name}: {len(spec.scenarios)} scenario(s) x {len(plan.points)} point(s) "
        f"({spec.design.type}) x {spec.replications} replication(s) = {len(plan.members)} runs "
        f"({len(plan.tasks)} distinct)",
        markup=False,
        soft_wrap=True,
    )
    out.print(f"already stored: {len(plan.tasks) - len(todo)}; to run: {len(todo)}", markup=False)
    out.print(
        f"from the runs' size: about {duration(plan.size_seconds)} of computing for all {len(plan.tasks)} "
        f"distinct runs on one worker; the largest run about {duration(plan.longest[0])}"
        + (f" (refused without --force: {plan.longest[1]})" if plan.longest[1] else ""),
        markup=False,
        soft_wrap=True,
    )
    estimate = estimate_run_time(store, list(plan.tasks), todo, executor.value)
    if estimate is not None and todo:
        size = batch_size_for(len(todo), slots, batch_size)
        total = estimate.total(len(todo), slots)
        active = max(1, min(slots, len(todo)))
        per_run = (total - estimate.startup) / math.ceil(len(todo) / active)
        out.print(
            f"estimated time: {_duration(total)} ({total:.1f} s) on {slots} {executor.value} worker(s), "
            f"{size} run(s) per task: start-up {estimate.startup:.1f} s, then "
            f"{math.ceil(len(todo) / active)} round(s) of {per_run:.1f} s per run (from {estimate.basis}; "
            f"{estimate.others:.1f} other busy process(es) on {estimate.cpus} CPU(s))",
            markup=False,
            soft_wrap=True,
        )
    out.print(f"database: {store.display_url}", markup=False, soft_wrap=True)


def _run_with_progress(
    experiment: Path,
    executor: ExecutorChoice,
    workers: int | None,
    scheduler: str | None,
    url: str,
    batch_size: int | None,
    quiet: bool,
    settings: dict[str, Any] | None = None,
    steps: int | None = None,
) -> SweepSummary:
    from simulation.experiments import run_experiment

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("failed {task.fields[failed]}  remaining {task.fields[remaining]}"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=fmt.stderr(), disable=quiet) as bar:
        task = bar.add_task(experiment.stem, total=None, failed=0, remaining="?")

        def show(p: SweepProgress) -> None:
            bar.update(
                task,
                total=p.total - p.skipped,
                completed=p.done,
                failed=p.failed,
                remaining=p.remaining,
                description=f"{experiment.stem} ({p.skipped} stored before)"
                if p.skipped
                else experiment.stem,
            )

        try:
            return run_experiment(
                experiment,
                executor=executor.value,
                db=url,
                workers=workers,
                scheduler=scheduler,
                batch_size=batch_size,
                progress=show,
                settings=settings,
                steps=steps,
            )
        except KeyboardInterrupt:
            bar.stop()
            fmt.print_error("interrupted: the runs finished so far are stored; run the same command to go on")
            raise typer.Exit(INTERRUPTED) from None
        except (ValueError, RuntimeError) as exc:
            bar.stop()
            fmt.print_error(str(exc))
            raise typer.Exit(BAD_INPUT if isinstance(exc, ValueError) else RUN_FAILED) from None


def _print_summary(summary: SweepSummary) -> None:
    out = fmt.stdout()
    rate = summary.finished / summary.wall_time * 3600 if summary.wall_time > 0 and summary.finished else 0.0
    out.print(
        f"experiment {summary.experiment}: {summary.finished} finished, {summary.failed} failed, "
        f"{summary.skipped} already stored, "
        + (f"{summary.elsewhere} being computed by another sweep, " if summary.elsewhere else "")
        + f"of {summary.planned} runs; "
        f"{_duration(summary.wall_time)} on {summary.executor}"
        + (f" ({rate:,.0f} runs/hour)" if rate else ""),
        markup=False,
        soft_wrap=True,
    )
    for failure in summary.failures[:10]:
        fmt.print_error(
            f"failed: {failure.scenario} replication {failure.replication} (run key {failure.run_key}): "
            f"{failure.error}"
        )
    if summary.failed > 10:
        fmt.print_error(
            f"... and {summary.failed - 10} more; see `ocsim runs --experiment {summary.experiment}`"
        )
    if summary.failed:
        fmt.print_error("failed runs are stored with their traceback; run the sweep again to retry them")
    out.print(f"database: {summary.database}", markup=False, soft_wrap=True)


def require_experiment(store: ResultsStore, name: str) -> dict:
    """The stored experiment record, or exit 2 naming the experiments there are."""
    record = load_experiment_record(store, name)
    if record is None:
        names = list(experiment_status(store)["experiment"])
        raise bad_input(
            f"no experiment named {name!r} in {store.display_url}; "
            f"experiments: {', '.join(names) or 'none'}{hint(name, names)}"
        )
    return record


# ----------------------------------------------------------------------------------------- runs
@app.command()
def runs(
    db: DbOption = None,
    experiment: Annotated[
        str | None, typer.Option(help="Show one experiment's runs and sweeps.", show_default=False)
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the listing as JSON on stdout (see the docs).")
    ] = False,
) -> None:
    """List experiments and the status of their runs."""
    store = open_store(db)
    with store:
        if experiment is None:
            _print_experiments(store, as_json)
        else:
            _print_experiment(store, experiment, as_json)


def _print_experiments(store: ResultsStore, as_json: bool = False) -> None:
    status = experiment_status(store)
    if as_json:
        fmt.print_json(
            {
                "database": store.display_url,
                "experiments": [
                    {
                        "experiment": row.experiment,
                        "planned": int(row.planned),
                        "finished": int(row.finished),
                        "failed": int(row.failed),
                        "pending": int(row.pending),
                        "created_at": row.created_at,
                        "updated_at": row.updated_at,
                        "last_sweep": row.last_sweep,
                    }
                    for row in status.itertuples()
                ],
            }
        )
        return
    out = fmt.stdout()
    if status.empty:
        out.print(f"no experiments in {store.display_url}", markup=False, soft_wrap=True)
        return
    # The name is what --experiment needs: kept on one line, folded only when it cannot fit at all.
    columns: list = [("experiment", {"no_wrap": True})]
    columns += [(c, {"justify": "right"}) for c in ("planned", "finished", "failed", "pending")]
    columns += ["updated", "last sweep"]
    table = fmt.table(f"experiments in {store.display_url}", columns)
    for row in status.itertuples():
        table.add_row(
            row.experiment,
            str(row.planned),
            str(row.finished),
            str(row.failed),
            str(row.pending),
            f"{row.updated_at:%Y-%m-%d %H:%M}",
            row.last_sweep,
        )
    out.print(table)


def _print_experiment(store: ResultsStore, name: str, as_json: bool = False) -> None:
    require_experiment(store, name)
    plan = store.experiment_plan(name)
    assert plan is not None
    distinct = plan.drop_duplicates("run_key")
    counts = distinct.groupby(["scenario", "status"]).size().unstack(fill_value=0)
    failed = store.load_runs(experiment=name, status="failed")
    sweeps = load_sweeps(store, name)
    if as_json:
        fmt.print_json(
            {
                "database": store.display_url,
                "experiment": name,
                "distinct_runs": len(distinct),
                "by_scenario": {
                    str(scenario): {str(k): int(v) for k, v in row.items()}
                    for scenario, row in counts.iterrows()
                },
                "failures": [
                    {
                        "run_id": int(r.run_id),
                        "scenario": r.scenario_name,
                        "replication": r.replication,
                        "error": r.error,
                    }
                    for r in failed.itertuples()
                ],
                "sweeps": [
                    {
                        "started_at": r.started_at,
                        "status": r.status,
                        "finished": r.runs_finished,
                        "failed": r.runs_failed,
                        "wall_time": r.wall_time,
                        "executor": r.executor,
                        "host": r.host,
                        "git_commit": r.git_commit,
                    }
                    for r in sweeps.itertuples()
                ],
            }
        )
        return
    out = fmt.stdout()
    columns = ["scenario", *((str(status), {"justify": "right"}) for status in counts.columns)]
    table = fmt.table(f"{name}: runs by scenario and status ({len(distinct)} distinct runs)", columns)
    for scenario, row in counts.iterrows():
        table.add_row(str(scenario), *(str(int(v)) for v in row))
    out.print(table)
    for row in failed.head(10).itertuples():
        fmt.print_error(f"run {row.run_id} ({row.scenario_name}, replication {row.replication}): {row.error}")
    if not sweeps.empty:
        columns = ["started", "status", "finished", "failed", "wall", "executor", "host", "commit"]
        table = fmt.table("sweeps (invocations)", columns)
        for row in sweeps.itertuples():
            table.add_row(
                f"{row.started_at:%Y-%m-%d %H:%M}",
                row.status,
                str(row.runs_finished),
                str(row.runs_failed),
                _duration(row.wall_time or 0.0),
                row.executor,
                row.host or "",
                (row.git_commit or "")[:12],
            )
        out.print(table)


# --------------------------------------------------------------------------------------- export
@app.command()
def export(
    experiment: Annotated[str, typer.Option(help="Experiment name.", show_default=False)],
    out: Annotated[Path, typer.Option(help="Folder to write into (created).", show_default=False)],
    db: DbOption = None,
    format: Annotated[ExportFormat, typer.Option("--format", help="File format.")] = ExportFormat.csv,
) -> None:
    """Write an experiment's tidy metrics, events, runs and specification to files."""
    store = open_store(db)
    with store:
        record = require_experiment(store, experiment)
        metrics = store.load_metrics(experiment=experiment, initial=True)  # step 0: the initial state
        plan = store.experiment_plan(experiment)
        events = _labelled_events(store.load_events(experiment=experiment), plan)
        run_table = store.load_runs(experiment=experiment).drop(columns=["config"])
        sweeps = load_sweeps(store, experiment)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise bad_input(f"--out {out}: cannot create the folder: {exc.strerror}") from None
    meta = {
        "experiment": experiment,
        "source": record["source"],
        "spec": record["spec"],
        "design": record["design"],
        "created_at": str(record["created_at"]),
        "sweeps": json.loads(sweeps.to_json(orient="records", date_format="iso")),
    }
    written = [
        _write_frame(metrics, out / f"metrics.{format.value}", format),
        _write_frame(events, out / f"events.{format.value}", format),
        _write_frame(plan, out / f"plan.{format.value}", format),
        _write_frame(run_table, out / f"runs.{format.value}", format),
        _write_text(json.dumps(meta, indent=2, default=str), out / "experiment.json"),
    ]
    for path in written:
        fmt.stdout().print(f"wrote {path}", markup=False, soft_wrap=True)
    if metrics.empty:
        fmt.print_error(f"experiment {experiment!r} has no finished runs yet; metrics file is empty")


def _labelled_events(events, plan):
    """Events with the experiment's labels of their run (scenario, point, replication) after run_id,
    as the metrics file has them; ``cells`` (flat indices x * height + y) become JSON lists."""
    import pandas as pd

    labels = plan.dropna(subset=["run_id"])[["run_id", "scenario", "point", "replication"]]
    labels = labels.astype({"run_id": "int64"})
    if events.empty:
        return pd.DataFrame(columns=[*labels.columns, *events.columns[1:]])
    return labels.merge(events, on="run_id", how="inner")  # the plan's order, each run's in time order


def _write_frame(frame, path: Path, format: ExportFormat) -> Path:
    """Write beside the target and rename, so a crash never leaves half a file under the real name."""
    partial = path.with_name(path.name + ".partial")
    frame = frame.copy()
    for column in frame.columns:
        if frame[column].dtype == object:
            frame[column] = frame[column].map(
                lambda v: json.dumps(v) if isinstance(v, dict | list | tuple) else v
            )
    if format is ExportFormat.parquet:
        frame.to_parquet(partial, index=False)
    else:
        frame.to_csv(partial, index=False)
    os.replace(partial, path)
    return path


def _write_text(text: str, path: Path) -> Path:
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)
    return path
