"""Okta's wire formats: RFC 3339 timestamps, JSON type names, unknown JSON values kept.

Apart from ``session.py`` so the model reads as a model. Nothing here knows about
sessions; errors are plain ``ValueError`` and the caller names the field.

Unknown fields are kept (DESIGN: "kept, never fatal"), frozen and within bounds (see
:class:`Keep`): objects and arrays at most 4 deep in each field, 64 members or items
each, strings up to 4 KiB, 1024 values and 64 KiB of text per Session. What passes
them is left out; the parser logs one debug line naming where, never the value.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from types import MappingProxyType
from typing import Any

__all__ = [
    "DROPPED",
    "EMPTY",
    "EXTRA_DEPTH",
    "EXTRA_ITEMS",
    "EXTRA_TEXT",
    "EXTRA_TEXT_TOTAL",
    "EXTRA_VALUES",
    "Keep",
    "format_datetime",
    "freeze",
    "json_type",
    "parse_datetime",
    "thaw",
]

EMPTY: Mapping[str, Any] = MappingProxyType({})
"""The one shared empty mapping: most sessions have no extras, so they share this."""

_UTC = timezone.utc

# RFC 3339 "date-time", offset required. ASCII digits only (``\d`` would take any
# Unicode digit); fullmatch so a trailing newline is refused too.
_DATE_TIME = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?"
    r"(?:[Zz]|([+-])([01]\d|2[0-3]):([0-5]\d))",
    re.ASCII,
)


def parse_datetime(text: str) -> datetime:
    """An RFC 3339 timestamp with an offset, as an aware UTC datetime.

    Stricter and more predictable than ``datetime.fromisoformat`` alone, which accepts
    naive values and other ISO 8601 forms and differs between Python versions: the
    regex decides what is accepted, the C parser (3.11+) only does the work quickly.
    Digits beyond microseconds are truncated.
    """
    match = _DATE_TIME.fullmatch(text)
    if match is None:
        raise ValueError(
            f"{_clip(text)} is not an RFC 3339 timestamp with an offset "
            "(e.g. 2025-09-22T09:00:23.000Z)"
        )
    try:
        value = _fromisoformat(text.upper()) if _FAST else from_match(match)
        return value if value.tzinfo is _UTC else value.astimezone(_UTC)
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"{_clip(text)} is not a valid date and time: {exc}") from None


def from_match(match: re.Match[str]) -> datetime:
    """The datetime a ``_DATE_TIME`` match spells; Python 3.10's ``fromisoformat`` cannot."""
    year, month, day, hour, minute, second, fraction, sign, off_h, off_m = match.groups()
    micro = int(fraction[:6].ljust(6, "0")) if fraction else 0
    zone = _UTC
    if sign is not None:
        offset = timedelta(hours=int(off_h), minutes=int(off_m))
        zone = timezone(-offset if sign == "-" else offset)
    return datetime(
        int(year), int(month), int(day), int(hour), int(minute), int(second), micro, zone
    )


# 3.11's fromisoformat reads every form the regex admits (Z, 1-9 fraction digits).
_FAST = sys.version_info >= (3, 11)
_fromisoformat = datetime.fromisoformat


def format_datetime(value: datetime) -> str:
    """Okta's form: UTC, ``Z``, milliseconds (microseconds only when they are not zero).

    Microseconds are written when present so that parsing the output gives back the
    same datetime exactly.
    """
    utc = value if value.tzinfo is _UTC else value.astimezone(_UTC)
    spec = "milliseconds" if utc.microsecond % 1000 == 0 else "microseconds"
    return utc.isoformat(timespec=spec)[:-6] + "Z"  # drop "+00:00"


def json_type(value: object) -> str:
    """The JSON name of a value's type: error messages say what came, not the value itself."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (list, tuple)):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__


EXTRA_DEPTH = 4
"""Objects and arrays nest at most this deep inside one unknown field's value."""
EXTRA_ITEMS = 64
"""Members (or items) kept of each object (or array) of unknown fields, the Session's too."""
EXTRA_TEXT = 4096
"""The longest string (value or member name) kept, in characters; a number, in bytes."""
EXTRA_VALUES = 1024
"""Values kept in all of one Session's unknown fields."""
EXTRA_TEXT_TOTAL = 64 * 1024
"""Characters of text kept in all of one Session's unknown fields."""

