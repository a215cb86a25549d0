"""Saving and sharing a session: the session scenario as YAML, the charts' data as CSV, a PNG.

The YAML is the session scenario itself — the scenario file with every change the trainer made
written in as lever windows, enforcement style and budget — so ``ocsim run FILE --seed S``
replays the live run exactly, and ``ocsim dashboard FILE`` (or the page's Load) opens it again.
The seed, the change log and the lever windows travel in comment lines at the top; the seed line
(``# seed: S``) is read back when the file is opened in the dashboard.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import numpy as np
import yaml

from simulation.dashboard import figures
from simulation.dashboard.bands import Band
from simulation.dashboard.session import COMPARISONS, UNITS, TrainingSession
from simulation.inputs import InputError, parse_yaml
from simulation.scenario import Scenario, ScenarioError
from simulation.scenario.loader import validate_scenario

SEED_LINE = re.compile(r"^#\s*seed:\s*(\d+)\s*$")
MAX_LOAD_BYTES = 256_000
"""Largest file the page's Load accepts (as ``ocsim`` reads scenario files)."""


class _Dumper(yaml.SafeDumper):
    """Block style for long or multi-line text (descriptions), flow style for small mappings."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value.rstrip("\n") or len(value) > 90:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _text)


def _comment(text: str, indent: int = 0) -> str:
    return "# " + " " * indent + " ".join(str(text).split())


def file_name(session: TrainingSession, suffix: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", session.scenario_name()).strip("_") or "session"
    return f"{stem}-seed{session.seed}-month{session.month}.{suffix}"


def session_yaml(session: TrainingSession) -> str:
    """The session scenario as a scenario file, with the seed and the story in comments."""
    scenario = session.spec
    raw = scenario.model_dump(mode="json", exclude_defaults=True)
    raw = {"name": scenario.name, "description": scenario.description, "steps": scenario.steps, **raw}
    name = file_name(session, "yaml")
    lines = [
        _comment(
            f"ocsim dashboard session: {session.scenario_name()}, seed {session.seed}, saved at month "
            f"{session.month} of {session.last_month}."
        ),
        "# The trainer's changes are written into strategy: below (a change at month m is a lever",
        "# window starting or ending at m), so this file replays the session's live run exactly:",
        f"#   ocsim run {name} --seed {session.seed}",
        f"#   ocsim dashboard {name}        (opens it with the seed below)",
        _comment(f"ghost line in the dashboard: {COMPARISONS[session.compare]}"),
        "# changes made:" if session.changes else "# changes made: none",
        *(_comment(f"month {c.month}: {c.text}", 2) for c in session.changes),
        "# lever windows of the live run:" if session.windows() else "# lever windows: none",
        *(
            _comment(f"{w.text}{' (changed in the dashboard)' if w.changed else ''}", 2)
            for w in session.windows()
        ),
        f"# seed: {session.seed}",
    ]
    body = yaml.dump(
        raw, Dumper=_Dumper, sort_keys=False, default_flow_style=None, allow_unicode=True, width=100
    )
    return "\n".join(lines) + "\n" + body


def read_session(text: str, source: str = "uploaded file") -> tuple[Scenario, int | None]:
    """A scenario from YAML text (an exported session or any scenario file) and the seed its
    comment names (None if it names none). Bad input raises ``ScenarioError``."""
    if len(text.encode("utf-8")) > MAX_LOAD_BYTES:
        raise ScenarioError(source, [f"more than {MAX_LOAD_BYTES:,} bytes; scenario files are smaller"])
    try:
        raw = parse_yaml(text)
    except InputError as exc:
        raise ScenarioError(source, [exc.problem]) from None
    scenario = validate_scenario(raw, source)
    seed = None
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        if match := SEED_LINE.match(line):
            seed = int(match.group(1))
    return scenario, seed


def read_session_file(path: str | Path) -> tuple[Scenario, int | None]:
    from simulation.inputs import read_text_file

    try:
        text = read_text_file(path, MAX_LOAD_BYTES)
    except InputError as exc:
        raise ScenarioError(str(path), [exc.problem]) from None
    return read_session(text, str(path))


def charts_csv(session: TrainingSession, indicators: list[str], band: Band | None = None) -> str:
    """The charts' data, one row per indicator and month: live, ghost, gap (and the band's
    percentiles when it is in). Full precision, so the numbers can be checked."""
    ready = band is not None and band.ready
    header = ["indicator", "unit", "month", "live", "ghost", "gap"]
    if ready:
        header += ["live_p10", "live_p90", "ghost_p10", "ghost_p90"]
    out = [",".join(header)]
    for name in indicators:
        months, live, ghost = session.series(name)
        bounds = band.quantiles(name, session.month) if ready else {}
        for i, month in enumerate(months):
            row = [name, UNITS.get(name, ""), str(int(month)), repr(float(live[i])), repr(float(ghost[i]))]
            row.append(repr(float(live[i] - ghost[i])))
            if ready:
                for run in ("live", "ghost"):
                    low, high = bounds.get(run, (np.full(len(months), np.nan),) * 2)
                    row += [repr(float(low[i])), repr(float(high[i]))]
            out.append(",".join(row))
    return "\n".join(out) + "\n"


def picture_png(
    session: TrainingSession,
    layer: str,
    view: str,
    indicators: list[str],
    band: Band | None = None,
) -> bytes:
    """The map and the charts as one PNG, drawn with matplotlib from the data the page shows."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from simulation.dashboard.charts import GHOST_COLOUR, LIVE_COLOUR, WINDOW_COLOUR, month_ticks

    picture = figures.map_picture(session, layer, view)  # type: ignore[arg-type]
    columns = 2 if len(indicators) > 1 else 1
    rows = max(1, -(-len(indicators) // columns))
    figure = plt.figure(figsize=(6 + 4.2 * columns, max(6.0, 2.3 * rows + 0.8)), dpi=110)
    grid = figure.add_gridspec(rows, 1 + columns, width_ratios=[6 / 4.2] + [1] * columns)
    ax = figure.add_subplot(grid[:, 0])
    ax.imshow(picture.pixels, interpolation="nearest")
    ax.set_axis_off()
    ax.set_title(picture.title, fontsize=9, loc="left")
    bounds_ready = band is not None and band.ready
    for i, name in enumerate(indicators):
        chart = figure.add_subplot(grid[i // columns, 1 + i % columns])
        for window in session.windows():
            chart.axvspan(window.first - 0.5, window.last + 0.5, color=WINDOW_COLOUR, alpha=0.06, lw=0)
        months, live, ghost = session.series(name)
        if bounds_ready:
            for run, colour in (("ghost", GHOST_COLOUR), ("live", LIVE_COLOUR)):
                if run in (q := band.quantiles(name, session.month)):
                    low, high = q[run]
                    chart.fill_between(months, low, high, color=colour, alpha=0.2, lw=0)
        chart.plot(months, ghost, color=GHOST_COLOUR, ls=(0, (5, 3)), lw=1.4, label="ghost")
        chart.plot(months, live, color=LIVE_COLOUR, lw=1.6, label="live")
        for change in sorted({c.month for c in session.changes}):
            chart.axvline(change - 0.5, color="#2c3e50", ls=":", lw=1)
        unit = UNITS.get(name, "")
        chart.set_title(f"{name} ({unit})" if unit else name, fontsize=9)
        chart.set_xlim(0, session.last_month)
        chart.set_xticks(month_ticks(session.last_month))
        chart.tick_params(labelsize=7)
        chart.grid(alpha=0.3)
    if indicators:
        figure.axes[1].legend(fontsize=7, loc="best")
    note = (
        f"{session.scenario_name()} · seed {session.seed} · month {session.month} of {session.last_month} · "
        f"ghost: {session.compare.replace('_', ' ')}"
    )
    if bounds_ready:
        note += f" · {band.describe()}"
    figure.suptitle(note, fontsize=10, x=0.01, ha="left")
    figure.tight_layout(rect=(0, 0, 1, 0.96))
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return buffer.getvalue()
