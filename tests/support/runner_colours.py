"""Running one flow in either colour, for the runner tests: the runner, a fake Okta,
a recorded cache, and single flights whose followers are seen joining.

``run(colour, flow, send)`` runs a flow with the sync or the async runner; waits on
other threads or tasks are bounded (``BOUND``) so a runner that hangs fails a test
instead. ``one_flight`` runs a leader and followers of one shared key, the leader's
Send held until every follower has joined.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Generator
from contextlib import nullcontext
from typing import Any, TypeVar

import httpx

from okta_session_mw.cache.memory import MemorySessionCache
from okta_session_mw.engine.async_runner import AsyncRunner
from okta_session_mw.engine.deadline import request_deadline
from okta_session_mw.engine.effects import Effect, Flow, Send, together, unless_running
from okta_session_mw.engine.sync_runner import SyncRunner
from okta_session_mw.errors import OktaSessionError

T = TypeVar("T")
COLOURS = ["sync", "async"]
BOUND = 10.0
"""How long a test waits for another thread or task: only to fail instead of hanging."""
ME = httpx.Request("GET", "https://example.okta.com/api/v1/sessions/me")
NOW = 1_800_000_000.0


class Recorded:
    """A cache that logs each call of its protocol (sync or async form) by name."""

    def __init__(self, log: list[str]) -> None:
        self._cache = MemorySessionCache(100, timer=lambda: NOW)
        self._log = log

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._cache, name)
        if not name.startswith("a"):

            def logged(*args: Any, **kwargs: Any) -> Any:
                self._log.append(name)
                return method(*args, **kwargs)

            return logged

        async def recorded(*args: Any, **kwargs: Any) -> Any:
            self._log.append(name[1:])
            return await method(*args, **kwargs)

        return recorded


def run(
    colour: str,
    flow: Flow[T],
    send: Callable[[Send], httpx.Response],
    asend: Callable[[Send], Awaitable[httpx.Response]] | None = None,
    *,
    deadline: float | None = None,
    **runner: Any,
) -> T:
    """``flow`` run to its end by ``colour``'s runner, against the fake Okta ``send``
    (which the async runner awaits, unless ``asend`` is given), within a request's
    ``deadline`` if given."""
    within = request_deadline(deadline) if deadline is not None else nullcontext()
    if colour == "sync":
        with within:
            return SyncRunner(send, **runner).run(flow)

    async def awaited(effect: Send) -> httpx.Response:
        return send(effect)

    async def main() -> T:
        with within:
            return await AsyncRunner(asend or awaited, **runner).run(flow)

    return asyncio.run(main())


def answering(log: list[str], status: int = 200) -> Callable[[Send], httpx.Response]:
    def send(effect: Send) -> httpx.Response:
        log.append(f"send {effect.request.method}")
        return httpx.Response(status)

    return send


def status_of(request: httpx.Request) -> Flow[int]:
    response = yield Send(request)
    assert isinstance(response, httpx.Response)
    return response.status_code


def catching(flow: Flow[T]) -> Flow[str]:
    """What the flow sees: its result, or the error thrown into it."""
    try:
        return f"result {(yield from flow)}"
    except (httpx.HTTPError, OktaSessionError) as exc:
        return f"thrown in {type(exc).__name__}"


def failing(exc: Exception) -> Callable[[Send], httpx.Response]:
    def send(effect: Send) -> httpx.Response:
        raise exc

    return send


class Dropped(Generator[Effect, object, T]):
    """A shared sub-flow that says when a runner drops it: a follower found the key
    running and joins that flow instead (the runners close the flow they do not run)."""

    def __init__(self, flow: Flow[T], dropped: Callable[[], None]) -> None:
        self._flow, self._dropped = flow, dropped

    def send(self, value: object) -> Effect:
        return self._flow.send(value)

    def throw(self, *args: Any) -> Effect:
        return self._flow.throw(*args)

    def close(self) -> None:
        self._dropped()
        self._flow.close()


def sharing(dropped: Callable[[], None]) -> Flow[str]:
    return catching(together("k", Dropped(status_of(ME), dropped), BOUND))


Answer = Callable[[], httpx.Response]


def one_flight(colour: str, answer: Answer) -> tuple[list[str], object, int]:
    """A leader and two followers share key "k" while the leader's Send is held, and a
    fourth flow asks for "k" unless running. Their outcomes (leader first), the
    fourth's, and how many Sends were made."""
    if colour == "sync":
        return _one_flight_sync(answer)
    return asyncio.run(_one_flight_async(answer))


def _one_flight_sync(answer: Answer) -> tuple[list[str], object, int]:
    sends: list[Send] = []
    sending, release, drops = threading.Event(), threading.Event(), threading.Semaphore(0)

    def send(effect: Send) -> httpx.Response:
        sends.append(effect)
        sending.set()
        assert release.wait(BOUND)
        return answer()

    runner = SyncRunner(send)
    outcomes: dict[str, str] = {}

    def start(name: str) -> threading.Thread:
        def flow() -> None:
            outcomes[name] = runner.run(sharing(drops.release))

        thread = threading.Thread(target=flow, daemon=True)
        thread.start()
        return thread

    threads = [start("leader")]
    try:
        assert sending.wait(BOUND)
        threads += [start("first"), start("second")]
        assert drops.acquire(timeout=BOUND) and drops.acquire(timeout=BOUND)  # both joined
        quick = runner.run(unless_running("k", Dropped(status_of(ME), drops.release)))
    finally:
        release.set()
    for thread in threads:
        thread.join(BOUND)
    return [outcomes["leader"], outcomes["first"], outcomes["second"]], quick, len(sends)


async def _one_flight_async(answer: Answer) -> tuple[list[str], object, int]:
    sends: list[Send] = []
    sending, release = asyncio.Event(), asyncio.Event()
    drops: list[int] = []

    async def asend(effect: Send) -> httpx.Response:
        sends.append(effect)
        sending.set()
        await asyncio.wait_for(release.wait(), BOUND)
        return answer()

    async def joined() -> None:
        while len(drops) < 2:
            await asyncio.sleep(0.001)

    runner = AsyncRunner(asend)
    tasks = [asyncio.ensure_future(runner.run(sharing(lambda: drops.append(1))))]
    try:
        await asyncio.wait_for(sending.wait(), BOUND)
        tasks += [asyncio.ensure_future(runner.run(sharing(lambda: drops.append(1))))]
        tasks += [asyncio.ensure_future(runner.run(sharing(lambda: drops.append(1))))]
        await asyncio.wait_for(joined(), BOUND)
        fourth = unless_running("k", Dropped(status_of(ME), lambda: drops.append(1)))
        quick = await asyncio.wait_for(runner.run(fourth), BOUND)
    finally:
        release.set()
    outcomes = await asyncio.wait_for(asyncio.gather(*tasks), BOUND)
    return list(outcomes), quick, len(sends)
