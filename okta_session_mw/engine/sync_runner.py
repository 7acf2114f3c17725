"""The sync runner: performs a flow's effects on the calling thread (WSGI, the sync client).

With ``async_runner.py`` the only place where the two colours differ in what they do
(the service's methods differ only in colour, one line each): what an effect means is in
``effects.py``, every decision in the flows. Single flight spans
threads (a future per shared key); background flows run on a few threads of the
runner's own (``background.py``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeoutError
from typing import TypeVar, cast

import httpx

from okta_session_mw.cache.protocol import SessionCache, cache_methods
from okta_session_mw.engine.background import DEFAULT_DEADLINE, BackgroundThreads
from okta_session_mw.engine.deadline import bound_request, follower_wait, sleep_within
from okta_session_mw.engine.effects import (
    Background,
    CacheOp,
    Effect,
    Flow,
    Parse,
    Send,
    Share,
    Sleep,
    step,
)
from okta_session_mw.errors import OktaSessionError, OktaTimeoutError
from okta_session_mw.okta.call_handle import call_within

__all__ = ["SyncRunner"]

T = TypeVar("T")

SyncSend = Callable[[Send], httpx.Response]


class SyncRunner:
    """Runs flows: ``send`` performs a ``Send`` (a client's); ``cache`` the ``CacheOp``\\ s.

    ``bound``: the timeout of the whole of each Okta call (cut to the request's
    deadline; the call runs on a thread the request may abandon), or None to leave
    the call to httpx's per-phase timeouts (the client used directly)."""

    def __init__(
        self, send: SyncSend, cache: SessionCache | None = None, *, bound: float | None = None
    ) -> None:
        self._send = send
        # The cache's methods, found once: a cache missing one fails here, not mid-flow.
        self._cache_ops: dict[str, Callable[..., object]] = (
            {} if cache is None else cache_methods(cache)
        )
        self._bound = bound
        self._lock = threading.Lock()
        self._flights: dict[str, Future[object]] = {}
        self._background = BackgroundThreads(self._run_background, bound or DEFAULT_DEADLINE)

    def run(self, flow: Flow[T]) -> T:
        value: object = None
        error: BaseException | None = None
        while True:
            try:
                done, effect = step(flow, value, error)
            finally:  # an error kept here would keep its traceback (this frame) alive
                value = error = None
            if done:
                return cast(T, effect)
            try:
                value = self._perform(cast(Effect, effect))
            except (OktaSessionError, httpx.HTTPError) as exc:
                error = exc

    def _perform(self, effect: Effect) -> object:
        if isinstance(effect, CacheOp):
            return self._cache_ops[effect.operation](*effect.arguments, **effect.keywords)
        if isinstance(effect, Send):
            if self._bound is None:
                return self._send(effect)
            seconds = bound_request(effect.request, self._bound)
            return call_within(seconds, self._send, effect)
        if isinstance(effect, Sleep):
            time.sleep(sleep_within(effect.seconds, self._bound))
            return None
        if isinstance(effect, Parse):
            return None  # parse right here
        if isinstance(effect, Background):
            self._background.start(effect)
            return None
        return self._share(effect)

    def _run_background(self, effect: Background) -> object:
        return self.run(effect.flow)

    def close(self) -> None:
        """Wait for the background flows started here (each within its deadline)."""
        self._background.close()

    def _share(self, effect: Share) -> object:
        with self._lock:
            running = self._flights.get(effect.key)
            if running is None:
                mine: Future[object] = Future()
                self._flights[effect.key] = mine
        if running is not None:
            effect.flow.close()
            if effect.follow_for is None:
                return None
            try:
                return running.result(timeout=follower_wait(effect.follow_for))
            except FutureTimeoutError:
                raise OktaTimeoutError("timed out waiting for a concurrent Okta call") from None
        try:
            result = self.run(effect.flow)
        except BaseException as exc:
            mine.set_exception(exc)
            raise
        else:
            mine.set_result(result)
            return result
        finally:
            with self._lock:
                del self._flights[effect.key]

