"""The calibration section: a posterior ensemble against its priors (``ocsim report --ensemble``).

One self-contained HTML file (figures embedded as PNG, also saved beside it): the calibration's
settings, each parameter's prior and weighted posterior quantiles, the marginal densities of prior
and posterior, the posterior's pairs of parameters, epsilon and the acceptance rate by generation,
and each target against the statistics of the last generation's accepted runs (both from pyabc's
History).
"""

from __future__ import annotations

import base64
import html
import io
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from simulation.calibration.loader import Parameter, setting_bounds
from simulation.calibration.posterior import weighted_quantiles
from simulation.calibration.schema import PriorSpec
from simulation.storage import ResultsStore
from simulation.storage.ensembles import ensemble_record, posterior_frame

PRIOR_DRAWS = 4000

sns.set_theme(style="whitegrid", context="notebook")
PRIOR_COLOUR, POSTERIOR_COLOUR = "#9e9e9e", "#1f6fb4"


@dataclass
class CalibrationReport:
    path: Path
    figure_dir: Path
    figures: list[Path] = field(default_factory=list)


def _parameters(record: dict) -> list[Parameter]:
    parameters = []
    for item in record["parameters"]:
        bounds = setting_bounds(item["path"])
        assert bounds is not None, item["path"]
        parameters.append(Parameter(item["path"], PriorSpec.model_validate(item["prior"]), bounds))
    return parameters


def prior_sample(parameters: list[Parameter], n: int = PRIOR_DRAWS, seed: int = 0) -> pd.DataFrame:
    """Draws from the priors as the calibration used them (pyabc distributions)."""
    from simulation.calibration.priors import build_prior, internal_names

    prior = build_prior(parameters)
    names = internal_names(parameters)
    state = np.random.get_state()  # noqa: NPY002
    np.random.seed(seed)  # noqa: NPY002  (pyabc's priors draw from numpy's global generator)
    try:
        draws = [dict(prior.rvs()) for _ in range(n)]
    finally:
        np.random.set_state(state)  # noqa: NPY002
    return pd.DataFrame(draws).rename(columns=names)[list(names.values())]


def marginals(prior: pd.DataFrame, posterior: pd.DataFrame) -> Figure:
    names = list(prior.columns)
    columns = min(2, len(names))
    rows = math.ceil(len(names) / columns)
    figure, axes = plt.subplots(rows, columns, figsize=(6 * columns, 3.2 * rows), squeeze=False)
    for ax, name in zip(axes.flat, names, strict=False):
        span = (float(prior[name].min()), float(prior[name].max()))
        whole = pd.api.types.is_integer_dtype(prior[name])
        common = {"discrete": True} if whole else {"bins": 30, "binrange": span}
        common.update(stat="density", ax=ax)
        sns.histplot(x=prior[name], color=PRIOR_COLOUR, alpha=0.5, label="prior", **common)
        sns.histplot(
            x=posterior[name],
            weights=posterior["weight"],
            color=POSTERIOR_COLOUR,
            alpha=0.6,
            label="posterior",
            **common,
        )
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("")
        ax.legend(fontsize=8)
    for ax in list(axes.flat)[len(names) :]:
        ax.set_visible(False)
    figure.suptitle("Prior and posterior marginals (posterior weighted by importance weights)")
    figure.tight_layout()
    return figure


def pairs(posterior: pd.DataFrame) -> Figure | None:
    names = [c for c in posterior.columns if c != "weight"]
    if len(names) < 2:
        return None
    size = 2.6 * len(names)
    figure, axes = plt.subplots(len(names), len(names), figsize=(size, size), squeeze=False)
    weights = posterior["weight"].to_numpy()
    for i, y in enumerate(names):
        for j, x in enumerate(names):
            ax = axes[i][j]
            if i == j:
                ax.hist(posterior[x], weights=weights, bins=20, color=POSTERIOR_COLOUR)
            elif i > j:
                ax.scatter(
                    posterior[x], posterior[y], s=10 + 400 * weights, alpha=0.5, color=POSTERIOR_COLOUR
                )
            else:
                ax.set_visible(False)
            ax.set_xlabel(x.split(".")[-1] if i == len(names) - 1 else "", fontsize=8)
            ax.set_ylabel(y.split(".")[-1] if j == 0 and i != j else "", fontsize=8)
            ax.tick_params(labelsize=7)
    figure.suptitle("Posterior pairs (point size: weight)")
    figure.tight_layout()
    return figure


