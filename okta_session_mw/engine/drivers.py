"""The two drivers that run ``flow`` generators: one async (ASGI), one sync (WSGI).

They only perform effects: cache I/O, Okta calls with a hard time bound, and single
flight (``Coalesce``: concurrent requests share one run; ``Solo``: a second request
does not wait, it goes on with what it has). Every decision stays in ``flow.py``.
"""

from __future__ import annotations

import asyncio
import functools
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeoutError
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from okta_session_mw.cache.memory import AsyncSessionCache, Claimed, SessionCache
from okta_session_mw.engine.effects import (
    AwaitEntry,
    CacheEvict,
    CacheEvictSession,
    CacheGet,
    CacheSet,
    CallOkta,
    Claim,
    Coalesce,
    Effect,
    Ended,
    Flow,
    Solo,
)
from okta_session_mw.engine.policy import is_fresh
from okta_session_mw.engine.stats import SessionStats
from okta_session_mw.errors import OktaSessionError, OktaTimeoutError
from okta_session_mw.okta.call_handle import CallHandle
from okta_session_mw.okta.clients import AsyncOktaSessionClient, OktaSessionClient

__all__ = ["AsyncDriver", "SyncDriver", "request_deadline"]

T = TypeVar("T")

# How often a worker polls a shared cache for another worker's answer.
_POLL_INTERVAL = 0.01

# Sync followers of a single flight wait for the leader at most their remaining budget
# plus this: the leader's Okta call is bounded by its own budget, but its cache calls
# (Redis: at most 0.5 s to connect plus 0.5 s to answer) are not part of it.
_FOLLOWER_MARGIN = 1.0


@contextmanager
def _observed(stats: SessionStats, operation: str) -> Iterator[None]:
    """Count one Okta call, its latency and its error kind in ``stats``."""
    started = time.perf_counter()
    try:
        yield
    except OktaSessionError as exc:
        stats.okta_call(operation, time.perf_counter() - started, exc)
        raise
    stats.okta_call(operation, time.perf_counter() - started, None)


_deadline: ContextVar[float | None] = ContextVar("okta_session_mw_deadline", default=None)


@contextmanager
def request_deadline(seconds: float) -> Iterator[None]:
    """Bound the Okta calls made inside the block to ``seconds`` in all (monotonic),
    so a lookup and a refresh in one request never wait more than one timeout."""
    token = _deadline.set(time.monotonic() + seconds)
    try:
        yield
    finally:
        _deadline.reset(token)


def _budget(timeout: float) -> float:
    """What is left for the next Okta call: the timeout, cut to the request's deadline."""
    deadline = _deadline.get()
    left = timeout if deadline is None else min(timeout, deadline - time.monotonic())
    if left <= 0.01:
        raise OktaTimeoutError("no time left to ask Okta within this request's timeout")
    return left


def _within(timeout: float, method: Callable[..., Any], argument: str) -> Any:
    """Call ``method`` with a bound on the *whole* call, not only on each httpx phase
    (an answer trickling in a byte at a time would otherwise hold the thread for good).

    The call runs on a daemon thread; past ``timeout`` the request goes on with an
    ``OktaTimeoutError`` and abandons the call: its connection is shut at once (see
    ``call_handle.py``), so the thread ends and the pool is whole again, however slowly
    Okta trickles. Only cache misses pay for the thread.
    """
    done: Future[Any] = Future()
    handle = CallHandle()

    def call() -> None:
        with handle.running():
            try:
                done.set_result(method(argument, timeout=timeout))
            except BaseException as exc:  # handed to the waiting request
                done.set_exception(exc)

    threading.Thread(target=call, name="okta-session-mw-call", daemon=True).start()
    try:
        return done.result(timeout=timeout)
    except FutureTimeoutError:
        handle.abandon()
        raise OktaTimeoutError(f"Okta did not answer within {timeout} s") from None


def _step(flow: Flow, value: Any, error: OktaSessionError | None) -> tuple[bool, Any]:
    """Advance a flow by one effect: ``(True, result)`` once it has returned."""
    try:
        effect = flow.throw(error) if error is not None else flow.send(value)
    except StopIteration as stop:
        return True, stop.value
    return False, effect


