"""The gate's side of a shared gate: what this process asks of the figures every
worker shares, and how it takes in their answer (behaviour 14, cluster-wide).

Pure and written once: ``ask_of`` turns this process's figures and the spender into
the numbers a shared cache compares (``cache/gate_state.py``), with the floors of
``rate_buckets.floor_of``; ``learn`` makes the shared window this process's own, so
its hit path (``RateLimitGate.open``) and its fallback during a Redis outage start
from what the cluster knew. Durations only: a window's end and a pause are taken in
as "this many milliseconds from now" on this process's clock.

What the cluster shares is read, not trusted: any writer of the shared Redis can put
figures there, so ``learn`` never takes in a window or a pause longer than an honest
worker shares (``MAX_RATE_LIMIT_PAUSE``), nor figures no Okta answer can have
(remaining above limit, a Reset far past the clock): one write must not shut a
worker's calls beyond one bounded pause. ``org_scope`` names the Okta org a gate
question is about, so apps of different orgs on one Redis never share a gate.
"""

from __future__ import annotations

import functools
import hashlib
import math

from okta_session_mw.cache.gate_state import Counter, GateAsk, SharedWindow
from okta_session_mw.engine.rate_buckets import (
    MAX_RATE_LIMIT_PAUSE,
    MAX_RESET_AHEAD,
    BucketFigures,
    Spender,
    floor_of,
    plausible_reset,
)
from okta_session_mw.errors import RateLimit

__all__ = ["ask_of", "bounded_ms", "learn", "org_scope", "plausible", "window_of"]


@functools.lru_cache(maxsize=16)
def org_scope(org_url: str) -> str:
    """A short name of the Okta org (``org_url`` as the config normalised it: scheme,
    lower-case host, port): the shared gate's keys are namespaced by it, since Okta
    counts its rate limits per org. Not a secret, only tidier than the URL in a key."""
    return hashlib.sha256(org_url.rstrip("/").lower().encode()).hexdigest()[:12]


def bounded_ms(ms: int) -> float:
    """A pause or window shared as ``ms``, in seconds, never longer than an honest
    worker shares (``MAX_RATE_LIMIT_PAUSE``)."""
    return min(max(ms, 0) / 1000, MAX_RATE_LIMIT_PAUSE)


def _seed(figures: BucketFigures, now: float) -> SharedWindow | None:
    """This process's count of the window, to start a shared window from."""
    if figures.remaining is None or figures.limit is None or figures.reset is None:
        return None
    ms = math.floor((figures.window_ends - now) * 1000)
    if ms < 1:
        return None
    return SharedWindow(figures.limit, figures.remaining, figures.reset, figures.estimated, ms)


def _counter(name: str, figures: BucketFigures, floor: int, now: float) -> Counter:
    limit = -1 if figures.limit is None else figures.limit
    return Counter(name, limit, floor, _seed(figures, now))


def ask_of(
    bucket: str,
    figures: BucketFigures,
    family: str,
    family_figures: BucketFigures,
    spender: Spender,
    fraction: float,
    now: float,
    *,
    count: bool = True,
    org: str = "",
) -> GateAsk:
    """The shared take of one call by ``spender`` (figures already ``roll``-ed): the
    bucket's floor for this spender, and the family's for a never-seen cookie (the
    others are counted in the family, not held back by it: as ``RateLimitGate``);
    ``org``: the Okta org's ``org_scope``."""
    family_floor = (
        floor_of(spender, family_figures.limit, fraction) if spender is Spender.NEW_COOKIE else -1
    )
    return GateAsk(
        _counter(bucket, figures, floor_of(spender, figures.limit, fraction), now),
        _counter(family, family_figures, family_floor, now),
        count,
        org,
    )


def plausible(window: SharedWindow, now: float) -> bool:
    """Could an honest worker have shared this window? (Okta's figures: a limit of 0
    or more, remaining never above it, a Reset within ``MAX_RESET_AHEAD`` of the
    clock; remaining may be below 0: a family is counted down past its floor.)"""
    limit = window.limit
    return limit >= 0 and window.remaining <= limit and window.reset <= now + MAX_RESET_AHEAD


def learn(figures: BucketFigures, window: SharedWindow | None, now: float) -> None:
    """Take in the shared window: the cluster's count replaces this process's; its end
    bounded, a window no Okta answer can have ignored (``plausible``)."""
    if window is None or not plausible(window, now):
        return
    figures.limit = window.limit
    figures.remaining = window.remaining
    figures.reset = window.reset
    figures.estimated = window.estimated
    figures.window_ends = now + bounded_ms(window.ms)


def window_of(rate_limit: RateLimit, seconds: float, now: float) -> SharedWindow | None:
    """One answer's figures to share, its window ending in ``seconds``; None when the
    answer lacks one of them or its Reset is absurd (``plausible_reset``: nothing to
    share)."""
    limit, remaining = rate_limit.limit, rate_limit.remaining
    reset = plausible_reset(rate_limit, now)
    if limit is None or remaining is None or reset is None:
        return None
    return SharedWindow(limit, remaining, reset, False, math.floor(seconds * 1000))
