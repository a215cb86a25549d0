"""The one reader of everything a user hands the tool: scenario, experiment and comparison files,
and ``--set`` values.

YAML is parsed into plain Python data (dicts, lists, str, int, float, bool, None) under rules
that hold for every input, so no later stage sees anything stranger:

- a file must be a regular file, at most ``MAX_FILE_BYTES``, and UTF-8 text;
- nesting at most ``MAX_DEPTH`` levels deep and at most ``MAX_NODES`` values in one document;
- only plain scalars, sequences and mappings: tags (``!!python/...``, ``!!binary``), anchors and
  aliases are refused, so there is no "billion laughs";
- a key given twice in one mapping is an error naming both lines (YAML itself would keep the
  last one silently);
- plain scalars follow the YAML 1.2 core schema: ``true``/``false``, ``null``/``~``, integers in
  decimal, ``0o`` octal or ``0x`` hex, floats including ``1e3`` and ``.inf``/``.nan``; anything
  else (``yes``, ``2024-01-01``, ``012``) is text. Integers beyond 64 bits are refused.

Every problem is an ``InputError`` whose message names the problem in a line of its own without
quoting the content of a file that is not YAML.
"""

from __future__ import annotations

import math
import os
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

MAX_FILE_BYTES = 256_000
"""Largest input file read (256 kB; the biggest shipped scenario is under 5 kB)."""
MAX_DEPTH = 32
"""Deepest nesting of mappings and sequences (a scenario needs 5)."""
MAX_NODES = 200_000
"""Most values in one document."""
MAX_INT = 2**63 - 1
"""Integers outside ±(2^63 - 1) are refused: no setting needs them and numpy cannot hold them."""
SHOWN_CHARS = 60
"""A value quoted back in a message is cut to this many characters."""

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_TRUE = re.compile(r"^(?:true|True|TRUE)$")
_FALSE = re.compile(r"^(?:false|False|FALSE)$")
_INT_DEC = re.compile(r"^[-+]?[0-9][0-9_]*$")
_INT_OCT = re.compile(r"^[-+]?0o[0-7_]+$")
_INT_HEX = re.compile(r"^[-+]?0x[0-9a-fA-F_]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9][0-9_]*|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?$")
_INF = re.compile(r"^[-+]?\.(?:inf|Inf|INF)$")
_NAN = re.compile(r"^\.(?:nan|NaN|NAN)$")


class InputError(ValueError):
    """Input that cannot be read; ``problem`` is one line for the user."""

    def __init__(self, problem: str) -> None:
        self.problem = problem
        super().__init__(problem)


def shown(value: Any) -> str:
    """A value as a message quotes it: repr, cut to ``SHOWN_CHARS`` characters."""
    text = repr(value)
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 3] + "..."


def clip(text: str, limit: int = SHOWN_CHARS) -> str:
    """Text as a message quotes it, cut to ``limit`` characters."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ------------------------------------------------------------------------------------- files
def read_text_file(path: str | Path, max_bytes: int = MAX_FILE_BYTES) -> str:
    """The text of a regular UTF-8 file of at most ``max_bytes``; anything else is an InputError."""
    path = Path(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InputError("file not found") from None
    except NotADirectoryError:
        raise InputError("file not found (a part of the path is not a folder)") from None
    except PermissionError:
        raise InputError("cannot be read: permission denied") from None
    except OSError as exc:
        raise InputError(f"cannot be read: {exc.strerror or exc}") from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError("is a directory, not a file")
    if not stat.S_ISREG(info.st_mode):
        raise InputError("is not a regular file (a device, FIFO or socket); give a YAML file")
    if info.st_size > max_bytes:
        raise InputError(f"is {info.st_size:,} bytes; input files may be at most {max_bytes:,} bytes")
    try:
        with open(path, "rb", opener=_nonblocking) as handle:
            data = handle.read(max_bytes + 1)
    except PermissionError:
        raise InputError("cannot be read: permission denied") from None
    except OSError as exc:
        raise InputError(f"cannot be read: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise InputError(f"is more than {max_bytes:,} bytes; input files may be at most {max_bytes:,} bytes")
    return decode_utf8(data)


def _nonblocking(name: str, flags: int) -> int:
    """Open without blocking (a file swapped for a FIFO after the check must not hang the tool)."""
    return os.open(name, flags | getattr(os, "O_NONBLOCK", 0))


def decode_utf8(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError("is UTF-16 text; save it as UTF-8")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            f"is not UTF-8 text (byte 0x{data[exc.start]:02x} on line {line}); save it as UTF-8"
        ) from None
    if "\x00" in text:
        raise InputError("is not a text file (it holds NUL bytes)")
    return text.removeprefix("\ufeff")


def read_yaml_file(path: str | Path) -> Any:
    """Parse a YAML file under the rules above (an empty file: None)."""
    return parse_yaml(read_text_file(path))


# -------------------------------------------------------------------------------------- YAML
def parse_yaml(text: str, max_depth: int = MAX_DEPTH) -> Any:
    """Parse one YAML document into plain data under the module's rules.

    Control characters, which YAML forbids even inside quotes, are kept as they are in text values
    (a name may hold one) rather than failing the whole file.
    """
    controls = bool(_CONTROL.search(text))
    if controls:
        text = _CONTROL.sub(lambda m: chr(_SHIFT + ord(m.group(0))), text)
    builder = _Builder(max_depth, _restore if controls else None)
    try:
        for event in yaml.parse(text, Loader=_Loader):
            builder.feed(event)
    except yaml.MarkedYAMLError as exc:
        if "nesting depth" in str(exc.problem):  # libyaml's own limit, met while scanning ahead
            raise InputError(
                f"nests deeper than {max_depth} levels; a scenario needs no more than 6"
            ) from None
        raise InputError(f"not valid YAML: {_yaml_problem(exc)}") from None
    except yaml.YAMLError as exc:
        raise InputError(f"not valid YAML: {str(exc).splitlines()[0][:200]}") from None
    return builder.result


_CONTROL = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f]")
_SHIFT = 0xF700
"""Control characters travel through the parser as private-use characters U+F701-U+F79F."""
_SHIFTED = re.compile("[\uf701-\uf79f]")


def _restore(text: str) -> str:
    return _SHIFTED.sub(lambda m: chr(ord(m.group(0)) - _SHIFT), text)


def _yaml_problem(exc: yaml.MarkedYAMLError) -> str:
    """The parser's complaint and where, without the snippet of the file it would quote."""
    mark = exc.problem_mark or exc.context_mark
    problem = exc.problem or exc.context or "syntax error"
    where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark is not None else ""
    return f"{problem}{where}"


