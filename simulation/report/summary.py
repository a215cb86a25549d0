"""The report's answer first: each judged claim in one plain sentence, and what it was compared with.

Everything here is pure text from one stored verdict (a row of the ``claim_verdicts`` table or a
``ClaimVerdict.as_record()`` mapping), so it is tested without running the model. Numbers are
written by :mod:`simulation.formatting`, as ``ocsim test`` writes them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from simulation.core.indicators import DISPLACEMENT_INDICATORS, INDICATORS
from simulation.formatting import format_claim_value, format_percent
from simulation.scenario.claims import DERIVED_METRICS

UNITS = {i.name: i.unit for i in (*INDICATORS, *DISPLACEMENT_INDICATORS)}
VERDICTS = ("HOLDS", "FAILS", "INCONCLUSIVE")
_DERIVED_NAMES = {
    "displacement_ratio": "the displacement ratio",
    "cross_border_share": "the share of displaced activity that crossed the border",
    "wdq": "the weighted displacement quotient (WDQ)",
}


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return math.isnan(float(value))
    except (TypeError, ValueError):
        return True


def window_of(v: Mapping[str, Any]) -> tuple[int, int]:
    """The claim's months, from a record (``window``) or a stored row (``window_first``/``_last``)."""
    if "window" in v and v["window"] is not None:
        first, last = v["window"]
    else:
        first, last = v["window_first"], v["window_last"]
    return int(first), int(last)


def months(window: tuple[int, int]) -> str:
    first, last = window
    return f"month {first}" if first == last else f"months {first}–{last}"


def metric_name(metric: str) -> str:
    """An indicator's name as words: 'ocg_revenue' -> 'OCG revenue'."""
    if metric in _DERIVED_NAMES:
        return _DERIVED_NAMES[metric]
    words = {"ocg": "OCG", "ocgs": "OCGs"}
    return " ".join(words.get(w, w) for w in metric.split("_"))


def plural(metric: str) -> bool:
    """Whether the metric names a plural ('arrests', 'victims assisted'), for verb agreement."""
    if metric in _DERIVED_NAMES:
        return False
    words = metric.split("_")
    if words[-1] in ("value", "volume", "rate"):
        return False
    return any(w.endswith("s") and not w.endswith("ss") for w in (words[0], words[-1]))


def is_level(v: Mapping[str, Any]) -> bool:
    return v["kind"] == "level"


def is_displacement(v: Mapping[str, Any]) -> bool:
    return v["metric"] in DERIVED_METRICS


def _baseline(v: Mapping[str, Any]) -> tuple[int, int] | None:
    baseline = v.get("baseline")
    if baseline is None or (not isinstance(baseline, Sequence) and _missing(baseline)):
        return None
    return int(baseline[0]), int(baseline[1])


def comparison(v: Mapping[str, Any]) -> str:
    """What the claim compares with, for a table cell."""
    if is_displacement(v):
        return "no strategy (same seeds)"
    if is_level(v):
        return "nothing (a level)"
    compare = str(v["compare"])
    if compare == "counterfactual":
        return "no strategy (same seeds)"
    if compare == "start":
        baseline = _baseline(v)
        return (
            f"the start of the same runs ({months(baseline)})" if baseline else "the start of the same runs"
        )
    return f"scenario {compare} (same seeds)"


def comparison_phrase(v: Mapping[str, Any]) -> str:
    """What the claim compares with, inside a sentence."""
    if is_displacement(v):
        return "measured against the same seeds without the strategy"
    if is_level(v):
        return "a level, compared with nothing"
    compare = str(v["compare"])
    if compare == "counterfactual":
        return "compared with no strategy"
    if compare == "start":
        baseline = _baseline(v)
        return (
            f"compared with {months(baseline)} of the same runs"
            if baseline
            else ("compared with the start of the same runs")
        )
    return f"compared with scenario {compare}"


def paired(v: Mapping[str, Any]) -> bool:
    """Whether the estimate pairs each run with a run under the same seed in another scenario."""
    return is_displacement(v) or (not is_level(v) and str(v["compare"]) != "start")


def unit_of(v: Mapping[str, Any]) -> str:
    """The unit of an absolute or level claim's values ('' for relative claims, which are in %)."""
    return "" if v["kind"] == "relative" else UNITS.get(str(v["metric"]), "")


def value_text(v: Mapping[str, Any], value: Any, unit: bool = True) -> str:
    """A claim value as ``ocsim test`` prints it (signed % for relative changes), with its unit."""
    shown = None if _missing(value) else float(value)
    return format_claim_value(shown, str(v["kind"]), unit_of(v) if unit else "")


