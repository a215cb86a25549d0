"""docs/levers.md, generated from the lever catalogue (run ``python -m simulation.core.levers.docs``)."""

from __future__ import annotations

from pathlib import Path

from simulation.core.levers.catalogue import PRINCIPLES, levers_of
from simulation.core.modifiers import MODIFIERS

_DECISION = {m.name: m.decision for m in MODIFIERS}
_NEUTRAL = {m.name: m.neutral for m in MODIFIERS}

HEADER = """# Strategy levers

Generated from `simulation/core/levers/catalogue.py` by `python -m simulation.core.levers.docs`; do not edit
by hand (a test checks that this file matches the catalogue).

Every lever is set in a scenario's `strategy:` section under its principle:

```yaml
strategy:
  pursue:
    hotspot_policing: {intensity: 0.8, start: 24, end: 60, target: {zone: old_town}}
  prevent:
    recruitment_drivers: {intensity: 1.0, target: {jurisdiction: Eastland}}
  enforcement_style: rights_compliant     # or heavy_handed
  budget: 300                             # k per month for all levers (optional)
```

- `intensity` 0–1 (default 1); `start` the first month it acts (default 0); `end` the month it
  stops, not included (default: never); `target` `all` (default), `{zone: NAME}` (a zone under
  `zones:`) or `{jurisdiction: NAME}`.
- A lever changes one **decision modifier** (`simulation/core/modifiers.py`) on its target cells and
  nothing else: a multiplier becomes `1 + effect × intensity` (never below 0), a shift becomes
  `effect × intensity`. Agents read the modifier where they decide; no lever writes an outcome.
- **Cost** per month = cost at intensity 1 × intensity × the share of the population the target
  covers, charged to `spend_prevent`, `spend_pursue`, `spend_protect` or `spend_promote`.
- **Budget**: when `strategy.budget` is set and the month's total cost exceeds it, every active
  lever's intensity is multiplied by budget ÷ total (so all are scaled down in proportion and
  spending equals the budget).
- **Enforcement style** `heavy_handed` changes how police act: they concentrate effort on
  visible hotspots (signal^1.5), stop and search residents three times as often and four
  contacts in ten are unfair (one in ten otherwise). Households who live through or hear of
  unfair contacts trust the police less and fewer decide to report (docs/ODD.md 7.1, 7.22, 8.4).
- Levers can be switched on, off or changed mid-run: the strategy is read afresh every month.
"""


def levers_markdown() -> str:
    parts = [HEADER]
    for principle in PRINCIPLES:
        parts.append(f"\n## {principle.upper()}\n")
        parts.append(
            "| lever | Toolkit objective | decision it enters (modifier) | effect at intensity 1 "
            "| cost (k/month) | what to expect, and why |\n|---|---|---|---|---|---|"
        )
        for lever in levers_of(principle):
            kind = "×" if _NEUTRAL[lever.modifier] == 1.0 else "+"
            change = f"{kind} {1 + lever.effect:g}" if kind == "×" else f"+ {lever.effect:g}"
            parts.append(
                f"| `{lever.name}` | {lever.objective} | {_DECISION[lever.modifier]} "
                f"(`{lever.modifier}`) | {change} | {lever.cost:g} | {lever.expect} |"
            )
    return "\n".join(parts) + "\n"


DOCS_PATH = Path(__file__).resolve().parents[3] / "docs" / "levers.md"

if __name__ == "__main__":
    DOCS_PATH.write_text(levers_markdown(), encoding="utf-8")
    print(f"wrote {DOCS_PATH}")
