"""``ocsim report``: one self-contained HTML file (figures embedded, also saved as PNGs beside it)."""

from __future__ import annotations

import base64
import html
import io
import os
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from simulation.formatting import MINUS, format_claim_value, format_number, format_percent
from simulation.report import event_study, figures, summary
from simulation.report.data import ExperimentData, gather
from simulation.report.framework import displacement_table, evaluation_window, framework_table
from simulation.storage import ResultsStore
from simulation.storage.ledger import experiment_status

KEY_INDICATORS = ("violence", "ocg_revenue", "ocg_members", "new_victims", "illicit_price", "arrests")
_CSS = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 1.5em auto; padding: 0 1em;
       color: #222; }
p, li { line-height: 1.45; } h1, h2, h3, li, td { overflow-wrap: break-word; }
h1 { border-bottom: 2px solid #444; margin-bottom: 0.2em; } p.meta { color: #555; margin-top: 0.3em; }
h2 { margin-top: 2em; border-bottom: 1px solid #bbb; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; display: block; max-width: 100%;
        overflow-x: auto; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; } td.wide { min-width: 14em; }
figure { margin: 1.5em 0; } figure img { max-width: 100%; height: auto; }
figcaption { color: #555; font-size: 0.9em; }
.HOLDS { color: #1a7f1a; font-weight: bold; } .FAILS { color: #c41e1e; font-weight: bold; }
.INCONCLUSIVE { color: #b35900; font-weight: bold; } tr.clear td { font-weight: bold; }
section.summary { background: #f7f7f4; border: 1px solid #ddd; border-radius: 6px; padding: 0.2em 1.4em 1em; }
section.summary h2 { margin-top: 0.8em; } section.summary h3 { margin: 1.1em 0 0.4em; font-size: 1.05em; }
ul.answers { list-style: none; padding-left: 0; margin: 0.4em 0; }
ul.answers li { margin: 0.55em 0; display: grid; grid-template-columns: 8.2em 1fr; column-gap: 0.6em; }
span.badge { font-size: 0.92em; overflow-wrap: normal; padding-top: 0.05em; }
span.nowrap { white-space: nowrap; } p.small { font-size: 0.88em; color: #555; }
nav ol { columns: 2; margin: 0.3em 0; }
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
        self.titles: list[tuple[str, str]] = []

    def heading(self, text: str, anchor: str) -> None:
        self.sections.append(anchor)
        self.titles.append((anchor, text))
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
    return format_number(value)


def _keep_ranges(escaped: str) -> str:
    """Keep month ranges such as '13–48' on one line."""
    return re.sub(r"(\d+–\d+)", r'<span class="nowrap">\1</span>', escaped)


def _minus_signs(text: str) -> str:
    """Negative numbers in generated text with the minus sign the report's numbers use."""
    return re.sub(r"(?<![\w.])-(?=\d)", MINUS, text)


def _with_code(text: str) -> str:
    """Generated text as HTML: escaped, minus signs, month ranges kept whole, `code` set as code."""
    escaped = _keep_ranges(html.escape(_minus_signs(text)))
    return re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped)


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in text).strip("-").lower()


KIND_ORDER = {"paired": 0, "challenge": 1, "sweep": 2}
"""Evidence order: strategy tests (with their claims) first, then challenges, then sweeps."""


def _experiment_label(data: ExperimentData) -> str:
    if not data.verdicts.empty:
        return str(data.verdicts["scenario"].iloc[0])
    return data.strategy or data.name


def _summary(data: list[ExperimentData]) -> str:
    """The answer first: every claim in one sentence, where claims break, what the sweeps varied."""
    parts = ['<section class="summary" id="summary"><h2>Summary</h2>']
    judged = [d for d in data if not d.verdicts.empty]
    for d in judged:
        verdicts = d.verdicts
        runs = int(verdicts["replications"].max())
        tally = summary.tally(list(verdicts["verdict"]))
        parts.append(
            f"<h3>{html.escape(_experiment_label(d))}: {html.escape(tally)}"
            f' ({runs} replications; <a href="#{_slug(d.name)}-claims">evidence</a>)</h3>'
        )
        items = []
        for _, v in verdicts.iterrows():
            word = str(v["verdict"])
            items.append(
                f'<li><span class="badge {html.escape(word)}">{html.escape(word)}</span>'
                f"<span><strong>{html.escape(str(v['claim']))}</strong>: "
                f"{_keep_ranges(html.escape(summary.finding(v)))}</span></li>"
            )
        parts.append(f'<ul class="answers">{"".join(items)}</ul>')
    if judged:
        parts.append(
            '<p class="small">Bounds: each end of an interval is a one-sided bound at the claim\'s '
            "confidence (90% unless the claim says otherwise), from a paired bootstrap over the "
            "replications. A claim HOLDS when the whole interval lies on the claimed side of its threshold, "
            "FAILS when it lies wholly on the other side, and is INCONCLUSIVE when it straddles it. "
            "'No strategy' is the same world with the same seeds and the strategy switched off.</p>"
        )
    else:
        parts.append("<p>No claims have been judged here (<code>ocsim test</code> judges them).</p>")
    for d in data:
        if d.kind != "challenge":
            continue
        finding = d.findings[-1]
        parts.append(
            f"<h3>Where the claims break: challenge of {html.escape(str(finding['scenario']))} "
            f"({len(pd.DataFrame(finding['points']))} assumption points; "
            f'<a href="#{_slug(d.name)}-challenge">evidence</a>)</h3>'
        )
        items = [
            f"<li><strong>{html.escape(c['claim'])}</strong>: "
            f"{_keep_ranges(html.escape(_minus_signs(c['statement'])))}</li>"
            for c in finding["claims"]
        ]
        parts.append(f"<ul>{''.join(items)}</ul>")
    for d in data:
        parts.append(_event_study_summary(d))
    sweeps = [d for d in data if d.kind == "sweep"]
    if sweeps:
        parts.append("<h3>Sweeps</h3><ul>")
        for d in sweeps:
            varied = _varied(d)
            what = (
                "varied " + "; ".join(f"{html.escape(p)} ({html.escape(_values(d, p))})" for p in varied)
                if varied
                else "no parameter took more than one value"
            )
            parts.append(f'<li><a href="#{_slug(d.name)}-sweep">{html.escape(d.name)}</a>: {what}.</li>')
        parts.append("</ul>")
    parts.append("</section>")
    return "".join(parts)


def _event_study_summary(data: ExperimentData) -> str:
    """The event study's answer: one sentence per area, or plainly why there is none."""
    study = data.event_study
    if study is None:
        return ""
    anchor = f"{_slug(data.name)}-event-study"
    head = f"Violence around leaders' removals: {html.escape(study.label)}"
    if study.problem is not None:
        return f'<h3>{head} (<a href="#{anchor}">details</a>)</h3><p>{_with_code(study.problem)}</p>'
    items = "".join(f"<li>{_with_code(sentence)}</li>" for sentence in event_study.sentences(study))
    return (
        f'<h3>{head} ({study.removals} removals in {study.used} runs; <a href="#{anchor}">evidence</a>)</h3>'
        f'<ul>{items}</ul><p class="small">{_with_code(event_study.caveat(study))}</p>'
    )


def _event_study_section(w: _Writer, data: ExperimentData) -> None:
    """The event study's evidence: the figure, the table of windows, or why there is none."""
    study = data.event_study
    if study is None:
        return
    slug = _slug(data.name)
    w.heading(f"{study.label}: violence around leaders' removals (event study)", f"{slug}-event-study")
    if study.problem is not None or study.study is None:
        w.parts.append(f"<p>{_with_code(study.problem or 'No event study.')}</p>")
        return
    first, last = event_study.WINDOW
    w.parts.append(
        "<p>"
        + _with_code(
            f"Every removal of a leader (an arrest that ended in conviction: a `leader_arrest` event with "
            f"`convicted` true) in the {study.used} runs with leadership targeting, {study.removals} of "
            f"{study.arrests} arrests of leaders. For each, {event_study.LAYER} summed over the group's "
            "territory at the removal, over the cells one and two Moore steps around it and over the "
            f"rest of the grid, month by month from {first} to +{last}, as % of the same area's mean over "
            "the 12 months before"
            + (", over the same in the counterfactual run" if study.against_counterfactual else "")
            + "; pooled over removals as a ratio of sums, with a "
            f"{event_study.CONFIDENCE:.0%} band from a bootstrap over runs. {event_study.caveat(study)}"
        )
        + "</p>"
    )
    w.figure(
        figures.event_study(
            study.study,
            event_study.LAYER,
            f"{study.label}: {event_study.LAYER} around {study.removals} leader removals, "
            f"% of each area's mean over the 12 months before"
            + (", over the counterfactual's" if study.against_counterfactual else "")
            + f" ({event_study.CONFIDENCE:.0%} band)",
        ),
        f"{slug}-event-study",
        "Month 0 (dashed) is the month of the removal; 0% is the level before it. Later months pool "
        "fewer removals (a run ends), so their bands widen.",
    )
    w.text(
        "The change over the first half year and the first year after the removal, pooled over those "
        "months and the removals, with its interval."
    )
    w.table(event_study.effects_table(study))


def _contents(titles: list[tuple[str, str]]) -> str:
    items = "".join(f'<li><a href="#{html.escape(a)}">{html.escape(t)}</a></li>' for a, t in titles)
    return f'<nav aria-label="contents"><h2>Evidence</h2><ol>{items}</ol></nav>'


def _claims_table(verdicts: pd.DataFrame) -> pd.DataFrame:
    """The verdicts as ``ocsim test`` prints them, with the months and what each claim compares with."""
    rows = []
    for _, v in verdicts.iterrows():
        side = "≤" if bool(v["wants_below"]) else "≥"
        more = v["more_replications"]
        low, high, estimate = (summary.value_text(v, v[k], unit=False) for k in ("low", "high", "estimate"))
        unit = f" {summary.unit_of(v)}".rstrip()
        rows.append(
            {
                "verdict": str(v["verdict"]),
                "claim": str(v["claim"]),
                "metric": str(v["metric"]),
                "estimate [interval]": f"{estimate} [{low}, {high}]{unit}",
                "needs": f"{side} {summary.value_text(v, v['threshold'])} at {float(v['confidence']):.0%}",
                "months": "–".join(str(m) for m in dict.fromkeys(summary.window_of(v))),
                "compared with": summary.comparison(v),
                "runs": str(int(v["replications"]))
                + ("" if pd.isna(more) else f" (about {int(more)} more would settle it)"),
            }
        )
    return pd.DataFrame(rows)


def _claims_section(w: _Writer, data: ExperimentData, slug: str) -> None:
    """Verdicts of ``ocsim test`` for this experiment, when there are any."""
    if data.verdicts.empty:
        return
    w.heading(f"{_experiment_label(data)}: claims of the theory of success", f"{slug}-claims")
    w.text(
        "Each claim as judged by ocsim test: the estimate, the interval whose ends are one-sided bounds "
        "at the claim's confidence, the threshold it needs, the months averaged and what it is compared "
        "with. Relative changes are in % of the comparison."
    )
    numeric = {c: "num" for c in ("estimate [interval]", "needs")} | {"claim": "wide"}
    w.table(_claims_table(data.verdicts), classes=numeric)
    w.figure(
        figures.verdict_forest(data.verdicts),
        f"{slug}-claims",
        "HOLDS when the whole interval lies beyond the threshold, FAILS when it lies wholly short of it, "
        "INCONCLUSIVE when it straddles it (relative claims in %).",
    )


def _paired_sections(w: _Writer, data: ExperimentData) -> None:
    assert data.strategy and data.counterfactual
    slug, metrics = _slug(data.name), data.metrics
    _claims_section(w, data, slug)
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
        shown = table.assign(relative=table["relative"].map(format_percent)).rename(
            columns={"relative": "change", "low": "interval low", "high": "interval high"}
        )
        w.table(shown, classes={"change": "num"}, bold="clear")
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
    _event_study_section(w, data)


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
        w.text(_minus_signs(claim["statement"]))
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
    _event_study_section(w, data)


def _varied(data: ExperimentData) -> list[str]:
    """The swept parameters that took more than one value in the finished runs."""
    if data.metrics.empty:
        return []
    return [p for p in data.parameters if p in data.metrics and data.metrics[p].nunique(dropna=False) > 1]


def _values(data: ExperimentData, parameter: str) -> str:
    values = pd.Series(data.metrics[parameter].unique())
    if pd.api.types.is_numeric_dtype(values):
        low, high = values.min(), values.max()
        shown = f"{format_claim_value(low, 'level')} to {format_claim_value(high, 'level')}"
        return f"{len(values)} values, {shown}" if len(values) > 2 else shown
    return ", ".join(str(v) for v in values)


def _sweep_sections(w: _Writer, data: ExperimentData) -> None:
    slug = _slug(data.name)
    design = data.record["design"]
    w.heading(f"Sweep {data.name}", f"{slug}-sweep")
    varied = _varied(data)
    w.text(
        f"{design.get('type', 'grid')} design over {len(varied)} varied parameter(s), "
        f"{data.metrics['replication'].nunique() if not data.metrics.empty else 0} replication(s) per point. "
        f"{data.record['spec'].get('description', '')}"
    )
    fixed = [p for p in data.parameters if p not in varied and p in data.metrics]
    if fixed:
        held = ", ".join(f"{p} = {data.metrics[p].iloc[0]}" for p in fixed)
        w.text(f"Held at one value in every run (so not plotted): {held}.")
    _claims_section(w, data, slug)
    if data.metrics.empty:
        w.text("No finished runs yet.")
        return
    labels = {"run_id", "scenario", "point", "replication", "seed", "step", *data.parameters}
    kept = [c for c in data.metrics.columns if c not in labels]
    indicators = [i for i in KEY_INDICATORS if i in kept] or kept[:4]
    for parameter in varied:
        if pd.api.types.is_numeric_dtype(data.metrics[parameter]):
            w.figure(
                figures.sweep_response(data.metrics, parameter, indicators),
                f"{slug}-{_slug(parameter)}",
                f"Each point: mean over runs at that value of {parameter}; bars: 90% confidence interval.",
            )
    _event_study_section(w, data)


def build_report(db: str | None, out: str | Path, experiment: str | None = None) -> Report:
    """Write the report for one experiment (or every experiment in the database) to ``out``.

    The page opens with the answer (every judged claim in one sentence, where claims break, what
    sweeps varied), then the evidence: claims, time series, results framework, displacement,
    challenges and sweeps.
    """
    with ResultsStore(db) as store:
        names = [experiment] if experiment else list(experiment_status(store)["experiment"])
        if not names:
            raise LookupError(f"no experiments in {store.display_url}")
        gathered = [gather(store, name) for name in names]
        where = store.display_url
    return write_report(gathered, out, f"ocsim report: {experiment or 'all experiments'}", where)


def write_report(gathered: list[ExperimentData], out: str | Path, title: str, source: str) -> Report:
    """Write the page for experiments already gathered (``source`` says where they came from)."""
    out = Path(out)
    figure_dir = out.with_name(out.stem + "_figures")
    figure_dir.mkdir(parents=True, exist_ok=True)
    w = _Writer(figure_dir)
    gathered = sorted(gathered, key=lambda d: KIND_ORDER[d.kind])  # stable: given order within a kind
    for data in gathered:
        if data.kind == "paired":
            _paired_sections(w, data)
        elif data.kind == "challenge":
            _challenge_sections(w, data)
        else:
            _sweep_sections(w, data)
    page = (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body><h1>{html.escape(title)}</h1>"
        f"<p class='meta'>From {html.escape(source)}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. "
        "Money in k (thousands), time in months.</p>"
        + _summary(gathered)
        + _contents(w.titles)
        + "\n".join(w.parts)
        + "</body></html>"
    )
    partial = out.with_name(out.name + ".partial")
    partial.write_text(page, encoding="utf-8")
    os.replace(partial, out)
    return Report(out, figure_dir, w.saved, ["summary", *w.sections])
