"""The two runners, sync and async, against the same scripted flows: they differ only in
colour, never in what a flow sees."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from okta_session_mw.engine.async_runner import AsyncRunner
from okta_session_mw.engine.effects import Flow, Send, together
from okta_session_mw.engine.sync_runner import SyncRunner
from okta_session_mw.errors import OktaTimeoutError

REQUEST = httpx.Request("GET", "https://example.okta.com/api/v1/sessions/me")


def asking() -> Flow[int]:
    """One Send; the answer's status is the result."""
    response = yield Send(REQUEST)
    assert isinstance(response, httpx.Response)
    return response.status_code


def follower_outcome(flow: Flow[object]) -> Flow[str]:
    """What a follower of a shared call sees: its result, or that it stopped waiting."""
    try:
        return f"result {(yield from flow)}"
    except OktaTimeoutError:
        return "gave up"


def run_both_ways(colour: str, script: Callable[[], Flow[Any]], hold: threading.Event) -> list[Any]:
    """Run ``script()`` twice at once (a leader, then a follower) in ``colour``; the
    leader's Send answers only once ``hold`` is set, after the follower is done."""
    outcomes: list[Any] = []
    if colour == "sync":

        def send(_: Send) -> httpx.Response:
            hold.wait(10)
            return httpx.Response(200)

        runner = SyncRunner(send)
        leader = threading.Thread(target=lambda: outcomes.append(runner.run(script())))
        leader.start()
        while not runner._flights:  # the leader's shared call is running
            threading.Event().wait(0.001)
        try:
            outcomes.append(runner.run(script()))
        finally:
            hold.set()
        leader.join(10)
        return outcomes

    async def main() -> None:
        released = asyncio.Event()

        async def asend(_: Send) -> httpx.Response:
            await released.wait()
            return httpx.Response(200)

        runner = AsyncRunner(asend)
        first = asyncio.ensure_future(runner.run(script()))
        while not runner._flights:
            await asyncio.sleep(0.001)
        try:  # bounded here, so that a follower waiting for good fails instead of hanging
            outcomes.append(await asyncio.wait_for(runner.run(script()), 5))
        finally:
            released.set()
        outcomes.insert(0, await first)

    asyncio.run(main())
    return outcomes


@pytest.mark.parametrize("colour", ["sync", "async"])
def test_i11_02_a_follower_stops_waiting_for_a_stuck_leader_the_same_way_in_both_colours(
    colour: str,
) -> None:
    """Follower timeouts are decided once (``Share.follow_for``): past it, a follower of
    a shared call gets ``OktaTimeoutError`` whatever the colour, and the leader still
    finishes its call for itself."""
    script = lambda: follower_outcome(together("lookup:k", asking(), 0.2))  # noqa: E731
    outcomes = run_both_ways(colour, script, threading.Event())
    assert sorted(outcomes) == ["gave up", "result 200"]  # the follower's, the leader's
