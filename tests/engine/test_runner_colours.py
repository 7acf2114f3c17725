"""The sync and async runners against the same scripted flows: the same results, the
same effects performed, in the same order; they differ only where the colour must.

A real ``MemorySessionCache`` (recorded), a fake ``send``; waits are bounded so a
runner that hangs fails the test instead.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Generator
from contextlib import nullcontext
from typing import Any, TypeVar

import httpx
import pytest

from okta_session_mw import OktaSessionConfig
from okta_session_mw.cache.memory import MemorySessionCache
from okta_session_mw.engine.async_runner import AsyncRunner
from okta_session_mw.engine.deadline import request_deadline
from okta_session_mw.engine.effects import (
    PARSE,
    Effect,
    Flow,
    Send,
    Sleep,
    cache_claim,
    cache_ended,
    cache_evict,
    cache_evict_session,
    cache_get,
    cache_set,
    together,
    unless_running,
)
from okta_session_mw.engine.policy import positive_entry
from okta_session_mw.engine.sync_runner import SyncRunner
from okta_session_mw.errors import OktaServerError, OktaSessionError
from tests.support.flow_steps import live_session

T = TypeVar("T")
COLOURS = ["sync", "async"]
NOW = 1_800_000_000.0
CONFIG = OktaSessionConfig(org_url="https://example.okta.com")
ENTRY = positive_entry(live_session(NOW + 7200), NOW, CONFIG)
ME = httpx.Request("GET", "https://example.okta.com/api/v1/sessions/me")
REFRESH = httpx.Request("POST", "https://example.okta.com/api/v1/sessions/me/lifecycle/refresh")
BOUND = 10.0
"""How long a test waits for another thread or task: only to fail instead of hanging."""


class Recorded:
    """A cache that logs each call of its protocol (sync or async form) by name."""

    def __init__(self, log: list[str]) -> None:
        self._cache = MemorySessionCache(100, timer=lambda: NOW)
        self._log = log

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._cache, name)
        if not name.startswith("a"):
            return lambda *args, **kwargs: self._log.append(name) or method(*args, **kwargs)

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


def every_effect(trace: list[str]) -> Flow[str]:
    """One of each effect kind, each result written down as the flow sees it."""
    trace.append(f"get {(yield from cache_get('k'))}")
    yield from cache_set("k", ENTRY)
    trace.append(f"get again {(yield from cache_get('k')) == ENTRY}")
    trace.append(f"claim {(yield from cache_claim('k', 5.0)).name}")
    trace.append(
        f"ended {(yield from cache_ended('k', ENTRY.session.id if ENTRY.session else ''))}"
    )
    trace.append(f"sent {(yield from status_of(ME))}")
    trace.append(f"slept {(yield Sleep(0.0))}")
    trace.append(f"parsed {(yield PARSE)}")
    trace.append(f"together {(yield from together('one', status_of(REFRESH), BOUND))}")
    trace.append(f"unless running {(yield from unless_running('two', status_of(ME)))}")
    assert ENTRY.session is not None
    yield from cache_evict_session(ENTRY.session.id)
    yield from cache_evict("k")
    trace.append(f"gone {(yield from cache_get('k'))}")
    trace.append(f"ended now {(yield from cache_ended('k', ENTRY.session.id))}")
    return "done"


@pytest.mark.parametrize("colour", COLOURS)
def test_i11_05_every_effect_kind_is_performed_the_same_in_both_colours(colour: str) -> None:
    performed: list[str] = []
    trace: list[str] = []
    result = run(colour, every_effect(trace), answering(performed), cache=Recorded(performed))
    assert result == "done"
    assert trace == [
        "get None",
        "get again True",
        "claim YOURS",
        "ended False",
        "sent 200",
        "slept None",
        "parsed None",
        "together 200",
        "unless running 200",
        "gone None",
        "ended now True",
    ]
    assert performed == [
        *("get", "set", "get", "claim", "ended", "send GET", "send POST", "send GET"),
        *("evict_session", "evict", "get", "ended"),
    ]


def threads_seen(seen: list[int]) -> Flow[None]:
    seen.append(threading.get_ident())
    yield PARSE
    seen.append(threading.get_ident())  # the large body is read here
    yield from status_of(ME)
    seen.append(threading.get_ident())


@pytest.mark.parametrize(("colour", "parsed_on"), [("sync", "caller"), ("async", "worker")])
def test_i11_05_parse_resumes_on_a_worker_thread_in_async_only(colour: str, parsed_on: str) -> None:
    seen: list[int] = []
    run(colour, threads_seen(seen), answering([]))
    before, parsing, after = seen
    assert (before == parsing) is (parsed_on == "caller")
    assert after == before  # back on the loop (or the caller) for the next effect


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


@pytest.mark.parametrize("colour", COLOURS)
@pytest.mark.parametrize(
    "exc", [httpx.ConnectError("refused"), OktaServerError(503)], ids=["httpx", "okta"]
)
def test_i11_05_send_errors_are_thrown_into_the_flow_in_both_colours(
    colour: str, exc: Exception
) -> None:
    assert run(colour, catching(status_of(ME)), failing(exc)) == f"thrown in {type(exc).__name__}"


@pytest.mark.parametrize("colour", COLOURS)
def test_i11_05_any_other_error_propagates_out_of_run_in_both_colours(colour: str) -> None:
    with pytest.raises(RuntimeError, match="a bug"):
        run(colour, catching(status_of(ME)), failing(RuntimeError("a bug")))


@pytest.mark.parametrize("colour", COLOURS)
def test_i11_05_a_send_past_the_request_deadline_times_out_in_both_colours(colour: str) -> None:
    released = threading.Event()

    def stuck(effect: Send) -> httpx.Response:  # on the call's thread the request abandons
        released.wait(BOUND)
        return httpx.Response(200)

    async def astuck(effect: Send) -> httpx.Response:  # cancelled at the deadline
        await asyncio.sleep(BOUND)
        return httpx.Response(200)

    try:
        outcome = run(colour, catching(status_of(ME)), stuck, astuck, bound=5.0, deadline=0.2)
    finally:
        released.set()
    assert outcome == "thrown in OktaTimeoutError"


@pytest.mark.parametrize("colour", COLOURS)
def test_i11_05_no_time_left_sends_nothing_and_times_out_in_both_colours(colour: str) -> None:
    sent: list[str] = []
    outcome = run(colour, catching(status_of(ME)), answering(sent), bound=5.0, deadline=0.0)
    assert outcome == "thrown in OktaTimeoutError"
    assert sent == []


@pytest.mark.parametrize("colour", COLOURS)
def test_i11_05_a_bounded_send_carries_its_time_left_in_every_phase(colour: str) -> None:
    timeouts: list[dict[str, float]] = []

    def send(effect: Send) -> httpx.Response:
        timeouts.append(effect.request.extensions["timeout"])
        return httpx.Response(204)

    request = httpx.Request("GET", ME.url)
    assert run(colour, status_of(request), send, bound=5.0, deadline=3.0) == 204
    (timeout,) = timeouts
    assert sorted(timeout) == ["connect", "pool", "read", "write"]
    assert all(0 < seconds <= 3.0 for seconds in timeout.values())


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
    sending, release, drops = asyncio.Event(), asyncio.Event(), []

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


def okta_fails() -> httpx.Response:
    raise OktaServerError(503)


@pytest.mark.parametrize("colour", COLOURS)
@pytest.mark.parametrize(
    ("answer", "seen"),
    [(lambda: httpx.Response(200), "result 200"), (okta_fails, "thrown in OktaServerError")],
    ids=["result", "error"],
)
def test_i11_05_one_of_concurrent_flows_sharing_a_key_runs_it_and_all_get_its_outcome(
    colour: str, answer: Answer, seen: str
) -> None:
    outcomes, quick, sends = one_flight(colour, answer)
    assert outcomes == [seen] * 3
    assert quick is None  # follow_for None: did not wait for the running flow
    assert sends == 1
