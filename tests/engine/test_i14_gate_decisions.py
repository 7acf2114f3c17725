"""The shared gate's decisions, with no I/O (issue 14.2, 14.3): what a process asks a
shared gate (floors written once, in ``rate_buckets.floor_of``), how it takes in the
answer, and how many call slots each spender may find held."""

from __future__ import annotations

from okta_session_mw.cache.gate_state import GateVerdict, SharedWindow
from okta_session_mw.engine.limits import RateLimitGate, Spender
from okta_session_mw.engine.rate_buckets import slots_for
from okta_session_mw.errors import RateLimit

NOW = 1_000_000.0
LOOKUP = "get_current_session"


def gate_with(remaining: int, limit: int = 100) -> RateLimitGate:
    gate = RateLimitGate(0.2)
    gate.observe(LOOKUP, RateLimit(limit, remaining, int(NOW) + 30, NOW), NOW)
    return gate


def test_i14_25_a_shared_ask_carries_each_spenders_floor_and_this_processs_count() -> None:
    gate = gate_with(50)
    new = gate.shared_ask(LOOKUP, Spender.NEW_COOKIE, NOW)
    sign_in = gate.shared_ask(LOOKUP, Spender.SIGN_IN, NOW)
    known = gate.shared_ask(LOOKUP, Spender.KNOWN, NOW, count=False)
    assert (new.bucket.floor, sign_in.bucket.floor, known.bucket.floor) == (20, 10, 0)
    assert new.bucket.limit == 100 and new.count and not known.count
    # the family (one bucket for /api/v1/sessions*) holds back never-seen cookies only
    assert (new.family.floor, sign_in.family.floor, known.family.floor) == (20, -1, -1)
    assert new.bucket.name == "GET /api/v1/sessions/me" and new.family.name == "/api/v1/sessions"
    # the window to start from when the cluster holds none: this process's own count,
    # its end as a duration (Reset - Date + 1 = 31 s), never an instant
    assert new.bucket.seed == SharedWindow(100, 50, int(NOW) + 30, False, 31_000)
    unknown = RateLimitGate(0.2).shared_ask(LOOKUP, Spender.NEW_COOKIE, NOW)
    assert unknown.bucket.limit == -1 and unknown.bucket.seed is None


def test_i14_26_the_clusters_answer_becomes_this_processs_figures_and_pause() -> None:
    gate = gate_with(50)
    window = SharedWindow(100, 20, int(NOW) + 30, False, 10_000)
    gate.learn(LOOKUP, GateVerdict(False, 0, False, window, window), NOW)
    figures = gate.figures(LOOKUP)
    assert figures is not None and (figures.remaining, figures.window_ends) == (20, NOW + 10)
    assert not gate.open(LOOKUP, Spender.NEW_COOKIE, NOW)  # at the reserve, as the cluster says
    assert gate.open(LOOKUP, Spender.KNOWN, NOW)
    gate.learn(LOOKUP, GateVerdict(False, 2_500, False, None, None), NOW)  # another's 429
    assert not gate.open(LOOKUP, Spender.KNOWN, NOW + 2.4)
    assert gate.open(LOOKUP, Spender.KNOWN, NOW + 2.6)
    assert gate.open("close_current_session", Spender.KNOWN, NOW)  # only that bucket


def test_i14_27_an_answers_figures_are_shared_once() -> None:
    gate = gate_with(50)
    shared = gate.unshared(LOOKUP)
    assert shared == SharedWindow(100, 50, int(NOW) + 30, False, 31_000)
    assert gate.unshared(LOOKUP) is None  # the next call to finish has nothing new
    gate.observe(LOOKUP, RateLimit(None, 3, None, NOW), NOW)  # a figure missing
    assert gate.unshared(LOOKUP) is None


def test_i14_28_known_sessions_keep_a_share_of_the_call_slots() -> None:
    assert slots_for(Spender.KNOWN, 50, 0.2) == 50
    assert slots_for(Spender.SIGN_IN, 50, 0.2) == 45
    assert slots_for(Spender.NEW_COOKIE, 50, 0.2) == 40
    assert slots_for(Spender.NEW_COOKIE, 50, 0.0) == 50  # no reserve kept: no share either
    assert slots_for(Spender.NEW_COOKIE, 1, 0.2) == 1  # never none
    gate = RateLimitGate(0.2)
    assert gate.take_slot(2) and gate.take_slot(2) and not gate.take_slot(2)
    gate.give_slot()
    assert gate.take_slot(2)
