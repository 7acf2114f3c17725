"""What a parsed Session may hold: at most ``MAX_METHODS`` list entries, unknown members
within one ``Keep``'s bounds, and repeated values shared between sessions.

These bounds keep a cached Session small whatever Okta's body holds; the readers in
``session_parse`` and ``session_links`` apply them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from okta_session_mw.errors import SessionParseError
from okta_session_mw.okta.session_parts import AuthenticationMethod, IdentityProvider, Link
from okta_session_mw.okta.wire import DROPPED, EXTRA_ITEMS, Keep, freeze, json_type

__all__ = [
    "MAX_METHODS",
    "ORG_WIDE_HREFS",
    "SHARED_ALLOW",
    "SHARED_AMR",
    "SHARED_IDP",
    "SHARED_LINKS",
    "SHARED_MAX",
    "SHARED_STR",
    "extras",
    "share",
]

MAX_METHODS = 64
"""The most entries ``amr`` (or a link's ``hints.allow``) may have; Okta sends a few.
More is refused, not cut: each unknown method is an object of its own (a megabyte of
them is tens of MiB in a cached Session), and a cut list could hide a method a policy
looks for."""


def extras(
    data: Mapping[Any, Any], known: frozenset[str], prefix: str, keep: Keep
) -> dict[str, Any]:
    """The members ``known`` does not list, frozen within ``keep``'s bounds (the first
    ``EXTRA_ITEMS`` of them); JSON member names are strings."""
    extra: dict[str, Any] = {}
    unknown = 0
    for key, value in data.items():
        if key in known:
            continue
        if not isinstance(key, str):
            where = prefix.rstrip(".") or "$"
            raise SessionParseError(where, f"member names must be strings, not {json_type(key)}")
        unknown += 1
        if unknown > EXTRA_ITEMS:  # the rest are left out unseen: count them, once
            known_here = sum(1 for name in known if name in data)
            keep.drop(prefix + key, len(data) - known_here - EXTRA_ITEMS)
            break
        if not keep.take(len(key)):
            keep.drop(prefix + key)
            continue
        frozen = freeze(value, keep, prefix + key)
        if frozen is not DROPPED:
            extra[key] = frozen
    return extra


# Sharing. A cached session should cost little memory, and much of a body repeats
# from one session to the next: link relation names, ``hints.allow`` and ``amr``
# combinations, and the org-wide hrefs of ``/sessions/me`` answers. Each table keeps
# the first copy it sees and stops growing when full (new values are then kept as
# they are), so it costs a bounded few kilobytes whatever Okta sends.
SHARED_MAX = 256
SHARED_STR: dict[str, str] = {}
SHARED_ALLOW: dict[tuple[str, ...], tuple[str, ...]] = {}
SHARED_AMR: dict[tuple[AuthenticationMethod, ...], tuple[AuthenticationMethod, ...]] = {}
SHARED_LINKS: dict[tuple[object, ...], Link] = {}
SHARED_IDP: dict[tuple[str | None, object], IdentityProvider] = {}
ORG_WIDE_HREFS = ("/sessions/me", "/sessions/me/lifecycle/refresh", "/users/me")

_T = TypeVar("_T")


def share(table: dict[_T, _T], value: _T) -> _T:
    shared = table.get(value)
    if shared is not None:
        return shared
    if len(table) < SHARED_MAX and type(value) in (str, tuple):
        table[value] = value
    return value
