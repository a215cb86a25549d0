"""Shared fixtures: small worlds that run in milliseconds."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from simulation.core.model import CriminalMarketModel
from simulation.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]

SMALL_WORLD = {
    "world.grid.width": 24,
    "world.grid.height": 24,
    "world.ocgs.count": 4,
    "world.ocgs.members": 20,
    "world.geography.urban_centres": 3,
}


def small_model(seed: int = 1, **overrides) -> CriminalMarketModel:
    """A 24x24 world with four groups; keyword overrides use '__' for dots."""
    settings = dict(SMALL_WORLD)
    settings.update({key.replace("__", "."): value for key, value in overrides.items()})
    return CriminalMarketModel(load_scenario(None, settings), seed=seed)


@pytest.fixture
def model() -> CriminalMarketModel:
    return small_model()


# ---------------------------------------------------------------------------------- PostgreSQL
def _as_postgres_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@pytest.fixture(scope="session")
def postgres_url():
    """$OCSIM_TEST_POSTGRES_URL, else a throwaway local server on a private socket."""
    if url := os.environ.get("OCSIM_TEST_POSTGRES_URL"):
        yield url
        return
    pytest.importorskip("psycopg")
    if not (shutil.which("initdb") and shutil.which("pg_ctl")):
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) not found")
    if os.geteuid() == 0 and not shutil.which("runuser"):
        pytest.skip("running as root without runuser to start PostgreSQL as another user")
    folder = Path(tempfile.mkdtemp(prefix="ocsim-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, user="postgres")
    data = folder / "data"
    start = ["pg_ctl", "-D", str(data), "-w", "-l", str(folder / "log")]
    options = f"-k {folder} -c listen_addresses='' -c fsync=off"
    try:
        init = ["initdb", "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync"]
        subprocess.run(_as_postgres_user(init), check=True, capture_output=True)
        subprocess.run(_as_postgres_user([*start, "-o", options, "start"]), check=True, capture_output=True)
    except (subprocess.CalledProcessError, OSError) as exc:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.skip(f"could not start a throwaway PostgreSQL: {exc}")
    yield f"postgresql+psycopg://postgres@/postgres?host={folder}"
    subprocess.run(_as_postgres_user([*start, "-m", "immediate", "stop"]), capture_output=True)
    shutil.rmtree(folder, ignore_errors=True)
