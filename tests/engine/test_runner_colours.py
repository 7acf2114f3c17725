"""The sync and async runners against the same scripted flows: the same results, the
same effects performed, in the same order; they differ only where the colour must.

A real ``MemorySessionCache`` (recorded), a fake ``send`` (``tests/support/runner_colours.py``);
waits are bounded so a runner that hangs fails the test instead.
"""

from __future__ import annotations

import asyncio
import threading

import httpx
import pytest

from okta_session_mw import OktaSessionConfig
from okta_session_mw.engine.effects import (
    PARSE,
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
from okta_session_mw.errors import OktaServerError
from tests.support.flow_steps import live_session
from tests.support.runner_colours import (
    BOUND,
    COLOURS,
    ME,
    NOW,
    Answer,
    Recorded,
    answering,
    catching,
    failing,
    one_flight,
    run,
    status_of,
)

CONFIG = OktaSessionConfig(org_url="https://example.okta.com")
ENTRY = positive_entry(live_session(NOW + 7200), NOW, CONFIG)
REFRESH = httpx.Request("POST", "https://example.okta.com/api/v1/sessions/me/lifecycle/refresh")


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
