"""Where the service's flows run: the sync runner (one, shared by every thread) and one
async runner per event loop, each with the Okta client it sends through.

An httpx.AsyncClient and asyncio tasks belong to one loop, so each loop gets its own
runner and client, closed when the service closes or when the loop ends. Every run
gets one deadline: all of a request's Okta calls fit in one ``timeout``.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import AsyncGenerator, Callable
from typing import NamedTuple, TypeVar, cast

from okta_session_mw.cache.protocol import AsyncSessionCache, SessionCache
from okta_session_mw.engine.async_runner import AsyncRunner
from okta_session_mw.engine.deadline import request_deadline
from okta_session_mw.engine.effects import Flow
from okta_session_mw.engine.rules import OktaRequests, Rules
from okta_session_mw.engine.sync_runner import SyncRunner
from okta_session_mw.okta.clients import AsyncOktaSessionClient, OktaSessionClient

__all__ = ["AsyncSide", "MakeFlow", "Shared", "SyncSide"]

T = TypeVar("T")

MakeFlow = Callable[[Rules], Flow[T]]
"""A flow, given the rules of the runner that runs it (its client builds the requests)."""
MakeRules = Callable[[OktaRequests], Rules]
"""The service's rules with the given client (``Rules.okta``)."""


class Shared(NamedTuple):
    """What both sides share: the cache, the rules for a client, the timeout of a run."""

    cache: SessionCache | AsyncSessionCache
    make_rules: MakeRules
    timeout: float


class SyncSide:
    """The sync runner and its client, made on first use (a client passed in is used
    as given and never closed here: ``owns_client`` False)."""

    def __init__(
        self, shared: Shared, make_client: Callable[[], OktaSessionClient], owns_client: bool
    ) -> None:
        self._cache, self._make_rules, self._timeout = shared
        self._make_client, self._owns_client = make_client, owns_client
        self._lock = threading.Lock()
        self._made: tuple[SyncRunner, Rules, OktaSessionClient] | None = None

    def run(self, make: MakeFlow[T]) -> T:
        """Run the flow ``make`` gives, all its Okta calls within one timeout."""
        runner, rules, _ = self._made or self._make()
        with request_deadline(self._timeout):
            return runner.run(make(rules))

    def _make(self) -> tuple[SyncRunner, Rules, OktaSessionClient]:
        with self._lock:
            if self._made is None:
                client = self._make_client()
                cache = cast(SessionCache, self._cache)
                runner = SyncRunner(client.send, cache, bound=self._timeout)
                self._made = (runner, self._make_rules(client), client)
            return self._made

    def close(self) -> None:
        with self._lock:
            made, self._made = self._made, None
        if made is not None:
            made[0].close()  # its background flows first: they use the client
            if self._owns_client:
                made[2].close()


class _Loop(NamedTuple):
    runner: AsyncRunner
    rules: Rules
    guard: AsyncGenerator[None, None]


class AsyncSide:
    """One async runner and client per event loop (``loops``)."""

    def __init__(self, shared: Shared, make_client: Callable[[], AsyncOktaSessionClient]) -> None:
        self._cache, self._make_rules, self._timeout = shared
        self._make_client = make_client
        self.loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Loop] = (
            weakref.WeakKeyDictionary()
        )

    async def run(self, make: MakeFlow[T], *, shielded: bool = False) -> T:
        """Run the flow ``make`` gives on this loop's runner, within one timeout.

        ``shielded``: in a task of its own that the caller's cancellation does not stop
        (a logout or revoke whose browser went away must still evict what Okta closed)."""
        made = self.loops.get(asyncio.get_running_loop()) or await self._make()
        with request_deadline(self._timeout):
            if not shielded:
                return await made.runner.run(make(made.rules))
            task = asyncio.ensure_future(made.runner.run(make(made.rules)))
            task.add_done_callback(_retrieved)  # its caller may be gone: no "never retrieved"
            return await asyncio.shield(task)

    async def _make(self) -> _Loop:
        client = self._make_client()
        # Close the client when its loop shuts down (asyncio.run, anyio, uvicorn all
        # finalize async generators then), so short-lived loops (a TestClient used
        # without `with`, async_to_sync) leave no open sockets behind.
        loop = asyncio.get_running_loop()
        guard = _close_with_loop(client, lambda: self.loops.pop(loop, None))
        await guard.asend(None)
        runner = AsyncRunner(client.send, cast(AsyncSessionCache, self._cache), bound=self._timeout)
        made = self.loops[loop] = _Loop(
            runner, self._make_rules(client), guard
        )
        return made

    async def aclose(self) -> None:
        """Close this loop's client (others close with their loops)."""
        made = self.loops.pop(asyncio.get_running_loop(), None)
        if made is not None:
            await made.runner.aclose()  # its background flows first: they use the client
            await made.guard.aclose()  # its `finally` closes the client


async def _close_with_loop(
    client: AsyncOktaSessionClient, forget: Callable[[], object]
) -> AsyncGenerator[None, None]:
    """Suspended until the loop finalizes its async generators, then forgets the loop's
    runner (whose guard, this, refers to the loop: the weak key alone would never let it
    go) and closes ``client``."""
    try:
        yield
    finally:
        forget()
        await client.aclose()


def _retrieved(task: asyncio.Task[object]) -> None:
    if not task.cancelled():
        task.exception()
