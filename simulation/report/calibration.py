"""The calibration section: a posterior ensemble against its priors (``ocsim report --ensemble``).

One self-contained HTML file (figures embedded as PNG, also saved beside it): the calibration's
settings, each parameter's prior and weighted posterior quantiles, the marginal densities of prior
and posterior, the posterior's pairs of parameters, epsilon and the acceptance rate by generation
(from pyabc's History), and the posterior predictive check: each target's observed value (or
series) with its sd against the band of fresh runs drawn from the posterior
(``simulation.calibration.predictive``), beside the statistics of the last generation's accepted
runs (from the History), which ABC chose for being close to the data.
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
from simulation.calibration.predictive import PredictiveCheck, simulation_setup
from simulation.calibration.schema import PriorSpec, TargetSpec
from simulation.calibration.statistics import Target
from simulation.storage.ensembles import finished_ensemble

PRIOR_DRAWS = 4000

sns.set_theme(style="whitegrid", context="notebook")
PRIOR_COLOUR, POSTERIOR_COLOUR, ACCEPTED_COLOUR = "#9e9e9e", "#1f6fb4", "#e08a1e"


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


@dataclass
class Accepted:
    """The last generation's accepted particles' statistics, from pyabc's History."""

    weights: np.ndarray
    stats: list[dict[str, float]]
    observed: dict[str, float]

    def band(self, key: str) -> tuple[float, float, float]:
        values = np.array([float(s.get(key, math.nan)) for s in self.stats])
        keep = np.isfinite(values)
        if not keep.any():
            return (math.nan, math.nan, math.nan)
        low, mid, high = weighted_quantiles(values[keep], self.weights[keep], (0.05, 0.5, 0.95))
        return low, mid, high


def accepted_statistics(history_url: str | None, history_id: int | None) -> Accepted | None:
    if not history_url or history_id is None or not Path(history_url.removeprefix("sqlite:///")).is_file():
        return None
    import pyabc

    history = pyabc.History(history_url, _id=int(history_id))
    if history.max_t < 0:
        return None
    weights, stats = history.get_weighted_sum_stats_for_model(m=0, t=history.max_t)
    if not stats:
        return None
    return Accepted(np.asarray(weights, dtype=float), list(stats), dict(history.observed_sum_stat()))


def target_label(target: Target) -> str:
    if target.statistic == "value":
        return f"{target.metric} in month {target.first}"
    statistic = f"quantile {target.q:g}" if target.statistic == "quantile" else target.statistic
    return f"{statistic} of {target.metric}, months {target.first}-{target.last}"


def _from_history(accepted: Accepted) -> list[Target]:
    """Targets as far as the History knows them (no sd), for an ensemble whose settings are gone."""
    targets = []
    for key, value in accepted.observed.items():
        head, _, step = key.partition("@")
        parts = head.split(":")
        if step:
            targets.append(Target(key, parts[-1], "value", int(step), int(step), float(value), math.nan))
        else:
            targets.append(
                Target(key, parts[-1], parts[1] if len(parts) > 2 else "", 0, 0, float(value), math.nan)
            )
    return targets


def _scalar_panel(ax, target: Target, check: PredictiveCheck | None, accepted: Accepted | None) -> None:
    rows = []
    if accepted is not None:
        rows.append(("accepted (ABC)", accepted.band(target.key), None))
    if check is not None:
        values = check.runs[target.key].to_numpy(dtype=float)
        rows.append((f"fresh runs ({np.isfinite(values).sum()})", check.band(target.key), values))
    if math.isfinite(target.sd):
        ax.axvspan(target.observed - target.sd, target.observed + target.sd, color="#bbbbbb", alpha=0.35)
    ax.axvline(target.observed, color="black", linestyle="--", label="observed ± sd")
    for y, (_, (low, mid, high), values) in enumerate(rows):
        colour = POSTERIOR_COLOUR if values is not None else ACCEPTED_COLOUR
        if math.isfinite(mid):
            ax.errorbar([mid], [y], xerr=[[mid - low], [high - mid]], fmt="o", color=colour, capsize=4)
        if values is not None:
            finite = values[np.isfinite(values)]
            jitter = np.random.default_rng(0).uniform(-0.15, 0.15, finite.size)
            ax.scatter(finite, y + jitter, s=8, alpha=0.5, color=colour)
    ax.set_yticks(range(len(rows)), [r[0] for r in rows], fontsize=8)
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.set_title(target_label(target), fontsize=9)


