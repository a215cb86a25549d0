"""The base of every section of a scenario, claim or experiment: the rules every field obeys.

- unknown keys are errors; with more than ``MAX_UNKNOWN_SHOWN`` of them, one error lists the
  first few and counts the rest (a file with 200,000 unknown keys is refused at once);
- numbers are numbers: a numeric field takes neither ``true``/``false`` nor text such as ``"12"``,
  never ``.inf`` or ``.nan``; an integer field takes a float only when it is whole (``1e3``);
- values are checked again when a field is assigned.
"""

from __future__ import annotations

import math
import types
import typing
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator, model_validator

from simulation.inputs import MAX_INT, shown

MAX_UNKNOWN_SHOWN = 5

NumberKind = Literal["int", "float"]


def number_kind(annotation: Any) -> tuple[NumberKind | None, bool]:
    """('int' | 'float' | None, whether the number sits inside a list or tuple)."""
    origin = get_origin(annotation)
    if origin is typing.Annotated:
        return number_kind(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        kinds = {number_kind(a) for a in members}
        if len(kinds) == 1:
            return kinds.pop()
        return None, False
    if origin in (list, tuple):
        args = [a for a in get_args(annotation) if a is not Ellipsis]
        kinds = {number_kind(a)[0] for a in args}
        if len(kinds) == 1 and (kind := kinds.pop()) is not None:
            return kind, True
        return None, False
    if annotation is int:
        return "int", False
    if annotation is float:
        return "float", False
    return None, False


def yaml_spelling(value: Any) -> str:
    """How a value is written in YAML, for messages (``.inf``, ``true``, ``'text'``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return ".nan" if math.isnan(value) else ("-.inf" if value < 0 else ".inf")
    return shown(value)


def checked_number(value: Any, kind: NumberKind) -> Any:
    """The value as the field's number type, or ValueError saying what is allowed."""
    if value is None:
        return value
    if isinstance(value, bool):
        raise ValueError(f"must be a number, not {yaml_spelling(value)}")
    if isinstance(value, str):
        raise ValueError(f"must be a number, not the text {shown(value)} (write numbers without quotes)")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"must be a finite number, not {yaml_spelling(value)}")
        if kind == "int":
            if not value.is_integer():
                raise ValueError(f"must be a whole number, not {value!r}")
            if abs(value) > MAX_INT:
                raise ValueError(f"must be an integer within ±(2^63 - 1), not {value!r}")
            return int(value)
        return value
    if isinstance(value, int):
        if abs(value) > MAX_INT:
            raise ValueError(f"must be within ±(2^63 - 1), not {shown(value)}")
        return value
    return value  # lists, mappings: the field's own type reports them


class Section(BaseModel):
    """Base for every scenario section: unknown keys are errors, values are checked on assignment."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _few_unknown_keys(cls, data: Any) -> Any:
        if isinstance(data, dict) and len(data) > MAX_UNKNOWN_SHOWN:
            fields = cls.model_fields
            unknown = [key for key in data if key not in fields]
            if len(unknown) > MAX_UNKNOWN_SHOWN:
                first = ", ".join(shown(str(k)) for k in unknown[:MAX_UNKNOWN_SHOWN])
                raise ValueError(
                    f"{len(unknown):,} unknown fields ({first} and {len(unknown) - MAX_UNKNOWN_SHOWN:,} "
                    f"more); allowed: {', '.join(fields)}"
                )
        return data

    @field_validator("*", mode="before")
    @classmethod
    def _numbers_are_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        field = cls.model_fields.get(info.field_name or "")
        if field is None:
            return value
        kind, inside = number_kind(field.annotation)
        if kind is None:
            return value
        if not inside:
            return checked_number(value, kind)
        if isinstance(value, list | tuple):
            checked = []
            for i, item in enumerate(value):
                try:
                    checked.append(checked_number(item, kind))
                except ValueError as exc:
                    raise ValueError(f"item {i}: {exc}") from None
            return checked
        return value


def strict_numbers(raw: Any, model: type[BaseModel], path: tuple[str, ...] = ()) -> tuple[Any, list[str]]:
    """``raw`` with the number rules applied along ``model``'s fields, and the problems found.

    For sections whose class does not carry the rules itself (the model core's parameter
    sections): whole floats become integers for integer fields; booleans, text, ``.inf``/``.nan``
    and fractional values for integers are problems named by their path; more than
    ``MAX_UNKNOWN_SHOWN`` unknown keys in one mapping are counted, not listed. Anything the walk
    does not understand is left for pydantic.
    """
    if not isinstance(raw, dict):
        return raw, []
    fields = model.model_fields
    problems: list[str] = []
    unknown = [key for key in raw if key not in fields]
    where = ".".join(path)
    if len(unknown) > MAX_UNKNOWN_SHOWN:
        first = ", ".join(shown(str(k)) for k in unknown[:MAX_UNKNOWN_SHOWN])
        problems.append(
            f"{where + ': ' if where else ''}{len(unknown):,} unknown fields ({first} and "
            f"{len(unknown) - MAX_UNKNOWN_SHOWN:,} more); allowed: {', '.join(fields)}"
        )
    out = dict(raw)
    for key, value in raw.items():
        field = fields.get(key) if isinstance(key, str) else None
        if field is None:
            continue
        here = (*path, key)
        annotation = _model_or_list_of_model(field.annotation)
        if annotation is not None:
            inner, is_list = annotation
            if is_list and isinstance(value, list):
                items = []
                for i, item in enumerate(value):
                    checked, found = strict_numbers(item, inner, (*here, str(i)))
                    items.append(checked)
                    problems += found
                out[key] = items
            elif not is_list:
                out[key], found = strict_numbers(value, inner, here)
                problems += found
            continue
        kind, inside = number_kind(field.annotation)
        if kind is None:
            continue
        try:
            if not inside:
                out[key] = checked_number(value, kind)
            elif isinstance(value, list | tuple):
                out[key] = [checked_number(item, kind) for item in value]
        except ValueError as exc:
            problems.append(f"{'.'.join(here)}: {exc}")
    return out, problems


def _model_or_list_of_model(annotation: Any) -> tuple[type[BaseModel], bool] | None:
    """(model, is a list) when a field holds a section or a list of sections."""
    origin = get_origin(annotation)
    if origin is typing.Annotated:
        return _model_or_list_of_model(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        return _model_or_list_of_model(members[0]) if len(members) == 1 else None
    if origin is list:
        args = get_args(annotation)
        if len(args) == 1 and isinstance(args[0], type) and issubclass(args[0], BaseModel):
            return args[0], True
        return None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation, False
    return None
