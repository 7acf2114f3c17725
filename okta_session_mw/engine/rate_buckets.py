"""Okta's rate-limit buckets: which bucket a call counts in, what we know of each
window, and whether a spender may call now (behaviour 14; ``limits`` holds the gate).

A bucket's figures are Okta's last ``X-Rate-Limit-*`` answer, counted down by every
call let through and turned with the window on our clock; a 429 closes the bucket. The
reserve is the share of a window that calls for never-seen cookies must leave. Nothing
here does I/O or reads a clock: ``now`` (epoch seconds) is always passed in.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

from okta_session_mw.errors import RateLimit

__all__ = [
    "BUCKETS",
    "DEFAULT_RATE_LIMIT_PAUSE",
    "MAX_RATE_LIMIT_PAUSE",
    "MAX_RESET_AHEAD",
    "PROBE_CALLS",
    "WINDOW",
    "BucketFigures",
    "Spender",
    "admits",
    "bounded_pause",
    "bucket_of",
    "family_of",
    "floor_of",
    "plausible_reset",
    "reserve_of",
    "roll",
    "slots_for",
    "update_figures",
]

# When a 429 carries no usable X-Rate-Limit-Reset, wait this long (Okta's windows are a minute).
DEFAULT_RATE_LIMIT_PAUSE = 60.0
# Never believe a Reset further ahead than this (a clock skew or a bad header).
MAX_RATE_LIMIT_PAUSE = 300.0
# A Reset (Okta's epoch seconds) shared by the cluster this far past our clock is a
# forgery (a window is a minute; hosts' clocks may disagree by minutes, never by a day).
MAX_RESET_AHEAD = 86_400.0
# Okta's windows are a minute: when one has turned, the next ends this much later.
WINDOW = 60.0
# While a bucket's figures are unknown, calls that may not spend the reserve in flight
# (the flows make the others wait for its answer rather than refuse them).
PROBE_CALLS = 1

BUCKETS: dict[str, str] = {
    "get_current_session": "GET /api/v1/sessions/me",
    "refresh_current_session": "POST /api/v1/sessions/me/lifecycle/refresh",
    "close_current_session": "DELETE /api/v1/sessions/me",
    "create_session": "POST /api/v1/sessions",
    "get_session": "GET /api/v1/sessions/{id}",
    "refresh_session": "POST /api/v1/sessions/{id}/lifecycle/refresh",
    "revoke_session": "DELETE /api/v1/sessions/{id}",
    "revoke_user_sessions": "DELETE /api/v1/users/{id}/sessions",
    "authenticate": "POST /api/v1/authn",
}
"""The endpoint each client operation calls: the finest bucket Okta could count it in."""


def bucket_of(operation: str) -> str:
    """The bucket an operation's calls are counted in (an unknown name is its own)."""
    return BUCKETS.get(operation, operation)


def family_of(operation: str) -> str:
    """The API an operation belongs to (``/api/v1/sessions``): Okta documents one
    bucket for all of ``/api/v1/sessions*``, so calls for never-seen cookies keep one
    reserve across its endpoints, whatever each endpoint's own figures say."""
    bucket = bucket_of(operation)
    _, _, path = bucket.partition(" ")
    return "/".join(path.split("/")[:4]) if path.startswith("/api/") else bucket


class Spender(enum.Enum):
    """Who wants to spend a call, which decides whether the reserve is open to it."""

    NEW_COOKIE = "new_cookie"
    """A cookie with no cached session (never seen, or last seen as "no session"):
    anyone can make those up, so they never touch the reserve."""
    SIGN_IN = "sign_in"
    """Sign-in through the library (CreateSession from a sessionToken): a real user,
    but anyone with an account can repeat it, so it may spend half of the reserve."""
    KNOWN = "known"
    """A cached session's re-check, refresh or logout: may spend the reserve."""


@dataclass(slots=True)
class BucketFigures:
    """What we know of one bucket's window: Okta's last figures, minus the calls we
    have let through since (so concurrent calls do not all see the same remaining).
    Conservative: a call that never got an answer stays counted until the window turns."""

    limit: int | None = None
    remaining: int | None = None
    reset: int | None = None
    """Okta's Reset (epoch seconds) of the window these figures belong to."""
    window_ends: float = 0.0
    """When that window has turned, on our clock (``now + Reset - Date + 1``)."""
    closed_until: float = 0.0
    """After a 429: no call at all before this, on our clock."""
    in_flight: int = 0
    """Calls let through whose answer (or failure) has not come back yet."""
    estimated: bool = False
    """The window turned on our clock and no answer of the new one has come yet:
    ``remaining`` counts down from the last ``limit`` (``reset`` is still the old
    window's, so a late answer of that one is recognised)."""
    figureless: bool = False
    """An answer came without figures (a stand-in client that reports none): there is
    nothing to probe for, so unknown figures no longer hold calls back."""


