"""Run a calibration with pyabc's ABC-SMC, one generation at a time, resumable after a crash.

- **Sampler**: ``workers == 1`` (or ``executor="serial"``): pyabc's single-core sampler;
  ``local``: its multicore evaluation-parallel sampler; ``dask``: its Dask sampler on a
  LocalCluster bound to 127.0.0.1 or on the cluster at ``scheduler``.
- **Generations**: generation 0 accepts every particle drawn from the prior (so no extra
  calibration sample is simulated); each later generation's epsilon is the weighted median of
  the previous generation's distances (pyabc's ``MedianEpsilon``).
- **Randomness**: numpy's global generator, which pyabc and scipy draw from, is seeded at the
  start of every generation from the root seed and the generation's number; each simulation's
  seed is spawned from the root seed and the particle's values. With the single-core sampler a
  calibration is therefore identical run after run, and a resumed calibration identical to an
  uninterrupted one. pyabc's parallel samplers reseed their workers from the operating system
  and accept whichever particles finish first, so with several workers the particles differ
  from run to run (each simulation still replays exactly from its values).
- **Resuming**: pyabc writes each finished generation to its History database (SQLite, next to
  the results database); the same command loads it and continues after the last finished
  generation. The results database's ``ensembles`` row links to it (``history_url``,
  ``history_id``) and holds the posterior of the last finished generation.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from multiprocessing import ProcessError
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.engine import make_url

from simulation.calibration.loader import Calibration, load_calibration
from simulation.calibration.priors import build_prior, build_transition, internal_names
from simulation.calibration.simulate import SimulationsFailing, Simulator
from simulation.calibration.statistics import Distance, compile_targets, observed_statistics
from simulation.scenario import config_hash, resolved_config
from simulation.storage import ResultsStore
from simulation.storage.ensembles import delete_ensemble, ensemble_record, save_ensemble

ACCEPT_ALL = 1e300
"""Epsilon of generation 0: every prior draw is accepted unless its run failed (distance inf)."""
GENERATION_STREAM = 2**64
"""Spawn-key head of the generations' numpy seeds; particle seeds use keys below 2**64."""
METHOD = "abc-smc (pyabc)"
STOP_RULES = ("generations", "min_epsilon", "min_acceptance_rate", "max_simulations", "description")
"""Fields that only say when to stop: changing them continues a calibration instead of restarting it."""


@dataclass
class GenerationReport:
    """Progress after a finished generation."""

    generation: int  # 0-based
    generations: int | None  # planned, when a number of generations is the stop rule
    epsilon: float
    acceptance_rate: float
    simulations: int  # this generation
    total_simulations: int
    elapsed: float  # seconds in this invocation
    eta: float | None  # seconds, from the mean time of this invocation's generations
    resumed_from: int  # generations already in the history when this invocation began


@dataclass
class CalibrationSummary:
    name: str
    generations: int
    particles: int
    final_epsilon: float
    simulations: int
    wall_time: float
    resumed_from: int
    history_url: str
    database: str
    sampler: str
    reason: str
    failures: int


ProgressCallback = Callable[[GenerationReport], None]


