"""What a cache holds for one cookie (``CacheEntry``) and what a claim found (``Claimed``).

Every cache (in-process, Redis) stores and returns these; the flows decide from them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum

from okta_session_mw.engine.resolution import Resolution, Source
from okta_session_mw.okta.session import Session

__all__ = ["CacheEntry", "Claimed"]


@dataclass(frozen=True, slots=True)
class CacheEntry:
    """What Okta said about one cookie, and until when to believe it.

    ``session`` None means Okta said "no session" (a negative entry). Times are epoch
    seconds. ``fresh_until`` ends normal service; ``stale_until`` (never past the
    session's expiresAt) bounds serving it while Okta is failing. ``fetched_at`` is
    when the question was asked (just before the Okta call), not when the answer came:
    an answer to a question asked before an end may predate it. ``refreshed_for``
    is the expiresAt a refresh was already tried for, so it is never tried twice;
    ``refresh_after`` is when the next refresh may be: half of the lifetime the last
    refresh gave, so a session whose idle lifetime is within ``refresh_threshold`` is
    not refreshed on every request.
    """

    session: Session | None
    fetched_at: float
    fresh_until: float
    stale_until: float
    refreshed_for: float | None = None
    refresh_after: float = 0.0
    expires: float = field(init=False, repr=False, compare=False)
    """The session's expiresAt as epoch seconds, worked out once ("no session": never)."""
    hit: Resolution = field(init=False, repr=False, compare=False)
    """What a request this entry answers from the cache gets (a hit, or a negative hit):
    made once, so serving a hit allocates nothing."""

    def __post_init__(self) -> None:
        session = self.session
        expires = session.expires_at.timestamp() if session is not None else math.inf
        object.__setattr__(self, "expires", expires)
        source = Source.HIT if session is not None else Source.NEGATIVE_HIT
        object.__setattr__(self, "hit", Resolution(session, source))


class Claimed(Enum):
    """What ``claim`` found: who asks Okta about a cookie (see ``SessionCache``)."""

    YOURS = "yours"
    """The caller holds the claim now: it asks Okta, and ``set`` ends the claim."""
    ASKING = "asking"
    """Another worker holds it and is asking Okta right now: wait for its entry."""
    ANSWERED = "answered"
    """Another worker stored its answer a moment ago (the claim stays, for the entry's
    freshness, so a worker that missed the entry by a hair does not ask again): read it."""
