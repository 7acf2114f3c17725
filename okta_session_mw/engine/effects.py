"""The vocabulary of ``flow.py``: the effects a flow yields, and what it answers.

A flow never performs I/O; it yields one of these and receives the result (or has the
effect's error thrown into it). ``drivers.py`` performs them, sync or async.

Reprs show no secret: an effect holding a session id or a cookie prints without it;
the others hold only cache keys (keyed hashes) and entries (whose Session shows four
characters of its id).
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from enum import Enum
from typing import Any, Literal, NamedTuple

from okta_session_mw.cache.memory import CacheEntry
from okta_session_mw.okta.session import Session

__all__ = [
    "AwaitEntry",
    "CacheEvict",
    "CacheEvictSession",
    "CacheGet",
    "CacheSet",
    "CallOkta",
    "Claim",
    "Clock",
    "Coalesce",
    "Effect",
    "Ended",
    "Flow",
    "Operation",
    "Resolution",
    "Solo",
    "Source",
]

Operation = Literal[
    "get_current_session",
    "refresh_current_session",
    "close_current_session",
    "create_session",
    "revoke_session",
]


@dataclass(frozen=True, slots=True)
class CacheGet:
    key: str


@dataclass(frozen=True, slots=True)
class CacheSet:
    key: str
    entry: CacheEntry


@dataclass(frozen=True, slots=True)
class Claim:
    """Cross-process single flight: who asks Okta for ``key`` (a ``cache.Claimed``).
    ``take_over``: the caller could not use the answer ANSWERED said was stored."""

    key: str
    take_over: bool = False


@dataclass(frozen=True, slots=True)
class AwaitEntry:
    """While another process is asking Okta for ``key``: poll the cache (at most one
    timeout) for its fresh entry and the claim (as ``Claim`` does) for what it says.

    Ends with ``(entry, Claimed.ANSWERED)`` once a fresh entry is read; with ``(None,
    claim)`` as soon as the claim is no longer ASKING (ANSWERED: an answer was stored
    after this entry was read; YOURS: the claim was released or ran out and is now
    this process's); or with ``(None, Claimed.ASKING)`` at the deadline."""

    key: str


@dataclass(frozen=True, slots=True)
class CacheEvict:
    key: str


@dataclass(frozen=True, slots=True)
class CacheEvictSession:
    """Forget every cached answer for one session (admin revoke)."""

    session_id: str

    def __repr__(self) -> str:  # a session id is a credential
        return "CacheEvictSession(...)"


@dataclass(frozen=True, slots=True)
class Ended:
    """True when the cookie ``key`` was logged out or the session revoked since its
    answer may have been read (the cache's "ended" marks): then it is not served.
    ``asked_at``: when that answer's Okta question was asked (its entry's
    ``fetched_at``), for a cache that had to forget an end (``SessionCache``)."""

    key: str
    session_id: str
    asked_at: float

    def __repr__(self) -> str:  # a session id is a credential
        return "Ended(...)"


@dataclass(frozen=True, slots=True)
class CallOkta:
    """Call one client operation with one argument (a cookie header, an id or a token)."""

    operation: Operation
    argument: str

    def __repr__(self) -> str:  # the argument may be a cookie or a session token
        return f"CallOkta({self.operation!r})"


@dataclass(frozen=True, slots=True)
class Coalesce:
    """Run ``flow`` once for all concurrent requests with the same ``key``; all get its result."""

    key: str
    flow: Flow


@dataclass(frozen=True, slots=True)
class Solo:
    """Run ``flow`` unless one with ``key`` is already running; then the result is None at once."""

    key: str
    flow: Flow


Effect = (
    CacheGet
    | CacheSet
    | CacheEvict
    | CacheEvictSession
    | CallOkta
    | Coalesce
    | Solo
    | Claim
    | AwaitEntry
    | Ended
)
Flow = Generator[Effect, Any, Any]
Clock = Callable[[], float]


class Source(str, Enum):
    """Where a resolution came from; the stats count these."""

    NO_COOKIE = "no_cookie"
    HIT = "hit"
    NEGATIVE_HIT = "negative_hit"
    MISS = "miss"
    STALE = "stale"
    UNAVAILABLE = "unavailable"


class Resolution(NamedTuple):
    """The session for a request, or None; ``unavailable`` when Okta could not say.

    A named tuple: made on every request, so it must be cheap to build."""

    session: Session | None
    source: Source

    @property
    def unavailable(self) -> bool:
        """Okta could not be asked and nothing usable was cached."""
        return self.source is Source.UNAVAILABLE
