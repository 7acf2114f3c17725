"""What the rate-limit gate shares through a cache (behaviour 14, cluster-wide): the
questions the engine asks and the answers a shared cache gives, as plain values.

The engine decides (``engine/rate_buckets.py``: the floors, which spender may spend
the reserve, how many call slots each may hold) and puts the numbers it computed
into a ``GateAsk`` or a ``SlotAsk``; a shared cache (Redis: ``cache/redis/gate_ops.py``)
only compares those numbers with the figures every worker shares, and counts down
atomically. Its answer ``None`` means "no shared gate here": the in-process cache,
a cache passed in without these operations, or Redis out of reach; the process's
own gate then decides alone, as it always did.

Times are durations in milliseconds (a window's time left, a pause, a lease), never
instants: no two machines' clocks are compared. No honest worker shares a pause or a
window longer than ``LONGEST_MS``: a shared cache refuses longer ones (a poisoned key),
and the engine never takes one in beyond it.

``org`` names the Okta org whose budget a question is about (a digest of its URL:
``engine/shared_gate.org_scope``): Okta counts calls per org, so apps of one org on
one cache share a gate, and apps of different orgs never meet in it.
"""

from __future__ import annotations

from dataclasses import dataclass

from okta_session_mw.engine.rate_buckets import MAX_RATE_LIMIT_PAUSE

__all__ = [
    "LONGEST_MS", "Counter", "GateAsk", "GateNote", "GateVerdict", "SharedWindow", "SlotAsk",
]  # fmt: skip

LONGEST_MS = int(MAX_RATE_LIMIT_PAUSE * 1000)
"""The longest pause or window (ms) an honest worker shares (``bounded_pause``)."""


@dataclass(frozen=True, slots=True)
class SharedWindow:
    """One bucket's window as shared: Okta's figures, counted down by every admitted
    call, and ``ms`` until the window turns (on the cache's clock: a key's expiry)."""

    limit: int
    remaining: int
    reset: int
    estimated: bool
    ms: int


@dataclass(frozen=True, slots=True)
class Counter:
    """One counter of a take (an endpoint's bucket, or its API family): its name, the
    ``limit`` the engine computed ``floor`` from (-1: not known here), the ``floor``
    the shared ``remaining`` must stay above (-1: not checked for this spender), and
    the window to start from when the cache holds none (``seed``: this process's own
    count, so a window that just turned is counted from the first call)."""

    name: str
    limit: int
    floor: int
    seed: SharedWindow | None


@dataclass(frozen=True, slots=True)
class GateAsk:
    """May one call be made in ``bucket`` (its ``family`` counted too)? ``count``:
    count it down when admitted (False: only read the shared state)."""

    bucket: Counter
    family: Counter
    count: bool = True
    org: str = ""


@dataclass(frozen=True, slots=True)
class GateVerdict:
    """The shared gate's answer. ``closed_ms`` > 0: a 429 closed the bucket for that
    long (for every worker). ``stale_limit``: the floor was computed from another
    limit than the one shared: learn the figures and ask again. The windows (None when
    the cache holds none) are what this process should take in."""

    admitted: bool
    closed_ms: int
    stale_limit: bool
    bucket: SharedWindow | None
    family: SharedWindow | None


@dataclass(frozen=True, slots=True)
class GateNote:
    """After a call: an answer's figures to share (``window``), a 429's pause to share
    (``close_ms`` > 0), and the call slot to give back (``lease``)."""

    bucket: str
    family: str
    window: SharedWindow | None = None
    close_ms: int = 0
    lease: str | None = None
    org: str = ""


@dataclass(frozen=True, slots=True)
class SlotAsk:
    """Hold one of at most ``limit`` concurrent call slots as ``lease`` for ``ttl_ms``
    at most (a dead worker's lease expires then)."""

    lease: str
    limit: int
    ttl_ms: int
    org: str = ""
