"""One request's deadline: all its Okta calls, and its waits for another request's
call, fit in one ``timeout`` (monotonic). Both runners read it; flows never do."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import httpx

from okta_session_mw.config import OktaSessionConfig
from okta_session_mw.errors import OktaTimeoutError

__all__ = [
    "FOLLOWER_MARGIN",
    "bound_request",
    "follower_wait",
    "request_deadline",
    "shared_wait",
    "sleep_within",
    "time_left",
]

_deadline: ContextVar[float | None] = ContextVar("okta_session_mw_deadline", default=None)

FOLLOWER_MARGIN = 1.0
"""A follower of a shared call waits for it at most its own time left plus this: the
leader's Okta call is bounded by its own deadline, but its cache calls (Redis: at
most 0.5 s to connect plus 0.5 s to answer) are not part of it."""


@contextmanager
def request_deadline(seconds: float) -> Iterator[None]:
    """Bound the Okta calls made inside the block to ``seconds`` in all, so a lookup
    and a refresh in one request never wait more than one timeout."""
    token = _deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def time_left(cap: float) -> float:
    """What is left for the next Okta call: ``cap``, cut to the request's deadline."""
    deadline = _deadline.get()
    left = cap if deadline is None else min(cap, deadline - time.monotonic())
    if left <= 0.01:
        raise OktaTimeoutError("no time left to ask Okta within this request's timeout")
    return left


_PHASES = ("connect", "read", "write", "pool")


def bound_request(request: httpx.Request, cap: float) -> float:
    """The seconds ``request`` may take (``time_left``), set as each of httpx's phase
    timeouts too, so the transport gives up no later than the runner's own bound."""
    seconds = time_left(cap)
    request.extensions["timeout"] = dict.fromkeys(_PHASES, seconds)
    return seconds


def sleep_within(seconds: float, cap: float | None) -> float:
    """A flow's ``Sleep`` under the request's deadline: ``seconds``, or ``OktaTimeoutError``
    when waking would pass it (a 429's Reset beyond the timeout, the last poll for
    another worker's answer): the request then goes on at once with what it has. With no
    ``cap`` (a client used directly), the sleep is as asked."""
    if cap is not None and seconds >= time_left(cap):
        raise OktaTimeoutError("waiting longer would pass this request's timeout")
    return seconds


def shared_wait(config: OktaSessionConfig) -> float:
    """How long a flow waits for a call another flow of this process is making for it (a
    lookup, a start-up probe), the ``follow_for`` of its ``Share``: one timeout (the
    other's call is bounded by it) plus ``FOLLOWER_MARGIN``; ``follower_wait`` then
    cuts it to this request's own time left. (Waiting for another *worker* is a poll:
    ``follow.py``, bounded by one timeout and the deadline.)"""
    return config.timeout + FOLLOWER_MARGIN


def follower_wait(follow_for: float) -> float:
    """How long a flow waits for a shared call another flow runs: ``follow_for`` (the
    flow's choice), cut to this request's time left plus ``FOLLOWER_MARGIN``."""
    deadline = _deadline.get()
    if deadline is None:
        return follow_for
    return max(0.0, min(follow_for, deadline - time.monotonic() + FOLLOWER_MARGIN))