def _series_panel(
    ax, metric: str, targets: list[Target], check: PredictiveCheck | None, accepted: Accepted | None
) -> None:
    targets = sorted(targets, key=lambda t: t.first)
    steps = [t.first for t in targets]
    frame = check.series.get(metric) if check is not None else None
    if frame is not None and not frame.empty:
        months = frame.index.to_numpy()
        values = frame.to_numpy(dtype=float)
        low, mid, high = (np.nanquantile(values, q, axis=1) for q in (0.05, 0.5, 0.95))
        ax.fill_between(months, low, high, color=POSTERIOR_COLOUR, alpha=0.3, label="fresh runs 5-95%")
        ax.plot(months, mid, color=POSTERIOR_COLOUR, linewidth=1)
    if accepted is not None:
        bands = np.array([accepted.band(t.key) for t in targets])
        ax.plot(steps, bands[:, 0], color=ACCEPTED_COLOUR, linestyle=":", label="accepted (ABC) 5-95%")
        ax.plot(steps, bands[:, 2], color=ACCEPTED_COLOUR, linestyle=":")
    sds = [t.sd if math.isfinite(t.sd) else 0.0 for t in targets]
    ax.errorbar(steps, [t.observed for t in targets], yerr=sds, fmt="k.", capsize=2, label="observed ± sd")
    ax.set_title(f"{metric}: observed series", fontsize=9)
    ax.set_xlabel("month")
    ax.legend(fontsize=7)


def predictive_figure(
    targets: list[Target], check: PredictiveCheck | None, accepted: Accepted | None
) -> Figure | None:
    """One panel per pattern target and per observed series: observed with its sd, the fresh
    runs' band (and each run), the accepted particles' band."""
    if check is None and accepted is None:
        return None
    scalars = [t for t in targets if t.statistic != "value"]
    series: dict[str, list[Target]] = {}
    for t in targets:
        if t.statistic == "value":
            series.setdefault(t.metric, []).append(t)
    panels = len(scalars) + len(series)
    if not panels:
        return None
    columns = min(3, panels)
    rows = math.ceil(panels / columns)
    figure, axes = plt.subplots(rows, columns, figsize=(4.6 * columns, 2.6 * rows), squeeze=False)
    flat = list(axes.flat)
    for ax, target in zip(flat, scalars, strict=False):
        _scalar_panel(ax, target, check, accepted)
    for ax, (metric, group) in zip(flat[len(scalars) :], series.items(), strict=False):
        _series_panel(ax, metric, group, check, accepted)
    for ax in flat[panels:]:
        ax.set_visible(False)
    title = (
        f"Posterior predictive check: {len(check.runs)} fresh runs (5-95% and each run) against "
        "the observed value ± sd (dashed, grey)"
        if check is not None
        else "Targets: observed value and the accepted particles' statistics (weighted 5-95%)"
    )
    figure.suptitle(title, fontsize=11)
    figure.tight_layout()
    return figure


def _where(share: float) -> str:
    if not math.isfinite(share):
        return "—"
    if share < 0.05:
        return "observed below the band"
    if share > 0.95:
        return "observed above the band"
    return "inside"


def predictive_table(targets: list[Target], check: PredictiveCheck | None, accepted: Accepted | None) -> str:
    def shown(x: float) -> str:
        return "—" if not math.isfinite(x) else f"{x:.4g}"

    head = (
        "<tr><th>target</th><th>observed</th><th>sd</th><th>fresh runs: median [5%, 95%]</th>"
        "<th>share of fresh runs below observed</th><th>where the observed value falls</th>"
        "<th>accepted (ABC): [5%, 95%]</th></tr>"
    )
    rows = []
    for t in targets:
        if t.statistic == "value":
            continue
        fresh = check.band(t.key) if check is not None else (math.nan,) * 3
        share = check.share_below(t.key, t.observed) if check is not None else math.nan
        kept = accepted.band(t.key) if accepted is not None else (math.nan,) * 3
        rows.append(
            f"<tr><td>{html.escape(target_label(t))}</td><td>{shown(t.observed)}</td><td>{shown(t.sd)}</td>"
            f"<td>{shown(fresh[1])} [{shown(fresh[0])}, {shown(fresh[2])}]</td><td>{shown(share)}</td>"
            f"<td>{_where(share)}</td><td>[{shown(kept[0])}, {shown(kept[2])}]</td></tr>"
        )
    series: dict[str, list[Target]] = {}
    for t in targets:
        if t.statistic == "value":
            series.setdefault(t.metric, []).append(t)
    for metric, group in series.items():
        inside = []
        for t in group:
            low, _, high = check.band(t.key) if check is not None else (math.nan,) * 3
            if math.isfinite(low):
                inside.append(low <= t.observed <= high)
        months = f"{sum(inside)} of {len(inside)} months inside the band" if inside else "—"
        rows.append(
            f"<tr><td>{html.escape(metric)}: observed series ({len(group)} months)</td><td colspan='3'>"
            f"see the figure</td><td>—</td><td>{months}</td><td>—</td></tr>"
        )
    return f"<table>{head}{''.join(rows)}</table>"