def generations(history_url: str | None, history_id: int | None) -> tuple[Figure | None, pd.DataFrame]:
    if not history_url or history_id is None:
        return None, pd.DataFrame()
    path = history_url.removeprefix("sqlite:///")
    if not Path(path).is_file():
        return None, pd.DataFrame()
    import pyabc

    frame = pyabc.History(history_url, _id=int(history_id)).get_all_populations()
    frame = frame[frame["t"] >= 1].copy()
    if frame.empty:
        return None, frame
    frame["acceptance_rate"] = frame["particles"] / frame["samples"]
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 3.2))
    left.plot(frame["t"] + 1, frame["epsilon"], marker="o", color=POSTERIOR_COLOUR)
    left.set_yscale("log")
    left.set_title("epsilon by generation")
    right.plot(frame["t"] + 1, frame["acceptance_rate"], marker="o", color=POSTERIOR_COLOUR)
    right.set_title("acceptance rate by generation")
    for ax in (left, right):
        ax.set_xlabel("generation")
    figure.tight_layout()
    return figure, frame


def target_check(history_url: str | None, history_id: int | None) -> Figure | None:
    """Each target's observed value against the weighted 5-95% range of the statistics of the last
    generation's accepted particles, read from pyabc's History (no new runs)."""
    if not history_url or history_id is None or not Path(history_url.removeprefix("sqlite:///")).is_file():
        return None
    import pyabc

    history = pyabc.History(history_url, _id=int(history_id))
    if history.max_t < 0:
        return None
    weights, stats = history.get_weighted_sum_stats_for_model(m=0, t=history.max_t)
    observed = history.observed_sum_stat()
    weights = np.asarray(weights, dtype=float)
    scalars = [k for k in observed if "@" not in k]
    series: dict[str, list[tuple[int, str]]] = {}
    for key in observed:
        if "@" in key:
            head, step = key.rsplit("@", 1)
            series.setdefault(head, []).append((int(step), key))
    panels = len(scalars) + len(series)
    if not panels or not stats:
        return None
    columns = min(3, panels)
    rows = math.ceil(panels / columns)
    figure, axes = plt.subplots(rows, columns, figsize=(4.2 * columns, 2.8 * rows), squeeze=False)
    flat = list(axes.flat)

    def band(key: str) -> tuple[float, float, float]:
        values = np.array([float(s[key]) for s in stats])
        keep = np.isfinite(values)
        if not keep.any():
            return (math.nan,) * 3  # type: ignore[return-value]
        low, mid, high = weighted_quantiles(values[keep], weights[keep], (0.05, 0.5, 0.95))
        return low, mid, high

    for ax, key in zip(flat, scalars, strict=False):
        low, mid, high = band(key)
        ax.errorbar(
            [mid], [0], xerr=[[mid - low], [high - mid]], fmt="o", color=POSTERIOR_COLOUR, label="accepted"
        )
        ax.axvline(float(observed[key]), color="black", linestyle="--", label="observed")
        ax.set_yticks([])
        ax.set_title(key.split(":", 1)[1].replace(":", " of "), fontsize=9)
    for ax, (head, keys) in zip(flat[len(scalars) :], series.items(), strict=False):
        keys.sort()
        steps = [s for s, _ in keys]
        bands = np.array([band(k) for _, k in keys])
        ax.fill_between(
            steps, bands[:, 0], bands[:, 2], color=POSTERIOR_COLOUR, alpha=0.3, label="accepted 5-95%"
        )
        ax.plot(steps, bands[:, 1], color=POSTERIOR_COLOUR)
        ax.plot(steps, [float(observed[k]) for _, k in keys], "k.", label="observed")
        ax.set_title(f"{head.split(':', 1)[1]} (observed series)", fontsize=9)
        ax.set_xlabel("month")
    flat[0].legend(fontsize=7)
    for ax in flat[panels:]:
        ax.set_visible(False)
    figure.suptitle("Targets: observed value and the accepted particles' statistics (weighted 5-95%)")
    figure.tight_layout()
    return figure


