"""The async runner: performs a flow's effects on one event loop (ASGI, the async client).

With ``sync_runner.py`` the only place where the two colours differ in what they do. Single
flight is per loop: a shared key runs as one task, shielded, so a request that goes
away (client gone) cancels neither the others' lookup nor a refresh halfway; a
background flow is a tracked task of its own (``background.py``).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from typing import TypeVar, cast

import anyio
import httpx

from okta_session_mw.cache.protocol import AsyncSessionCache, cache_methods
from okta_session_mw.engine.background import DEFAULT_DEADLINE, BackgroundTasks
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
from okta_session_mw.engine.parse_threads import step_on_parse_thread
from okta_session_mw.errors import OktaSessionError, OktaTimeoutError

__all__ = ["AsyncRunner"]

T = TypeVar("T")

AsyncSend = Callable[[Send], Awaitable[httpx.Response]]


class AsyncRunner:
    """As ``SyncRunner``, on the running loop; ``bound`` is enforced with a timeout on
    the awaiting side (the call is cancelled there)."""

    def __init__(
        self,
        send: AsyncSend,
        cache: AsyncSessionCache | None = None,
        *,
        bound: float | None = None,
    ) -> None:
        self._send = send
        # The cache's async methods, found once: a cache missing one fails here.
        self._cache_ops: dict[str, Callable[..., Awaitable[object]]] = (
            {} if cache is None else cache_methods(cache, "a")
        )
        self._bound = bound
        self._flights: dict[str, asyncio.Task[object]] = {}
        self._background = BackgroundTasks(self._run_background, bound or DEFAULT_DEADLINE)

    async def run(self, flow: Flow[T]) -> T:
        value: object = None
        error: BaseException | None = None
        off_loop = False
        while True:
            try:
                if off_loop:  # a large body: JSON and Session read on a worker thread
                    done, effect = await step_on_parse_thread(flow, self._bound)
                else:
                    done, effect = step(flow, value, error)
            finally:  # an error kept here would keep its traceback (this frame) alive
                value = error = None
            if done:
                return cast(T, effect)
            off_loop = isinstance(effect, Parse)
            if off_loop:
                continue
            try:
                value = await self._perform(cast(Effect, effect))
            except (OktaSessionError, httpx.HTTPError) as exc:
                error = exc

    async def _perform(self, effect: Effect) -> object:
        if isinstance(effect, CacheOp):
            return await self._cache_ops[effect.operation](*effect.arguments, **effect.keywords)
        if isinstance(effect, Send):
            if self._bound is None:
                return await self._send(effect)
            seconds = bound_request(effect.request, self._bound)
            try:  # a hard bound on the whole call, not only on each httpx phase
                return await asyncio.wait_for(self._send(effect), seconds)
            except asyncio.TimeoutError:
                raise OktaTimeoutError(f"Okta did not answer within {seconds:.2f} s") from None
        if isinstance(effect, Sleep):
            await anyio.sleep(sleep_within(effect.seconds, self._bound))
            return None
        if isinstance(effect, Background):
            self._background.start(effect)
            return None
        assert isinstance(effect, Share)  # Parse never reaches here
        return await self._share(effect)

    async def _run_background(self, effect: Background) -> object:
        return await self.run(effect.flow)

    async def aclose(self) -> None:
        """Wait for the background flows started here (then cancel what is left)."""
        await self._background.aclose()

    async def _share(self, effect: Share) -> object:
        task = self._flights.get(effect.key)
        if task is None:
            task = asyncio.ensure_future(self.run(effect.flow))
            self._flights[effect.key] = task
            task.add_done_callback(functools.partial(_forget, self._flights, effect.key))
            return await asyncio.shield(task)
        effect.flow.close()
        if effect.follow_for is None:
            return None
        try:  # shielded: a follower that stops waiting does not cancel the leader's call
            return await asyncio.wait_for(asyncio.shield(task), follower_wait(effect.follow_for))
        except asyncio.TimeoutError:
            raise OktaTimeoutError("timed out waiting for a concurrent Okta call") from None


def _forget(running: dict[str, asyncio.Task[object]], key: str, task: asyncio.Task[object]) -> None:
    """Done callback of a shared task: drop it from ``running``; its waiters re-raise."""
    if running.get(key) is task:
        del running[key]
    if not task.cancelled():
        task.exception()  # mark retrieved
