"""Where runs execute, behind one ``concurrent.futures.Executor`` interface.

- ``serial``: in this process, one batch at a time (debugging, profiling).
- ``local``: a process pool on this machine (default; all cores unless ``workers`` says).
- ``dask``: Dask distributed: a LocalCluster bound to 127.0.0.1, or an existing cluster when a
  scheduler address is given. Dask's ``Client.get_executor()`` is a standard Executor, so the
  sweep loop is the same for all three.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

ExecutorKind = Literal["serial", "local", "dask"]
EXECUTOR_KINDS: tuple[str, ...] = ("serial", "local", "dask")


class SerialExecutor(Executor):
    """Runs each submitted call at once in this process and returns a finished future."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:  # handed to the caller through the future, as a pool would
            future.set_exception(exc)
        return future


@dataclass
class OpenExecutor:
    """An executor and how many batches it can work on at once."""

    executor: Executor
    slots: int
    description: str


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


@contextmanager
def open_executor(
    kind: ExecutorKind = "local", workers: int | None = None, scheduler: str | None = None
) -> Iterator[OpenExecutor]:
    """Start the executor and shut it down (and any cluster it started) on the way out."""
    if scheduler is not None and kind != "dask":
        raise ValueError("--scheduler joins a Dask cluster; use it with --executor dask")
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    if kind == "serial":
        yield OpenExecutor(SerialExecutor(), 1, "serial")
    elif kind == "local":
        n = workers or default_workers()
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["simulation.experiments.worker", "simulation.runner"])
        with ProcessPoolExecutor(max_workers=n, mp_context=context) as pool:
            yield OpenExecutor(pool, n, f"local process pool, {n} worker(s)")
    elif kind == "dask":
        with _dask(workers, scheduler) as opened:
            yield opened
    else:
        raise ValueError(f"unknown executor {kind!r}; allowed: {', '.join(EXECUTOR_KINDS)}")


@contextmanager
def dask_client(workers: int | None, scheduler: str | None) -> Iterator[tuple[Any, int, str]]:
    """A Dask client, its number of worker threads and a description: joined to ``scheduler``, or
    on a LocalCluster bound to 127.0.0.1 that it starts here and shuts down on the way out."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ValueError("the dask executor needs Dask: pip install 'ocsim[dask]'") from None
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError) as exc:
            raise ValueError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
        with client:
            yield client, max(1, sum(client.nthreads().values())), f"cluster at {scheduler}"
        return
    n = workers or default_workers()
    cluster = LocalCluster(
        n_workers=n,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",
        silence_logs=40,  # logging.ERROR: keep the progress bar readable
    )
    with cluster, Client(cluster) as client:
        yield client, n, f"LocalCluster on 127.0.0.1, {n} worker(s)"


@contextmanager
def _dask(workers: int | None, scheduler: str | None) -> Iterator[OpenExecutor]:
    with dask_client(workers, scheduler) as (client, slots, where):
        yield OpenExecutor(client.get_executor(pure=False), slots, f"dask {where}")