def _table(parameters: list[Parameter], posterior: pd.DataFrame) -> str:
    rows = []
    weights = posterior["weight"].to_numpy()
    for p in parameters:
        values = posterior[p.path].to_numpy(dtype=float)
        low, mid, high = weighted_quantiles(values, weights, (0.05, 0.5, 0.95))
        mean = float(np.average(values, weights=weights))
        rows.append(
            f"<tr><td><code>{html.escape(p.path)}</code></td><td>{html.escape(p.prior.describe())}</td>"
            f"<td>{mean:.4g}</td><td>{low:.4g}</td><td>{mid:.4g}</td><td>{high:.4g}</td></tr>"
        )
    head = "<tr><th>parameter</th><th>prior</th><th>mean</th><th>5%</th><th>median</th><th>95%</th></tr>"
    return f"<table>{head}{''.join(rows)}</table>"


def build_calibration_report(db: str | None, out: str | Path, name: str) -> CalibrationReport:
    out = Path(out)
    with ResultsStore(db) as store:
        record = ensemble_record(store, name)
        posterior = posterior_frame(store, name)
    if record is None or posterior is None:
        raise LookupError(f"no ensemble named {name!r}")
    if posterior.empty:
        raise LookupError(f"ensemble {name!r} has no finished generation yet")
    parameters = _parameters(record)
    report = CalibrationReport(out, out.with_name(f"{out.stem}_figures"))
    report.figure_dir.mkdir(parents=True, exist_ok=True)
    sections = []

    def embed(figure: Figure | None, stem: str, caption: str) -> None:
        if figure is None:
            return
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=110)
        plt.close(figure)
        png = buffer.getvalue()
        path = report.figure_dir / f"{stem}.png"
        path.write_bytes(png)
        report.figures.append(path)
        encoded = base64.b64encode(png).decode()
        sections.append(
            f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{encoded}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>"
        )

    spec = record["spec"]
    embed(
        marginals(prior_sample(parameters), posterior),
        "marginals",
        "Prior (grey) and posterior (blue) of each free parameter",
    )
    embed(pairs(posterior), "pairs", "Posterior particles, pair by pair")
    figure, _ = generations(record.get("history_url"), record.get("history_id"))
    embed(figure, "generations", "How ABC-SMC tightened the tolerance")
    embed(
        target_check(record.get("history_url"), record.get("history_id")),
        "targets",
        "Each target: observed (dashed or dots) and the last generation's accepted runs (5-95%, weighted)",
    )
    epsilon = record["final_epsilon"]
    summary = (
        f"<p>Ensemble <b>{html.escape(name)}</b> ({html.escape(record['status'])}): "
        f"{record['particles']} particles after {record['generations']} generation(s) and "
        f"{record['simulations']:,} simulations of scenario "
        f"<code>{html.escape(str(record['scenario']))}</code>, "
        f"{spec.get('steps')} months each; final epsilon {'—' if epsilon is None else f'{epsilon:.4g}'}; "
        f"root seed {record['seed']}; from <code>{html.escape(str(record['source']))}</code>.</p>"
    )
    targets = "".join(f"<li><code>{html.escape(str(t))}</code></li>" for t in spec.get("targets", []))
    page = (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>Calibration {html.escape(name)}</title><style>"
        "body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}"
        "td:first-child,td:nth-child(2),th{text-align:left}img{max-width:100%}</style></head><body>"
        f"<h1>Calibration: {html.escape(name)}</h1>{summary}"
        f"<h2>Posterior against prior</h2>{_table(parameters, posterior)}"
        f"<h2>Targets</h2><ul>{targets}</ul>"
        f"<h2>Figures</h2>{''.join(sections)}</body></html>"
    )
    partial = out.with_name(out.name + ".partial")
    partial.write_text(page, encoding="utf-8")
    os.replace(partial, out)
    return report