class AsyncDriver:
    """Runs flows on one event loop; single flight through shared, shielded tasks."""

    def __init__(
        self,
        cache: AsyncSessionCache,
        client: AsyncOktaSessionClient,
        timeout: float,
        stats: SessionStats,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.clock = clock
        self.cache = cache
        self.client = client
        self.timeout = timeout
        self.stats = stats
        self._flights: dict[str, asyncio.Task[Any]] = {}
        self._solo: dict[str, asyncio.Task[Any]] = {}

    async def run(self, flow: Flow) -> Any:
        value: Any = None
        error: OktaSessionError | None = None
        while True:
            done, effect = _step(flow, value, error)
            if done:
                return effect
            value, error = None, None
            try:
                value = await self._perform(effect)
            except OktaSessionError as exc:
                error = exc

    async def _perform(self, effect: Effect) -> Any:
        if isinstance(effect, CacheGet):
            return await self.cache.aget(effect.key)
        if isinstance(effect, CacheSet):
            return await self.cache.aset(effect.key, effect.entry)
        if isinstance(effect, CallOkta):
            method: Callable[..., Awaitable[Any]] = getattr(self.client, effect.operation)
            with _observed(self.stats, effect.operation):
                budget = _budget(self.timeout)
                try:  # a hard bound on the whole call, not only on each httpx phase
                    return await asyncio.wait_for(method(effect.argument, timeout=budget), budget)
                except asyncio.TimeoutError:
                    message = f"Okta did not answer within {budget:.2f} s"
                    raise OktaTimeoutError(message) from None
        if isinstance(effect, Coalesce):
            task = self._flights.get(effect.key)
            if task is None:
                task = asyncio.ensure_future(self.run(effect.flow))
                self._flights[effect.key] = task
                task.add_done_callback(functools.partial(_forget, self._flights, effect.key))
            else:
                effect.flow.close()
            # shield: a cancelled request (client gone) must not cancel the others' lookup
            return await asyncio.shield(task)
        if isinstance(effect, Solo):
            if effect.key in self._solo:
                effect.flow.close()
                return None
            # A task of its own, shielded: a request that goes away (client gone) must
            # not cancel a refresh halfway, leaving it marked as tried.
            solo = asyncio.ensure_future(self.run(effect.flow))
            self._solo[effect.key] = solo
            solo.add_done_callback(functools.partial(_forget, self._solo, effect.key))
            return await asyncio.shield(solo)
        if isinstance(effect, Claim):
            return await self.cache.aclaim(effect.key, self.timeout, take_over=effect.take_over)
        if isinstance(effect, AwaitEntry):
            deadline = time.monotonic() + _budget(self.timeout)
            while time.monotonic() < deadline:
                await asyncio.sleep(_POLL_INTERVAL)
                entry = await self.cache.aget(effect.key)
                if is_fresh(entry, self.clock()):
                    return entry, Claimed.ANSWERED
                claim = await self.cache.aclaim(effect.key, self.timeout)
                if claim is not Claimed.ASKING:
                    return None, claim
            return None, Claimed.ASKING
        if isinstance(effect, Ended):
            return await self.cache.aended(effect.key, effect.session_id, effect.asked_at)
        if isinstance(effect, CacheEvict):
            return await self.cache.aevict(effect.key)
        assert isinstance(effect, CacheEvictSession)
        return await self.cache.aevict_session(effect.session_id)


def _forget(running: dict[str, asyncio.Task[Any]], key: str, task: asyncio.Task[Any]) -> None:
    """Done callback of a shared task: drop it from ``running``; its waiters re-raise."""
    if running.get(key) is task:
        del running[key]
    if not task.cancelled():
        task.exception()  # mark retrieved


class SyncDriver:
    """Runs flows on the calling thread; single flight across threads with futures."""

    def __init__(
        self,
        cache: SessionCache,
        client: OktaSessionClient,
        timeout: float,
        stats: SessionStats,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.clock = clock
        self.cache = cache
        self.client = client
        self.timeout = timeout
        self.stats = stats
        self._lock = threading.Lock()
        self._flights: dict[str, Future[Any]] = {}
        self._solo: set[str] = set()

    def run(self, flow: Flow) -> Any:
        value: Any = None
        error: OktaSessionError | None = None
        while True:
            done, effect = _step(flow, value, error)
            if done:
                return effect
            value, error = None, None
            try:
                value = self._perform(effect)
            except OktaSessionError as exc:
                error = exc

    def _perform(self, effect: Effect) -> Any:
        if isinstance(effect, CacheGet):
            return self.cache.get(effect.key)
        if isinstance(effect, CacheSet):
            return self.cache.set(effect.key, effect.entry)
        if isinstance(effect, CallOkta):
            method: Callable[..., Any] = getattr(self.client, effect.operation)
            with _observed(self.stats, effect.operation):
                return _within(_budget(self.timeout), method, effect.argument)
        if isinstance(effect, Coalesce):
            return self._coalesce(effect)
        if isinstance(effect, Solo):
            with self._lock:
                busy = effect.key in self._solo
                self._solo.add(effect.key)
            if busy:
                effect.flow.close()
                return None
            try:
                return self.run(effect.flow)
            finally:
                with self._lock:
                    self._solo.discard(effect.key)
        if isinstance(effect, Claim):
            return self.cache.claim(effect.key, self.timeout, take_over=effect.take_over)
        if isinstance(effect, AwaitEntry):
            deadline = time.monotonic() + _budget(self.timeout)
            while time.monotonic() < deadline:
                time.sleep(_POLL_INTERVAL)
                entry = self.cache.get(effect.key)
                if is_fresh(entry, self.clock()):
                    return entry, Claimed.ANSWERED
                claim = self.cache.claim(effect.key, self.timeout)
                if claim is not Claimed.ASKING:
                    return None, claim
            return None, Claimed.ASKING
        if isinstance(effect, Ended):
            return self.cache.ended(effect.key, effect.session_id, effect.asked_at)
        if isinstance(effect, CacheEvict):
            return self.cache.evict(effect.key)
        assert isinstance(effect, CacheEvictSession)
        return self.cache.evict_session(effect.session_id)

    def _coalesce(self, effect: Coalesce) -> Any:
        with self._lock:
            future = self._flights.get(effect.key)
            leader = future is None
            if future is None:
                future = self._flights[effect.key] = Future()
        if not leader:
            effect.flow.close()
            try:
                return future.result(timeout=_budget(self.timeout) + _FOLLOWER_MARGIN)
            except FutureTimeoutError:
                raise OktaTimeoutError("timed out waiting for a concurrent Okta lookup") from None
        try:
            result = self.run(effect.flow)
        except BaseException as exc:
            future.set_exception(exc)
            raise
        else:
            future.set_result(result)
            return result
        finally:
            with self._lock:
                self._flights.pop(effect.key, None)
