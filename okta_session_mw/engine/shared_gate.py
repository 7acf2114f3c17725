"""The gate's side of a shared gate: what this process asks of the figures every
worker shares, and how it takes in their answer (behaviour 14, cluster-wide).

Pure and written once: ``ask_of`` turns this process's figures and the spender into
the numbers a shared cache compares (``cache/gate_state.py``), with the floors of
``rate_buckets.floor_of``; ``learn`` makes the shared window this process's own, so
its hit path (``RateLimitGate.open``) and its fallback during a Redis outage start
from what the cluster knew. Durations only: a window's end and a pause are taken in
as "this many milliseconds from now" on this process's clock.
"""

from __future__ import annotations

import math

from okta_session_mw.cache.gate_state import Counter, GateAsk, SharedWindow
from okta_session_mw.engine.rate_buckets import BucketFigures, Spender, floor_of
from okta_session_mw.errors import RateLimit

__all__ = ["ask_of", "learn", "window_of"]


def _seed(figures: BucketFigures, now: float) -> SharedWindow | None:
    """This process's count of the window, to start a shared window from."""
    if figures.remaining is None or figures.limit is None or figures.reset is None:
        return None
    ms = math.floor((figures.window_ends - now) * 1000)
    if ms < 1:
        return None
    return SharedWindow(figures.limit, figures.remaining, figures.reset, figures.estimated, ms)


def _counter(
    name: str, figures: BucketFigures, floor: int, now: float
) -> Counter:
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
) -> GateAsk:
    """The shared take of one call by ``spender`` (figures already ``roll``-ed): the
    bucket's floor for this spender, and the family's for a never-seen cookie (the
    others are counted in the family, not held back by it: as ``RateLimitGate``)."""
    family_floor = (
        floor_of(spender, family_figures.limit, fraction) if spender is Spender.NEW_COOKIE else -1
    )
    return GateAsk(
        _counter(bucket, figures, floor_of(spender, figures.limit, fraction), now),
        _counter(family, family_figures, family_floor, now),
        count,
    )


def learn(figures: BucketFigures, window: SharedWindow | None, now: float) -> None:
    """Take in the shared window: the cluster's count replaces this process's."""
    if window is None:
        return
    figures.limit = window.limit
    figures.remaining = window.remaining
    figures.reset = window.reset
    figures.estimated = window.estimated
    figures.window_ends = now + window.ms / 1000


def window_of(rate_limit: RateLimit, seconds: float) -> SharedWindow | None:
    """One answer's figures to share, its window ending in ``seconds``; None when the
    answer lacks one of them (nothing to share)."""
    limit, remaining, reset = rate_limit.limit, rate_limit.remaining, rate_limit.reset
    if limit is None or remaining is None or reset is None:
        return None
    return SharedWindow(limit, remaining, reset, False, math.floor(seconds * 1000))
