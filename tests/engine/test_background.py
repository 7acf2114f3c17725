"""The ``Background`` effect in both runners: started detached (the flow that yields it
goes on at once), one per key, its errors logged and never raised, waited for at close;
the sync runner's few threads and bounded queue (full: dropped)."""

from __future__ import annotations

import asyncio
import logging
import threading
import time

import httpx
import pytest

from okta_session_mw.engine import background
from okta_session_mw.engine.async_runner import AsyncRunner
from okta_session_mw.engine.effects import Flow, Send, in_background
from okta_session_mw.engine.sync_runner import SyncRunner

ME = httpx.Request("GET", "https://example.okta.com/api/v1/sessions/me")
BOUND = 10.0


def held(release: threading.Event, ran: list[str], name: str, fail: bool = False) -> Flow[None]:
    """A background flow whose one Okta call is held until ``release``."""
    yield Send(ME)
    ran.append(name)
    if fail:
        raise RuntimeError("a bug in a background flow")


def starts(*flows: tuple[str, Flow[None]]) -> Flow[str]:
    for key, flow in flows:
        yield from in_background(key, flow)
    return "served"


@pytest.mark.parametrize("colour", ["sync", "async"])
def test_i14_19_background_flows_run_detached_once_per_key_errors_logged(
    colour: str, caplog: pytest.LogCaptureFixture
) -> None:
    release = threading.Event()
    ran: list[str] = []
    first = held(release, ran, "first", fail=True)
    again = held(release, ran, "again")  # the same key while the first runs: not run
    other = held(release, ran, "other")
    flow = starts(("k", first), ("k", again), ("j", other))

    def send(effect: Send) -> httpx.Response:
        assert release.wait(BOUND), "never released"
        return httpx.Response(200)

    if colour == "sync":
        runner = SyncRunner(send, bound=5.0)
        assert runner.run(flow) == "served"  # while both are held at "Okta"
        assert ran == []
        release.set()
        runner.close()  # waits for them
    else:

        async def asend(effect: Send) -> httpx.Response:
            return await asyncio.to_thread(send, effect)

        async def main() -> None:
            runner = AsyncRunner(asend, bound=5.0)
            assert await runner.run(flow) == "served"
            assert ran == []
            release.set()
            await runner.aclose()

        asyncio.run(main())
    assert sorted(ran) == ["first", "other"]
    assert again.gi_frame is None  # closed unrun
    assert "a background revalidation failed" in caplog.text  # logged, not raised
    assert any(r.levelno == logging.ERROR for r in caplog.records)


def test_i14_19_the_sync_runners_queue_drops_what_does_not_fit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(background, "THREADS", 1)
    monkeypatch.setattr(background, "QUEUED", 1)
    release, reached = threading.Event(), threading.Event()
    ran: list[str] = []

    def send(effect: Send) -> httpx.Response:
        reached.set()
        assert release.wait(BOUND), "never released"
        return httpx.Response(200)

    runner = SyncRunner(send, bound=5.0)
    runner.run(starts(("a", held(release, ran, "running"))))
    assert reached.wait(BOUND)  # the one thread holds it at its Send: the queue is empty
    queued, dropped = held(release, ran, "queued"), held(release, ran, "dropped")
    assert runner.run(starts(("b", queued), ("c", dropped))) == "served"
    assert dropped.gi_frame is None  # the queue was full: dropped at once
    release.set()
    deadline = time.monotonic() + BOUND  # a bound on "never happens", not a timing
    while len(ran) < 2:
        assert time.monotonic() < deadline, "the queued flow never ran"
        time.sleep(0.005)
    assert ran == ["running", "queued"]
    runner.close()


def test_i14_19_closing_the_sync_runner_drops_what_is_still_queued(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(background, "THREADS", 1)
    release, reached = threading.Event(), threading.Event()
    ran: list[str] = []

    def send(effect: Send) -> httpx.Response:
        reached.set()
        assert release.wait(BOUND), "never released"
        return httpx.Response(200)

    runner = SyncRunner(send, bound=5.0)
    runner.run(starts(("a", held(release, ran, "running"))))
    assert reached.wait(BOUND)
    queued = held(release, ran, "queued")
    runner.run(starts(("b", queued)))
    closing = threading.Thread(target=runner.close)
    closing.start()  # waits for the running one; the queued one goes unrun
    deadline = time.monotonic() + BOUND
    while queued.gi_frame is not None:  # closed unrun by close()
        assert time.monotonic() < deadline, "close() never dropped the queued flow"
        time.sleep(0.005)
    release.set()
    closing.join(BOUND)
    assert not closing.is_alive()
    assert ran == ["running"]
