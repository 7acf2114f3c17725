"""Okta's wire formats: RFC 3339 timestamps, JSON type names, JSON values kept verbatim.

Apart from ``session.py`` so the model reads as a model. Nothing here knows about
sessions; errors are plain ``ValueError`` and the caller names the field.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from types import MappingProxyType
from typing import Any

__all__ = ["EMPTY", "format_datetime", "freeze", "json_type", "parse_datetime", "thaw"]

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


def freeze(value: Any) -> Any:
    """A deep immutable copy of a JSON value: objects become read-only mappings, arrays tuples.

    Unknown fields live inside a frozen, shared, cached Session; a nested list left
    mutable there could be changed by one request under another's feet.
    """
    if isinstance(value, Mapping):
        return MappingProxyType({key: freeze(item) for key, item in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(freeze(item) for item in value)
    return value


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
