"""Start the dashboard's Solara server (on 127.0.0.1 unless told otherwise), for ``ocsim dashboard``
and for the tests.

The server runs in its own process (``python -m solara run simulation.dashboard.app``), with the
scenario folder, first scenario and seed passed in environment variables, and Solara pointed at
the front-end files cached on disk (``SOLARA_ASSETS_PROXY_CACHE_DIR``, see ``assets``) so that the
page needs no internet. Solara's usage telemetry is switched off: a training room's dashboard
has no business calling out.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from simulation.dashboard.session import scenario_files

HOST = "127.0.0.1"
"""The default address: only this machine can open the page."""
DEFAULT_PORT = 8765
SCENARIOS_ENV = "OCSIM_DASHBOARD_SCENARIOS"
"""Folder of scenario files offered in the scenario menu."""
FIRST_ENV = "OCSIM_DASHBOARD_SCENARIO"
"""Name (in that folder) or path of the scenario loaded first."""
SEED_ENV = "OCSIM_DASHBOARD_SEED"
ASSETS_ENV = "SOLARA_ASSETS_PROXY_CACHE_DIR"
"""Where Solara's CDN proxy looks for the page's JavaScript before it tries the internet."""
PREFERRED_FIRST = "balloon_effect"


def default_folder() -> Path:
    """``scenarios/`` of the working directory if there is one, else the repository's."""
    here = Path.cwd() / "scenarios"
    return here if here.is_dir() else Path(__file__).resolve().parents[2] / "scenarios"


def settings_from_environment() -> tuple[Path, str, int]:
    """(scenario folder, first scenario, seed) as ``ocsim dashboard`` set them."""
    folder = Path(os.environ.get(SCENARIOS_ENV) or default_folder())
    available = scenario_files(folder)
    first = os.environ.get(FIRST_ENV) or (
        PREFERRED_FIRST if PREFERRED_FIRST in available else next(iter(available), "")
    )
    return folder, first, int(os.environ.get(SEED_ENV) or 1)


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine only (so the page is not exposed to a network)."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def environment(folder: Path, scenario: str | None, seed: int) -> dict[str, str]:
    from simulation.dashboard.assets import cache_dir

    env = dict(os.environ)
    env[ASSETS_ENV] = str(cache_dir())
    env[SCENARIOS_ENV] = str(Path(folder).resolve())
    if scenario:
        path = Path(scenario)
        env[FIRST_ENV] = str(path.resolve()) if path.suffix in (".yaml", ".yml") else scenario
    else:
        env.pop(FIRST_ENV, None)
    env[SEED_ENV] = str(int(seed))
    env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    env["SOLARA_THEME_SHOW_BANNER"] = "False"  # a fixed badge in the corner would cover the page
    env["SOLARA_THEME_TITLE"] = "ocsim dashboard"
    # Solara warns at every page load that samesite=none cookies need https; on 127.0.0.1 it
    # falls back to samesite=lax, which is what a local page wants
    quiet = "ignore:Cookies with samesite=none require https:UserWarning"
    env["PYTHONWARNINGS"] = ",".join(w for w in (env.get("PYTHONWARNINGS"), quiet) if w)
    return env


def command(port: int, open_browser: bool = False, host: str = HOST) -> list[str]:
    return [
        sys.executable,
        "-m",
        "solara",
        "run",
        "simulation.dashboard.app",
        "--host",
        host,
        "--port",
        str(int(port)),
        "--production",
        "--open" if open_browser else "--no-open",
        "--log-level",
        "warning",
    ]


def start(
    folder: Path,
    scenario: str | None = None,
    seed: int = 1,
    port: int = DEFAULT_PORT,
    open_browser: bool = False,
    host: str = HOST,
    **popen,
) -> subprocess.Popen:
    """The server process (not yet necessarily answering; see ``wait_until_up``)."""
    return subprocess.Popen(
        command(port, open_browser, host), env=environment(folder, scenario, seed), **popen
    )


def url(port: int, host: str = HOST) -> str:
    """The page's address; a server on every interface (0.0.0.0, ::) is reached on loopback here."""
    if host in ("0.0.0.0", "::", ""):
        host = HOST
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{int(port)}/"


def wait_until_up(process: subprocess.Popen, port: int, timeout: float = 60.0, host: str = HOST) -> None:
    """Return once the page answers; raise if the process ends or the time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the dashboard server exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(url(port, host), timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    raise TimeoutError(f"the dashboard did not answer at {url(port, host)} within {timeout:.0f} s")


def stop(process: subprocess.Popen, timeout: float = 10.0) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)