def interval_text(v: Mapping[str, Any]) -> str:
    """'−14.3% to −11.1%' (the unit once, at the end)."""
    if _missing(v["low"]) or _missing(v["high"]):
        return "no interval"
    return f"{value_text(v, v['low'], unit=False)} to {value_text(v, v['high'])}"


def needs_text(v: Mapping[str, Any]) -> str:
    """What the estimate must reach: 'a fall of at least 5%', 'at most 0.5'."""
    threshold, below = float(v["threshold"]), bool(v["wants_below"])
    if is_level(v):
        return f"{'at most' if below else 'at least'} {value_text(v, threshold)}"
    size = (
        format_percent(abs(threshold), signed=False)
        if v["kind"] == "relative"
        else format_claim_value(abs(threshold), "level", unit_of(v))
    )
    if threshold == 0:
        return "a fall" if below else "a rise"
    falls = threshold < 0
    bound = "at least" if falls == below else "no more than"
    return f"a {'fall' if falls else 'rise'} of {bound} {size}"


def _runs(v: Mapping[str, Any]) -> str:
    n = int(v["replications"])
    return f"{n} paired run{'s' if n != 1 else ''}" if paired(v) else f"{n} run{'s' if n != 1 else ''}"


def _sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:]


def finding(v: Mapping[str, Any]) -> str:
    """The claim's result in one sentence (without the verdict word)."""
    subject = _sentence_case(metric_name(str(v["metric"])))
    many = plural(str(v["metric"]))
    when = months(window_of(v))
    bounds = f"{float(v['confidence']):.0%} bounds"
    note = v.get("note")
    note = note if isinstance(note, str) else ""  # None, or NaN from a stored row
    if _missing(v["estimate"]):
        reason = f" ({note})" if note else ""
        return f"{subject}: no estimate in {when}, {comparison_phrase(v)}{reason} ({_runs(v)})."
    estimate = float(v["estimate"])
    interval = f"{bounds} {interval_text(v)}" if interval_text(v) != "no interval" else "no interval"
    if is_level(v):
        verb = "is" if is_displacement(v) else "average" if many else "averages"
        text = (
            f"{subject} {verb} {value_text(v, estimate)} ({interval}) in {when}, {comparison_phrase(v)}; "
            f"the claim needs {needs_text(v)} ({_runs(v)})."
        )
    else:
        if estimate == 0:
            moved = "do not change" if many else "does not change"
        else:
            size = (
                format_percent(abs(estimate), signed=False)
                if v["kind"] == "relative"
                else "by " + format_claim_value(abs(estimate), "level", unit_of(v))
            )
            verb = ("fall" if estimate < 0 else "rise") + ("" if many else "s")
            moved = f"{verb} {size}"
        text = (
            f"{subject} {moved} ({interval}) in {when} {comparison_phrase(v)}; "
            f"the claim needs {needs_text(v)} ({_runs(v)})."
        )
    more = v.get("more_replications")
    if v["verdict"] == "INCONCLUSIVE" and not _missing(more) and int(more) > 0:
        text += f" About {int(more)} more {'paired ' if paired(v) else ''}runs would likely settle it."
    elif note:
        text += f" {_sentence_case(note)}."
    return text


def claim_sentence(v: Mapping[str, Any]) -> str:
    """'HOLDS: OCG revenue falls 12.6% (90% bounds −14.3% to −11.1%) in months 25–60 compared with …'."""
    return f"{v['verdict']}: {finding(v)}"


def tally(verdicts: Sequence[str]) -> str:
    """'2 of 3 claims hold, 1 fails' (in the order HOLDS, FAILS, INCONCLUSIVE)."""
    n = len(verdicts)
    if n == 0:
        return "no claims judged"
    counts = {word: sum(1 for v in verdicts if v == word) for word in VERDICTS}
    holds = counts["HOLDS"]
    parts = [f"{holds} of {n} claim{'s' if n != 1 else ''} hold{'s' if holds == 1 else ''}"]
    if counts["FAILS"]:
        parts.append(f"{counts['FAILS']} fail{'s' if counts['FAILS'] == 1 else ''}")
    if counts["INCONCLUSIVE"]:
        unsure = counts["INCONCLUSIVE"]
        parts.append(f"{unsure} {'is' if unsure == 1 else 'are'} inconclusive")
    return ", ".join(parts)