# ---------------------------------------------------------------------------------- identity
def spec_hash(calibration: Calibration) -> str:
    """What determines the particles: the spec (not its stop rules), the resolved scenario and the
    observed data."""
    content = {
        "spec": calibration.spec.model_dump(mode="json", exclude=set(STOP_RULES)),
        "scenario": config_hash(resolved_config(calibration.scenario)),
        "steps": calibration.steps,
        "observed": {str(i): s.frame.to_dict(orient="list") for i, s in calibration.observed.items()},
    }
    text = json.dumps(content, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def history_path(results_url: str, name: str) -> Path:
    """pyabc's History database: beside a SQLite results file, else under results/."""
    parsed = make_url(results_url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        results = Path(parsed.database)
        return results.with_name(f"{results.stem}.calibration-{name}.db")
    return Path("results").resolve() / f"ocsim.calibration-{name}.db"


def generation_seed(root_seed: int, generation: int) -> int:
    sequence = np.random.SeedSequence(int(root_seed), spawn_key=(GENERATION_STREAM, int(generation)))
    return int(sequence.generate_state(1, dtype=np.uint32)[0])


# ------------------------------------------------------------------------------------ pyabc
def _quiet_pyabc() -> None:
    for name in ("ABC", "Epsilon", "Distance", "Acceptor", "Sampler", "Transitions", "History", "pyabc"):
        logging.getLogger(name).setLevel(logging.WARNING)
        logging.getLogger(f"ABC.{name}").setLevel(logging.WARNING)


def _epsilon():
    import pyabc

    class PriorFirstMedianEpsilon(pyabc.MedianEpsilon):
        """Generation 0 accepts all prior draws; later ones take the previous weighted median."""

        def initialize(self, t, get_weighted_distances, get_all_records, max_nr_populations, acceptor_config):
            if t == 0:
                self._look_up = {0: ACCEPT_ALL}
                return
            super().initialize(
                t, get_weighted_distances, get_all_records, max_nr_populations, acceptor_config
            )

    return PriorFirstMedianEpsilon()


@contextmanager
def open_sampler(executor: str, workers: int | None, scheduler: str | None) -> Iterator[tuple[Any, str]]:
    """A pyabc sampler and its description; a Dask LocalCluster is shut down on the way out."""
    from pyabc.sampler import MulticoreEvalParallelSampler, SingleCoreSampler

    from simulation.experiments.executors import default_workers

    if scheduler is not None and executor != "dask":
        raise ValueError("--scheduler joins a Dask cluster; use it with --executor dask")
    if executor == "serial" or (executor == "local" and workers == 1):
        sampler = SingleCoreSampler()
        sampler.show_progress = False
        yield sampler, "pyabc single-core sampler (reproducible)"
        return
    if executor == "local":
        n = workers or default_workers()
        yield MulticoreEvalParallelSampler(n_procs=n), f"pyabc multicore sampler, {n} worker(s)"
        return
    if executor != "dask":
        raise ValueError(f"unknown executor {executor!r}; allowed: local, dask, serial")
    from pyabc.sampler import DaskDistributedSampler

    from simulation.experiments.executors import dask_client

    with dask_client(workers, scheduler) as (client, _, where):
        yield DaskDistributedSampler(dask_client=client, batch_size=1), f"pyabc Dask sampler, {where}"


def _parameters_header(calibration: Calibration) -> list[dict[str, Any]]:
    return [
        {"path": p.path, "prior": p.prior.model_dump(exclude_none=True), "integer": p.integer}
        for p in calibration.parameters
    ]


def _posterior(history, names: dict[str, str], integer: dict[str, bool]) -> pd.DataFrame:
    """The last generation's particles: dotted-path columns, weight, distance."""
    population = history.get_population(t=history.max_t)
    records = [
        {**{names[k]: float(v) for k, v in p.parameter.items()}, "weight": p.weight, "distance": p.distance}
        for p in population.particles
    ]
    frame = pd.DataFrame.from_records(records, columns=[*names.values(), "weight", "distance"])
    for path in names.values():
        if integer[path]:
            frame[path] = frame[path].round().astype("int64")
    frame["weight"] = frame["weight"] / frame["weight"].sum()
    return frame


def _populations(history) -> pd.DataFrame:
    frame = history.get_all_populations()
    return frame[frame["t"] >= 0].reset_index(drop=True)


# ------------------------------------------------------------------------------------ running
def run_calibration(
    calibration: Calibration | str | Path,
    *,
    db: str | None = None,
    executor: str = "local",
    workers: int | None = None,
    scheduler: str | None = None,
    history: str | Path | None = None,
    fresh: bool = False,
    progress: ProgressCallback | None = None,
) -> CalibrationSummary:
    """Calibrate, or go on with a calibration stopped before its end; store the posterior."""
    import pyabc

    if not isinstance(calibration, Calibration):
        calibration = load_calibration(calibration)
    spec = calibration.spec
    name = spec.name
    digest = spec_hash(calibration)
    targets = compile_targets(calibration)
    names = internal_names(calibration.parameters)
    integer = {p.path: p.integer for p in calibration.parameters}
    raw = json.loads(json.dumps(calibration.scenario_raw))
    raw.setdefault("output", {})["snapshot_every"] = 0  # calibration runs keep no maps
    simulator = Simulator(raw, calibration.source, calibration.steps, spec.seed, names, integer, targets)
    header = {
        "method": METHOD,
        "source": calibration.source,
        "scenario": calibration.scenario.name,
        "spec": {
            **spec.model_dump(mode="json"),
            "steps": calibration.steps,
            "set": _set_of(calibration),
            # what a posterior predictive check needs to run the calibration's simulations again
            # without the files: the scenario as simulated and the compiled targets
            "scenario_config": raw,
            "compiled_targets": [asdict(t) for t in targets],
        },
        "spec_hash": digest,
        "parameters": _parameters_header(calibration),
        "seed": spec.seed,
    }
    with ResultsStore(db) as store:
        path = Path(history) if history is not None else history_path(store.url, name)
        history_url = f"sqlite:///{path.resolve()}"
        record = ensemble_record(store, name)
        if record is not None and record["spec_hash"] != digest and not fresh:
            raise ValueError(
                f"ensemble {name!r} in {store.display_url} was calibrated from a different specification "
                "(file, --set, --steps, scenario or observed data changed); rename the calibration, or "
                "add --fresh to start again and replace it"
            )
        if record is None and path.is_file() and not fresh:
            raise ValueError(
                f"{path} holds a calibration history but {store.display_url} has no ensemble {name!r}; "
                "give the --db it belongs to, or add --fresh to start again (the history is replaced)"
            )
        resume = not fresh and record is not None and path.is_file() and record.get("history_id") is not None
        if not resume:
            if path.exists():
                path.unlink()
            if record is not None:
                delete_ensemble(store, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        _quiet_pyabc()
        started = time.perf_counter()
        with open_sampler(executor, workers, scheduler) as (sampler, description):

            def make_abc() -> pyabc.ABCSMC:
                return pyabc.ABCSMC(
                    simulator,
                    build_prior(calibration.parameters),
                    Distance.of(targets),
                    population_size=spec.population,
                    transitions=build_transition(calibration.parameters),
                    eps=_epsilon(),
                    sampler=sampler,
                )

            abc = make_abc()
            if resume:
                history_id = int(record["history_id"])  # type: ignore[index]
                abc.load(history_url, history_id)
            else:
                abc.new(
                    history_url,
                    observed_statistics(targets),
                    meta_info={"ocsim_calibration": name, "spec_hash": digest},
                )
                history_id = int(abc.history.id)
                save_ensemble(
                    store,
                    name,
                    header={
                        **header,
                        "status": "running",
                        "generations": 0,
                        "particles": 0,
                        "final_epsilon": None,
                        "simulations": 0,
                        "history_url": history_url,
                        "history_id": history_id,
                    },
                )
            resumed_from = int(abc.history.max_t) + 1

            def next_generation() -> Any:
                """A fresh ABCSMC loaded from the history, as a resumed calibration would be."""
                generation = make_abc()
                generation.load(history_url, history_id)
                return generation

            reason = _loop(
                abc,
                next_generation,
                spec,
                name,
                store,
                header,
                names,
                integer,
                started,
                resumed_from,
                progress,
            )
        populations = _populations(abc.history)
        last = populations.iloc[-1] if len(populations) else None
        return CalibrationSummary(
            name=name,
            generations=len(populations),
            particles=int(last["particles"]) if last is not None else 0,
            final_epsilon=float(last["epsilon"]) if last is not None else float("nan"),
            simulations=int(populations["samples"].sum()) if len(populations) else 0,
            wall_time=time.perf_counter() - started,
            resumed_from=resumed_from,
            history_url=history_url,
            database=store.display_url,
            sampler=description,
            reason=reason,
            failures=simulator.failures,
        )


def _set_of(calibration: Calibration) -> dict[str, Any]:
    """The fixed settings: the file's ``set`` with ``--set`` on top."""
    return dict(calibration.settings)


def _stop_reason(spec, populations: pd.DataFrame) -> str | None:
    done = len(populations)
    if spec.generations is not None and done >= spec.generations:
        return f"{spec.generations} generations"
    if not done:
        return None
    last = populations.iloc[-1]
    if spec.min_epsilon is not None and done > 1 and float(last["epsilon"]) <= spec.min_epsilon:
        return f"epsilon {float(last['epsilon']):.4g} reached min_epsilon {spec.min_epsilon:g}"
    total = int(populations["samples"].sum())
    if spec.max_simulations is not None and total >= spec.max_simulations:
        return f"{total} simulations reached max_simulations {spec.max_simulations}"
    rate = float(last["particles"]) / max(1.0, float(last["samples"]))
    if done > 1 and rate < spec.min_acceptance_rate:
        return f"acceptance rate {rate:.3g} fell below min_acceptance_rate {spec.min_acceptance_rate:g}"
    return None


def _loop(
    abc, next_generation, spec, name, store, header, names, integer, started, resumed_from, progress
) -> str:
    durations: list[float] = []
    first = True
    while True:
        populations = _populations(abc.history)
        reason = _stop_reason(spec, populations)
        if reason is not None:
            _save(store, name, header, abc.history, names, integer, populations, "finished")
            return reason
        t = len(populations)
        if not first:  # pyabc caches the population it starts from: begin each generation afresh
            abc = next_generation()
        first = False
        np.random.seed(generation_seed(spec.seed, t))  # noqa: NPY002  (pyabc and scipy draw from it)
        began = time.perf_counter()
        try:
            abc.run(max_nr_populations=1)
        except (SimulationsFailing, ProcessError) as exc:
            _save(store, name, header, abc.history, names, integer, _populations(abc.history), "interrupted")
            raise RuntimeError(
                f"generation {t} stopped: {exc} (a worker that stops has its error printed above); "
                "finished generations are kept — try one simulation with `ocsim run` on the "
                "calibration's scenario to see why its runs fail"
            ) from exc
        durations.append(time.perf_counter() - began)
        populations = _populations(abc.history)
        if len(populations) <= t:
            _save(store, name, header, abc.history, names, integer, populations, "interrupted")
            raise RuntimeError(f"pyabc could not complete generation {t} (no population was stored)")
        _save(store, name, header, abc.history, names, integer, populations, "running")
        if progress is not None:
            last = populations.iloc[-1]
            remaining = None if spec.generations is None else spec.generations - len(populations)
            progress(
                GenerationReport(
                    generation=t,
                    generations=spec.generations,
                    epsilon=float(last["epsilon"]),
                    acceptance_rate=float(last["particles"]) / max(1.0, float(last["samples"])),
                    simulations=int(last["samples"]),
                    total_simulations=int(populations["samples"].sum()),
                    elapsed=time.perf_counter() - started,
                    eta=None if remaining is None else remaining * float(np.mean(durations)),
                    resumed_from=resumed_from,
                )
            )


def _save(store, name, header, history, names, integer, populations, status) -> None:
    particles = _posterior(history, names, integer) if len(populations) else None
    last = populations.iloc[-1] if len(populations) else None
    save_ensemble(
        store,
        name,
        header={
            **header,
            "status": status,
            "generations": len(populations),
            "particles": 0 if particles is None else len(particles),
            "final_epsilon": None if last is None or int(last["t"]) == 0 else float(last["epsilon"]),
            "simulations": int(populations["samples"].sum()) if len(populations) else 0,
        },
        particles=particles,
    )