DROPPED: Any = object()
"""What ``freeze`` returns for a value past the bounds: the caller leaves it out."""


class Keep:
    """One body's allowance for unknown fields: what is left of it, and what was dropped.

    A Session is cached and shared; what it keeps of fields this version does not know
    must not be whatever a body of up to ``max_response_bytes`` holds (a megabyte of
    small nested arrays grows twentyfold in memory). A real Session is about 2 KB and
    has few unknown fields, if any, so these bounds lose nothing real.
    """

    __slots__ = ("dropped", "paths", "text", "values")

    def __init__(self) -> None:
        self.values = EXTRA_VALUES
        self.text = EXTRA_TEXT_TOTAL
        self.dropped = 0
        """How many values were left out (a cut object or array counts what it lost)."""
        self.paths: list[str] = []
        """Where the first few were: field paths only, never a value."""

    def take(self, size: int) -> bool:
        """Spend one value of ``size`` characters; False when that is past the bounds."""
        if self.values < 1 or size > EXTRA_TEXT or size > self.text:
            return False
        self.values -= 1
        self.text -= size
        return True

    def drop(self, path: str, count: int = 1) -> Any:
        """Note a value left out; returns ``DROPPED``."""
        self.dropped += count
        if len(self.paths) < 3:
            self.paths.append(path if len(path) <= 100 else path[:100] + "...")
        return DROPPED


def freeze(value: Any, keep: Keep, path: str, depth: int = 1) -> Any:
    """An immutable copy of one unknown field's JSON value, within ``keep``'s bounds:
    objects become read-only mappings, arrays tuples; ``DROPPED`` if the value itself
    is past them. ``path`` (``blob``, ``idp.extra[2].name``) names it in ``keep``.

    Unknown fields live inside a frozen, shared, cached Session; a nested list left
    mutable there could be changed by one request under another's feet. The walk goes
    at most ``EXTRA_DEPTH`` deep, so no body can make it recurse far.
    """
    if isinstance(value, Mapping):
        if depth > EXTRA_DEPTH or not keep.take(0):
            return keep.drop(path)
        members: dict[Any, Any] = {}
        for index, (key, item) in enumerate(value.items()):
            where = f"{path}.{key}"
            if index == EXTRA_ITEMS:
                keep.drop(where, len(value) - index)
                break
            if isinstance(key, str) and not keep.take(len(key)):
                keep.drop(where)
                continue
            frozen = freeze(item, keep, where, depth + 1)
            if frozen is not DROPPED:
                members[key] = frozen
        return MappingProxyType(members)
    if isinstance(value, (list, tuple)):
        if depth > EXTRA_DEPTH or not keep.take(0):
            return keep.drop(path)
        if len(value) > EXTRA_ITEMS:
            keep.drop(f"{path}[{EXTRA_ITEMS}]", len(value) - EXTRA_ITEMS)
        items = (
            freeze(item, keep, f"{path}[{index}]", depth + 1)
            for index, item in enumerate(value[:EXTRA_ITEMS])
        )
        return tuple(item for item in items if item is not DROPPED)
    if isinstance(value, str):
        size = len(value)
    elif type(value) is int:
        size = value.bit_length() // 8
    else:  # None, a boolean, a float: a fixed small size
        size = 0
    return value if keep.take(size) else keep.drop(path)


def thaw(value: Any) -> Any:
    """The inverse of ``freeze``: plain dicts and lists again, ready for ``json.dumps``."""
    if isinstance(value, Mapping):
        return {key: thaw(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [thaw(item) for item in value]
    return value


def _clip(text: str, limit: int = 40) -> str:
    """``repr`` of a value, cut short: a message should name the problem, not carry a body."""
    return repr(text) if len(text) <= limit else repr(text[:limit]) + "..."
