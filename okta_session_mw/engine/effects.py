"""The engine's protocol: the few effects a flow yields, and ``Flow[T]`` itself.

A flow is a generator that never performs I/O. It yields an effect and receives its
result (or has its error thrown in), and finally returns a ``T``, the way httpx's
``auth_flow`` yields requests. Six kinds, performed by the two runners
(``engine/sync_runner.py``, ``engine/async_runner.py``), the only place the colours differ
in how an effect is performed:

- :class:`Send`: send one HTTP request to Okta; the result is the ``httpx.Response``
  (an ``httpx.HTTPError``, or ``OktaTimeoutError`` past the request's deadline, is
  thrown in).
- :class:`Sleep`: wait; the result is None.
- :class:`Parse`: the step before reading a large body (CPU only): the async runner
  resumes the flow on a worker thread, the sync runner at once.
- :class:`CacheOp`: one call of the session cache's protocol (``cache/protocol``).
- :class:`Share`: run a sub-flow once for all concurrent flows with the same key
  (single flight, per process); the others wait for its result, or do not wait.
- :class:`Background`: start a sub-flow detached from the request (a refresh-ahead
  revalidation) unless one with the same key is running in this process; the result
  is None at once. It has a deadline of its own (one ``timeout``), its errors are
  logged, never raised, and the service's close waits for it.

The typed helpers below (``cache_get``...) are the way flows use ``CacheOp``: each is a
one-effect sub-flow reached with ``yield from`` that gives its result its type.

Reprs show no secret: a request's headers (cookies, tokens) and a session id never
appear in one.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import TypeVar, cast

import httpx

from okta_session_mw.cache.entry import CacheEntry, Claimed
from okta_session_mw.cache.protocol import CacheOperation

__all__ = [
    "PARSE",
    "Background",
    "CacheOp",
    "Effect",
    "Flow",
    "Parse",
    "Send",
    "Share",
    "Sleep",
    "TokenSource",
    "cache_claim",
    "cache_ended",
    "cache_evict",
    "cache_evict_session",
    "cache_evict_user",
    "cache_get",
    "cache_release",
    "cache_set",
    "in_background",
    "step",
    "together",
    "unless_running",
]

T = TypeVar("T")

TokenSource = Callable[[], object]
"""A function giving the current OAuth2 access token (the async runner awaits what it
returns when that is awaitable; the sync one refuses it)."""


@dataclass(frozen=True, slots=True)
class Send:
    """Send ``request`` to Okta. ``token``: the request still needs its bearer token,
    which the sending shell gets from this function just before sending."""

    request: httpx.Request
    token: TokenSource | None = None

    def __repr__(self) -> str:  # the headers hold a cookie or a token, a path an id
        path = "/".join(
            part if part in _PATH_WORDS else "..." for part in self.request.url.path.split("/")
        )
        return f"Send({self.request.method} {path})"


_PATH_WORDS = frozenset(
    {"", "api", "v1", "sessions", "me", "lifecycle", "refresh", "authn", "users"}
)
"""The parts of an Okta path a ``Send`` shows; any other (a session id) shows as ``...``."""


@dataclass(frozen=True, slots=True)
class Sleep:
    seconds: float


class Parse:
    """The step before reading a large body: CPU only, no I/O."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "PARSE"


PARSE = Parse()



@dataclass(frozen=True, slots=True)
class CacheOp:
    """Call ``operation(*arguments)`` on the cache (a cache key is a keyed hash, never a
    cookie; a session id is kept out of the repr)."""

    operation: CacheOperation
    arguments: tuple[object, ...]
    keywords: dict[str, object] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"CacheOp({self.operation!r})"


@dataclass(frozen=True, slots=True)
class Share:
    """Run ``flow`` once for every flow sharing ``key`` (per process).

    ``follow_for``: how long a flow that finds ``key`` running waits for its result
    (then ``OktaTimeoutError`` is thrown into it); None: it does not wait, its result
    is None at once. The flow that runs it is shielded: its own caller going away
    never cancels it halfway for the others."""

    key: str
    flow: Flow[object]
    follow_for: float | None