class _Builder:
    """Turns parser events into plain data, checking depth, size, tags, anchors and duplicates."""

    def __init__(self, max_depth: int, restore: Callable[[str], str] | None = None) -> None:
        self.max_depth = max_depth
        self.restore = restore
        self.stack: list[list[Any]] = []  # [container, pending key or marker, key lines]
        self.result: Any = None
        self.nodes = 0
        self.documents = 0

    def feed(self, event: yaml.Event) -> None:
        if isinstance(event, yaml.DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:
                raise InputError(
                    f"holds more than one YAML document (a second starts on line {_line(event)})"
                )
            return
        if isinstance(event, yaml.AliasEvent):
            raise InputError(f"uses an alias (*{event.anchor}) on line {_line(event)}; write the value out")
        if isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            container = self.stack.pop()[0]
            self._add(container, event)
            return
        if not isinstance(event, yaml.NodeEvent):
            return
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            raise InputError(f"uses an anchor (&{anchor}) on line {_line(event)}; write the values out")
        tag = getattr(event, "tag", None)
        if tag not in (None, "!") and not (isinstance(event, yaml.ScalarEvent) and event.implicit[0]):
            raise InputError(f"uses the tag {tag} on line {_line(event)}; only plain values are read")
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise InputError(f"holds more than {MAX_NODES:,} values")
        if isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            if len(self.stack) >= self.max_depth:
                raise InputError(
                    f"nests deeper than {self.max_depth} levels (line {_line(event)}); "
                    "a scenario needs no more than 6"
                )
            container: Any = {} if isinstance(event, yaml.MappingStartEvent) else []
            self.stack.append([container, _NO_KEY, {}])
            return
        assert isinstance(event, yaml.ScalarEvent)
        value = _scalar(event)
        if self.restore is not None and isinstance(value, str):
            value = self.restore(value)
        self._add(value, event)

    def _add(self, value: Any, event: yaml.Event) -> None:
        if not self.stack:
            self.result = value
            return
        top = self.stack[-1]
        container = top[0]
        if isinstance(container, list):
            container.append(value)
            return
        if top[1] is _NO_KEY:
            if isinstance(value, dict | list):
                raise InputError(f"uses a mapping or list as a key on line {_line(event)}")
            key = value
            lines: dict[Any, int] = top[2]
            if key in lines:  # as the mapping would see it: 1, 1.0 and true are one key
                raise InputError(
                    f"gives the key {shown(key)} twice (lines {lines[key]} and {_line(event)}); keep one"
                )
            lines[key] = _line(event)
            top[1] = key
            return
        container[top[1]] = value
        top[1] = _NO_KEY


_NO_KEY = object()


def _line(event: yaml.Event) -> int:
    mark = getattr(event, "start_mark", None)
    return mark.line + 1 if mark is not None else 0


def _scalar(event: yaml.ScalarEvent) -> Any:
    value = event.value
    if not event.implicit[0]:  # quoted or block text: always a string
        return value
    return resolve_plain(value)


def resolve_plain(value: str) -> Any:
    """A plain YAML scalar under the YAML 1.2 core schema (see the module docstring)."""
    if _NULL.match(value):
        return None
    if _TRUE.match(value):
        return True
    if _FALSE.match(value):
        return False
    number: int | float | None = None
    text = value.replace("_", "")
    if _INT_DEC.match(value):
        number = int(text, 10)
    elif _INT_OCT.match(value):
        number = int(text.replace("0o", "", 1), 8)
    elif _INT_HEX.match(value):
        number = int(text, 16)
    if number is not None:
        if abs(number) > MAX_INT:
            raise InputError(f"the integer {shown(value)} is beyond ±(2^63 - 1)")
        return number
    if _FLOAT.match(value) and any(c.isdigit() for c in value):
        return float(text)
    if _INF.match(value):
        return -math.inf if value.startswith("-") else math.inf
    if _NAN.match(value):
        return math.nan
    return value


def depth(value: Any, limit: int = MAX_DEPTH) -> int:
    """Nesting depth of plain data, counted without recursion (stops counting past ``limit``)."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict | list | tuple):
            level += 1
            deepest = max(deepest, level)
            if deepest > limit:
                return deepest
            stack.extend((child, level) for child in (node.values() if isinstance(node, dict) else node))
    return deepest
