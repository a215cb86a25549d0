"""``ocsim report``: one self-contained HTML file (figures embedded, also saved as PNGs beside it)."""

from __future__ import annotations

import base64
import html
import io
import math
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from simulation.report import figures
from simulation.report.data import ExperimentData, gather
from simulation.report.framework import displacement_table, evaluation_window, framework_table
from simulation.storage import ResultsStore
from simulation.storage.ledger import experiment_status

KEY_INDICATORS = ("violence", "ocg_revenue", "ocg_members", "new_victims", "illicit_price", "arrests")
_CSS = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; color: #222; }
p { line-height: 1.45; }
h1 { border-bottom: 2px solid #444; } h2 { margin-top: 2em; border-bottom: 1px solid #bbb; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; } th { background: #f0f0f0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1.5em 0; } figure img { max-width: 100%; } figcaption { color: #555; font-size: 0.9em; }
.HOLDS { color: #2ca02c; font-weight: bold; } .FAILS { color: #d62728; font-weight: bold; }
.INCONCLUSIVE { color: #ff7f0e; font-weight: bold; } tr.clear td { font-weight: bold; }
"""


@dataclass
class Report:
    path: Path
    figure_dir: Path
    figures: list[Path] = field(default_factory=list)
    sections: list[str] = field(default_factory=list)


class _Writer:
    def __init__(self, figure_dir: Path) -> None:
        self.figure_dir = figure_dir
        self.parts: list[str] = []
        self.saved: list[Path] = []
        self.sections: list[str] = []

    def heading(self, text: str, anchor: str) -> None:
        self.sections.append(anchor)
        self.parts.append(f'<h2 id="{html.escape(anchor)}">{html.escape(text)}</h2>')

    def text(self, text: str) -> None:
        self.parts.append(f"<p>{html.escape(text)}</p>")

    def figure(self, figure: Figure, name: str, caption: str) -> None:
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=110)
        plt.close(figure)
        png = buffer.getvalue()
        path = self.figure_dir / f"{name}.png"
        path.write_bytes(png)
        self.saved.append(path)
        encoded = base64.b64encode(png).decode()
        self.parts.append(
            f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{encoded}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>"
        )

    def table(
        self, frame: pd.DataFrame, classes: dict[str, str] | None = None, bold: str | None = None
    ) -> None:
        """An HTML table; rows where the boolean column ``bold`` is true are set in bold."""
        flags = frame.pop(bold).to_numpy(dtype=bool) if bold else [False] * len(frame)
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
        rows = []
        for flag, (_, row) in zip(flags, frame.iterrows(), strict=True):
            cells = []
            for column in frame.columns:
                value = row[column]
                css = classes.get(column, "") if classes else ""
                if column == "verdict":
                    css = str(value)
                if isinstance(value, float):
                    cells.append(f'<td class="num {css}">{_number(value)}</td>')
                else:
                    cells.append(f'<td class="{css}">{html.escape(str(value))}</td>')
            rows.append(('<tr class="clear">' if flag else "<tr>") + "".join(cells) + "</tr>")
        self.parts.append(f"<table><tr>{head}</tr>{''.join(rows)}</table>")


def _number(value: float) -> str:
    if math.isnan(value):
        return "—"
    return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in text).strip("-").lower()


def _paired_sections(w: _Writer, data: ExperimentData) -> None:
    assert data.strategy and data.counterfactual
    slug, metrics = _slug(data.name), data.metrics
    replications = metrics[metrics["scenario"] == data.strategy]["replication"].nunique()
    w.heading(f"{data.strategy}: with and without the strategy", f"{slug}-timeseries")
    w.text(
        f"{replications} paired replications: each run with the strategy shares its seed with a run of the "
        "same world without it (the counterfactual), so the gap between the lines is the strategy's effect."
    )
    w.figure(
        figures.time_series(metrics, KEY_INDICATORS, data.strategy, data.counterfactual),
        f"{slug}-timeseries",
        "Median across replications (line) and the band holding 90% of them; "
        "blue with the strategy, grey without.",
    )
    window = evaluation_window(data.strategy_config, int(metrics["step"].max()))
    table = framework_table(metrics, data.strategy, data.counterfactual, window)
    w.heading("Results framework: effects by principle and level", f"{slug}-framework")
    w.text(
        f"Mean per month over months {window[0]}-{window[1]} (from the first lever onwards), with and "
        "without the strategy; the difference has a 90% paired-bootstrap interval. "
        "Bold rows: the interval excludes zero. "
        "'all' marks goals shared by the whole strategy."
    )
    if not table.empty:
        shown = table.assign(relative=table["relative"] * 100).rename(
            columns={"relative": "change %", "low": "interval low", "high": "interval high"}
        )
        w.table(shown, bold="clear")
    w.heading("Displacement: where activity, control and violence moved", f"{slug}-displacement")
    if data.map_difference:
        w.figure(
            figures.difference_maps(data.map_difference, int(data.map_step or 0)),
            f"{slug}-maps",
            "Mean over replications of (with strategy − without) per cell; "
            "x runs west to east, y south to north.",
        )
    displacement = displacement_table(metrics, data.strategy, data.counterfactual, window)
    if displacement.empty:
        w.text("The scenario names no displacement target zone, so no displacement measures were computed.")
    else:
        w.text(f"Months {window[0]}-{window[1]}, pooled over replications; 90% bootstrap intervals.")
        w.table(displacement)
    _claims_section(w, data, slug)


def _claims_section(w: _Writer, data: ExperimentData, slug: str) -> None:
    """Verdicts of ``ocsim test`` for this experiment, when there are any."""
    if not data.verdicts.empty:
        w.heading("Claims of the theory of success", f"{slug}-claims")
        columns = ["claim", "metric", "compare", "estimate", "low", "high", "threshold", "verdict"]
        verdicts = data.verdicts[[*columns, "replications", "more_replications"]]
        w.table(verdicts)
        w.figure(
            figures.verdict_forest(data.verdicts),
            f"{slug}-claims",
            "HOLDS when the whole interval lies beyond the threshold, FAILS when it lies wholly short of it, "
            "INCONCLUSIVE when it straddles it (relative claims in %).",
        )


def _challenge_sections(w: _Writer, data: ExperimentData) -> None:
    finding = data.findings[-1]
    slug = _slug(data.name)
    points = pd.DataFrame(finding["points"])
    w.heading(f"Challenge of {finding['scenario']}: where the claims break", f"{slug}-challenge")
    w.text(
        f"{len(points)} points sampled from the assumption ranges ({finding['design']['type']} design), "
        f"{finding['replications']} paired replication(s) each. At each point a claim holds when its "
        "estimate reaches the threshold."
    )
    assumptions = [p for p in data.parameters if p in points.columns]
    for i, claim in enumerate(finding["claims"]):
        w.parts.append(f"<h3>{html.escape(claim['claim'])}</h3>")
        w.text(claim["statement"])
        if claim["box"]:
            box = pd.DataFrame(
                [
                    {"assumption": a, "failure box low": v["low"], "failure box high": v["high"],
                     "sampled low": v["range_low"], "sampled high": v["range_high"]}
                    for a, v in claim["box"].items()
                ]
            )  # fmt: skip
            w.table(box)
        if claim["feature_scores"]:
            w.figure(
                figures.feature_scores(
                    claim["feature_scores"], f"What moves the estimate of: {claim['claim']}"
                ),
                f"{slug}-claim{i}-scores",
                "Feature scores of the assumptions for this claim's estimate (extra-trees regression).",
            )
        ranked = sorted(claim["feature_scores"], key=claim["feature_scores"].get, reverse=True) or assumptions
        if len(ranked) >= 2:
            w.figure(
                figures.challenge_scatter(points, ranked[0], ranked[1], f"holds_{i}", claim["claim"]),
                f"{slug}-claim{i}-scatter",
                "Each dot is a sampled point of the two most influential assumptions: "
                "green where the claim holds.",
            )
        if claim["sensitivity"]:
            w.figure(
                figures.sensitivity_bars(claim["sensitivity"], f"Sensitivity indices: {claim['claim']}"),
                f"{slug}-claim{i}-sensitivity",
                "Sobol' S1/ST or Morris mu*/sigma of the claim's estimate (SALib).",
            )


def _sweep_sections(w: _Writer, data: ExperimentData) -> None:
    slug = _slug(data.name)
    design = data.record["design"]
    w.heading(f"Sweep {data.name}", f"{slug}-sweep")
    w.text(
        f"{design.get('type', 'grid')} design over {len(data.parameters)} parameter(s), "
        f"{data.metrics['replication'].nunique() if not data.metrics.empty else 0} replication(s) per point. "
        f"{data.record['spec'].get('description', '')}"
    )
    _claims_section(w, data, slug)
    if data.metrics.empty:
        w.text("No finished runs yet.")
        return
    labels = {"run_id", "scenario", "point", "replication", "seed", "step", *data.parameters}
    kept = [c for c in data.metrics.columns if c not in labels]
    indicators = [i for i in KEY_INDICATORS if i in kept] or kept[:4]
    for parameter in data.parameters:
        if pd.api.types.is_numeric_dtype(data.metrics[parameter]):
            w.figure(
                figures.sweep_response(data.metrics, parameter, indicators),
                f"{slug}-{_slug(parameter)}",
                f"Each point: mean over runs at that value of {parameter}; bars: 90% confidence interval.",
            )


def build_report(db: str | None, out: str | Path, experiment: str | None = None) -> Report:
    """Write the report for one experiment (or every experiment in the database) to ``out``."""
    out = Path(out)
    figure_dir = out.with_name(out.stem + "_figures")
    figure_dir.mkdir(parents=True, exist_ok=True)
    w = _Writer(figure_dir)
    with ResultsStore(db) as store:
        names = [experiment] if experiment else list(experiment_status(store)["experiment"])
        if not names:
            raise LookupError(f"no experiments in {store.display_url}")
        gathered = [gather(store, name) for name in names]
        where = store.display_url
    for data in gathered:
        if data.kind == "paired":
            _paired_sections(w, data)
        elif data.kind == "challenge":
            _challenge_sections(w, data)
        else:
            _sweep_sections(w, data)
    title = f"ocsim report: {experiment or 'all experiments'}"
    page = (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<style>{_CSS}</style></head><body><h1>{html.escape(title)}</h1>"
        f"<p>From {html.escape(where)}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. Money in k (thousands), "
        "time in months.</p>" + "\n".join(w.parts) + "</body></html>"
    )
    partial = out.with_name(out.name + ".partial")
    partial.write_text(page, encoding="utf-8")
    os.replace(partial, out)
    return Report(out, figure_dir, w.saved, w.sections)
