"""'Did you mean ...?': close matches for misspelt names, in one place for every message.

Used for setting paths (``--set``, experiment ``parameters``/``set``, ``assumptions``), indicator
and claim metrics, levers and principles, scenario and experiment names.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

CUTOFF = 0.6
"""difflib similarity below which a name is not offered (0.6 is difflib's own default)."""


def close_matches(word: str, choices: Iterable[str], n: int = 3, cutoff: float = CUTOFF) -> list[str]:
    """Up to ``n`` choices close to ``word``, best first (case-insensitive)."""
    options = list(dict.fromkeys(str(c) for c in choices))
    by_lower: dict[str, str] = {}
    for option in options:
        by_lower.setdefault(option.lower(), option)
    found = difflib.get_close_matches(str(word).lower(), list(by_lower), n=n, cutoff=cutoff)
    return [by_lower[f] for f in found]


def did_you_mean(word: str, choices: Iterable[str], n: int = 3) -> str:
    """``"did you mean 'x'?"`` (or ``'x' or 'y'``), or ``""`` when nothing is close."""
    found = close_matches(word, choices, n=n)
    if not found:
        return ""
    return "did you mean " + " or ".join(repr(f) for f in found) + "?"


def hint(word: str, choices: Iterable[str], n: int = 3) -> str:
    """The suggestion as a suffix for a message: ``"; did you mean 'x'?"`` or ``""``."""
    text = did_you_mean(word, choices, n)
    return f"; {text}" if text else ""


# ----------------------------------------------------------------------------- setting paths
def _fields(current: Any) -> dict[str, Any] | None:
    from pydantic import BaseModel

    if isinstance(current, type) and issubclass(current, BaseModel):
        from simulation.scenario.loader import unwrap_optional

        return {name: unwrap_optional(f.annotation) for name, f in current.model_fields.items()}
    return None


def correct_path(path: str, model: Any = None) -> str | None:
    """The closest existing dotted setting path to a misspelt one, or None.

    Each part is matched against the fields at its level, so several typos are mended at once
    (``world.grd.widht`` -> ``world.grid.width``); free-form mappings (zones) take any key.
    """
    if model is None:
        from simulation.scenario.schema import Scenario

        model = Scenario
    parts = [p for p in path.split(".") if p]
    if not parts:
        return None
    current, mended = model, []
    for i, part in enumerate(parts):
        fields = _fields(current)
        if fields is None:
            if getattr(current, "__origin__", None) is dict:
                mended += parts[i:]  # free-form keys (zones) stay as written
                break
            return None  # a scalar cannot be entered further
        name = part if part in fields else next(iter(close_matches(part, fields, n=1)), None)
        if name is None:
            return None
        mended.append(name)
        current = fields[name]
    corrected = ".".join(mended)
    return corrected if corrected != ".".join(parts) else None


def path_hint(path: str, model: Any = None) -> str:
    """``"; did you mean 'world.grid.width'?"`` for a misspelt setting path, or ``""``."""
    corrected = correct_path(path, model)
    return f"; did you mean {corrected!r}?" if corrected else ""


def fields_at(path: str, model: Any = None) -> list[str]:
    """The field names allowed after the longest valid prefix of ``path`` (for 'allowed: ...')."""
    if model is None:
        from simulation.scenario.schema import Scenario

        model = Scenario
    current = model
    for part in [p for p in path.split(".") if p]:
        fields = _fields(current)
        if fields is None or part not in fields:
            break
        current = fields[part]
    fields = _fields(current)
    return list(fields) if fields else []


# ------------------------------------------------------------------------------------- files
def file_hint(path: str | Path, suffixes: tuple[str, ...] = (".yaml", ".yml")) -> str:
    """For a file that does not exist, ``"; did you mean 'scenarios/balloon_effect.yaml'?"``: the
    closest names among the YAML files of its folder (or ``""``)."""
    path = Path(path)
    folder = path.parent
    if not folder.is_dir():
        return ""
    files = {f.stem: f.name for f in folder.iterdir() if f.suffix in suffixes and f.is_file()}
    found = close_matches(path.stem, files)  # stems: a shared '.yaml' would make any two names close
    if not found:
        return ""
    return "; did you mean " + " or ".join(repr(str(folder / files[f])) for f in found) + "?"