def _predictive_text(
    check: PredictiveCheck | None, record: dict, accepted: Accepted | None, why_no_check: str | None = None
) -> str:
    accepted_note = (
        " The accepted band is the weighted 5–95% of the statistics of the last generation's accepted "
        "particles (pyabc's History): ABC kept them for being close to the data, so they sit closer "
        "than fresh runs do and are no test of the fit."
        if accepted is not None
        else ""
    )
    if check is None:
        why = html.escape(why_no_check) if why_no_check else "<code>--ppc-draws 0</code>"
        return (
            f"<p>No fresh runs were made ({why}), so there is no predictive check: only the accepted "
            f"particles' statistics are shown, where pyabc's History has them.{accepted_note}</p>"
        )
    failed = f" {check.failures} run(s) failed and are left out." if check.failures else ""
    rebuilt = (
        f" The ensemble predates storing the scenario as simulated: it was read again from "
        f"<code>{html.escape(check.rebuilt_from)}</code> with the stored settings; if that file "
        "changed since the calibration, so did these runs."
        if check.rebuilt_from
        else ""
    )
    return (
        f"<p><b>What the band is.</b> {len(check.runs)} fresh runs: each takes a parameter set drawn "
        "from the posterior by weight (with replacement) and a new seed that no calibration run used "
        f"(both from root seed {record['seed']}, so the check is reproducible), and runs the "
        f"calibration's scenario <code>{html.escape(check.scenario)}</code> with its fixed settings for "
        f"{check.steps} months, as its simulations ran. The band is the 5–95% range of the runs' "
        "statistics (dots: each run); it holds both what the posterior leaves uncertain and the "
        "run-to-run variation of one simulation. The dashed line is the observed value, the grey "
        "span ± its sd. An observed value outside the band (fewer than 5% or more than 95% of the "
        "runs below it) is a target the calibrated model does not reproduce."
        f"{accepted_note}{failed}{rebuilt}</p>"
    )


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


def _target_item(raw: dict) -> str:
    """'mean of illicit_price months 25-60: 10 ± 1 (weight 2)' from a target of the file."""
    try:
        target = TargetSpec.model_validate({k: v for k, v in raw.items() if v is not None})
    except ValueError:
        return str(raw)
    weight = f" (weight {target.weight:g})" if target.weight != 1 else ""
    if target.observed is not None:
        sd = f"; sd {target.sd:g} where the file gives none" if target.sd is not None else ""
        return f"{target.label()}{sd}{weight}"
    return f"{target.label()}: {target.value:g} ± {target.sd:g}{weight}"


def _targets(record: dict, check: PredictiveCheck | None, accepted: Accepted | None) -> list[Target]:
    if check is not None:
        return check.targets
    try:
        return simulation_setup(record)[2]
    except Exception:  # the files are gone: what the History knows
        return _from_history(accepted) if accepted is not None else []


def build_calibration_report(
    db: str | None,
    out: str | Path,
    name: str,
    predictive: PredictiveCheck | None = None,
    why_no_check: str | None = None,
) -> CalibrationReport:
    """The report of ensemble ``name``; ``predictive``: fresh runs from
    ``simulation.calibration.predictive.posterior_predictive`` (without them, no predictive check,
    for the reason ``why_no_check`` when there is one besides not asking for it)."""
    out = Path(out)
    record, posterior = finished_ensemble(db, name)
    parameters = _parameters(record)
    report = CalibrationReport(out, out.with_name(f"{out.stem}_figures"))
    report.figure_dir.mkdir(parents=True, exist_ok=True)
    sections: list[str] = []
    check_figures: list[str] = []

    def embed(figure: Figure | None, stem: str, caption: str, into: list[str] = sections) -> None:
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
        into.append(
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
    accepted = accepted_statistics(record.get("history_url"), record.get("history_id"))
    targets = _targets(record, predictive, accepted)
    if predictive is not None:
        stem, caption = (
            "predictive",
            (
                "Posterior predictive check: each target's observed value ± sd against fresh runs from "
                "the posterior (blue) and the accepted particles (orange)"
            ),
        )
    else:
        stem, caption = "targets", "Each target: observed ± sd and the accepted particles (5-95%, weighted)"
    embed(predictive_figure(targets, predictive, accepted), stem, caption, into=check_figures)
    epsilon = record["final_epsilon"]
    summary = (
        f"<p>Ensemble <b>{html.escape(name)}</b> ({html.escape(record['status'])}): "
        f"{record['particles']} particles after {record['generations']} generation(s) and "
        f"{record['simulations']:,} simulations of scenario "
        f"<code>{html.escape(str(record['scenario']))}</code>, "
        f"{spec.get('steps')} months each; final epsilon {'—' if epsilon is None else f'{epsilon:.4g}'}; "
        f"root seed {record['seed']}; from <code>{html.escape(str(record['source']))}</code>.</p>"
    )
    target_list = "".join(f"<li>{html.escape(_target_item(t))}</li>" for t in spec.get("targets", []))
    page = (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<title>Calibration {html.escape(name)}</title><style>"
        "body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}"
        "td:first-child,td:nth-child(2),th{text-align:left}img{max-width:100%}</style></head><body>"
        f"<h1>Calibration: {html.escape(name)}</h1>{summary}"
        f"<h2>Posterior against prior</h2>{_table(parameters, posterior)}"
        f"<h2>Targets</h2><ul>{target_list}</ul>"
        f"<h2>Posterior predictive check</h2>{_predictive_text(predictive, record, accepted, why_no_check)}"
        f"{predictive_table(targets, predictive, accepted) if targets else ''}{''.join(check_figures)}"
        f"<h2>Figures</h2>{''.join(sections)}</body></html>"
    )
    partial = out.with_name(out.name + ".partial")
    partial.write_text(page, encoding="utf-8")
    os.replace(partial, out)
    return report