def reserve_of(limit: int | None, fraction: float) -> int:
    """How many calls of a ``limit`` window never-seen cookies must leave (rounded up)."""
    return math.ceil(limit * fraction) if limit else 0


def floor_of(spender: Spender, limit: int | None, fraction: float) -> int:
    """How many calls of the window ``spender`` must leave: the reserve for a
    never-seen cookie, its larger half for a sign-in, none for a cached session."""
    if spender is Spender.KNOWN:
        return 0
    reserve = reserve_of(limit, fraction)
    return reserve if spender is Spender.NEW_COOKIE else reserve - reserve // 2


def slots_for(spender: Spender, cap: int, fraction: float) -> int:
    """How many of the ``cap`` concurrent Okta calls ``spender`` may find held and still
    take one: the reserve's rule applied to call slots (``floor_of``), so a flood of
    never-seen cookies cannot hold every slot while logouts and refreshes of known
    sessions wait. Never below one: every spender can call when nothing else is."""
    return max(1, cap - floor_of(spender, cap, fraction))


def roll(figures: BucketFigures, now: float) -> None:
    """Turn the window if it has ended on our clock: the new one starts from the last
    ``limit`` (Okta keeps a bucket's limit), counted down by every call let through
    until an answer of the new window tells. A ``limit`` of 0 (a concurrency 429's
    figures) says nothing about the next window: unknown."""
    if now < figures.window_ends or (figures.remaining is None and figures.limit is None):
        return
    turns = math.floor((now - figures.window_ends) / WINDOW) + 1
    figures.window_ends += turns * WINDOW
    figures.remaining = figures.limit or None
    figures.estimated = True


def admits(figures: BucketFigures | None, spender: Spender, fraction: float, now: float) -> bool:
    """May ``spender`` make one call in this bucket now (figures already ``roll``-ed)?
    A 429 closes the bucket for everyone until Reset. Unknown figures admit cached
    sessions, and at most ``PROBE_CALLS`` others in flight (the first answer tells)."""
    if figures is None:
        return True
    if now < figures.closed_until:
        return False
    if figures.remaining is None:
        return spender is Spender.KNOWN or figures.figureless or figures.in_flight < PROBE_CALLS
    return figures.remaining > floor_of(spender, figures.limit, fraction)


def plausible_reset(rate_limit: RateLimit, now: float) -> int | None:
    """The answer's Reset, or None when it is absurd: its window would end more than
    ``MAX_RATE_LIMIT_PAUSE`` after the answer by Okta's own clock (``wait_seconds``:
    a proxy's Reset in milliseconds, a glitch). Kept, such a Reset would make every
    later, honest answer look like one of an earlier window, so ignored for good."""
    wait = rate_limit.wait_seconds(now)
    if wait is None or wait > MAX_RATE_LIMIT_PAUSE:
        return None
    return rate_limit.reset


def update_figures(figures: BucketFigures, rate_limit: RateLimit, now: float, ends: float) -> None:
    """Take in one answer's figures: a late answer of a window that has turned is
    ignored; in the window being counted, calls let through after it was sent still
    count (the lower of Okta's and our count wins). An absurd Reset
    (``plausible_reset``) orders nothing: the figures count until ``ends`` (bounded),
    and the next answer replaces them; so does a kept Reset (learned from the cluster)
    that this answer, by Okta's own clock, shows absurd."""
    old, new = figures.reset, plausible_reset(rate_limit, now)
    if old is not None and plausible_reset(RateLimit(reset=old, date=rate_limit.date), now) is None:
        old = None
    if old is not None and new is not None and (new < old or (new == old and figures.estimated)):
        return
    remaining = rate_limit.remaining
    assert remaining is not None
    counting = figures.remaining is not None and now < figures.window_ends
    if counting and (old == new or figures.estimated):
        assert figures.remaining is not None
        remaining = min(remaining, figures.remaining)
    figures.remaining = remaining
    figures.estimated = False
    figures.limit = rate_limit.limit
    figures.reset = new
    figures.window_ends = ends


def bounded_pause(seconds: float | None) -> float:
    """Seconds to the end of a pause or window: Okta's figure kept within sane bounds."""
    if seconds is None:
        seconds = DEFAULT_RATE_LIMIT_PAUSE
    return min(max(seconds, 1.0), MAX_RATE_LIMIT_PAUSE)