@dataclass(frozen=True, slots=True)
class Background:
    """Start ``flow`` detached from the flow that yields this, unless one with ``key``
    is already running in this process (then ``flow`` is closed unrun); the result is
    None at once, whatever ``flow`` does. Not the request's: its caller going away never
    cancels it, it gets a deadline of its own (one ``timeout``), its errors are logged,
    and the sync runner drops it when its few threads are all busy (what starts one
    must be fine without it: a refresh-ahead revalidation of a still-fresh entry)."""

    key: str
    flow: Flow[object]


Effect = Send | Sleep | Parse | CacheOp | Share | Background
Flow = Generator[Effect, object, T]
"""A flow returning ``T``: it sends back the result of each effect it yields."""


def cache_get(key: str) -> Flow[CacheEntry | None]:
    return cast("CacheEntry | None", (yield CacheOp("get", (key,))))


def cache_set(key: str, entry: CacheEntry) -> Flow[None]:
    yield CacheOp("set", (key, entry))


def cache_release(key: str) -> Flow[None]:
    """Give up this flow's claim on ``key`` (``cache_claim`` said YOURS) without storing
    an answer: its Okta call failed, so the next request for the cookie, on any worker,
    asks at once instead of waiting for an answer nobody is bringing."""
    yield CacheOp("release", (key,))


def cache_evict(key: str) -> Flow[None]:
    yield CacheOp("evict", (key,))


def cache_evict_session(session_id: str) -> Flow[bool]:
    """Forget every cached answer for one session (logout, admin revoke); False when a
    shared cache could only keep the end owed (``cache/protocol.py``)."""
    return (yield CacheOp("evict_session", (session_id,))) is not False


def cache_evict_user(user_id: str) -> Flow[bool]:
    """Forget every cached answer for one Okta user's sessions, and refuse any answer
    about them asked until now (an event hook, a revoke of all the user's sessions);
    False as for ``cache_evict_session``."""
    return (yield CacheOp("evict_user", (user_id,))) is not False


def cache_claim(key: str, ttl: float, take_over: bool = False) -> Flow[Claimed]:
    """Cross-process single flight: who asks Okta for ``key``. ``take_over``: the caller
    could not use the answer ANSWERED said was stored."""
    return cast(Claimed, (yield CacheOp("claim", (key, ttl), {"take_over": take_over})))


def cache_ended(
    key: str, session_id: str, asked_at: float = -math.inf, user_id: str = ""
) -> Flow[bool]:
    """True when the cookie ``key`` was logged out, the session revoked, or its user
    (``user_id``, when known) ended since an answer asked of Okta at ``asked_at``
    (the cache's "ended" marks)."""
    return bool((yield CacheOp("ended", (key, session_id, asked_at, user_id))))


def together(key: str, flow: Flow[T], follow_for: float) -> Flow[T]:
    """Run ``flow`` once for all concurrent flows sharing ``key``; each gets its result
    (a follower waits ``follow_for`` at most: then ``OktaTimeoutError``)."""
    result = yield Share(key, cast("Flow[object]", flow), follow_for)
    return cast(T, result)


def unless_running(key: str, flow: Flow[T]) -> Flow[T | None]:
    """Run ``flow`` unless one sharing ``key`` is running; then None at once."""
    result = yield Share(key, cast("Flow[object]", flow), None)
    return cast("T | None", result)


def in_background(key: str, flow: Flow[object]) -> Flow[None]:
    """Start ``flow`` detached (``Background``) unless one sharing ``key`` is running."""
    yield Background(key, flow)


def step(flow: Flow[T], value: object, error: BaseException | None) -> tuple[bool, object]:
    """Resume ``flow`` with ``value`` (or throw ``error`` into it): ``(False, effect)``
    for its next effect, ``(True, result)`` once it has returned. A plain value rather
    than ``StopIteration``, which cannot cross a thread or a future."""
    try:
        return False, flow.send(value) if error is None else flow.throw(error)
    except StopIteration as done:
        return True, done.value
