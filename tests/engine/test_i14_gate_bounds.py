"""What a process takes in from a shared gate and from Okta's headers is bounded (issue
14, attack review): a pause or window learned from Redis never outlives what an honest
worker shares (``MAX_RATE_LIMIT_PAUSE``), figures no Okta answer can have are ignored,
and an absurd ``X-Rate-Limit-Reset`` orders nothing. Pure: no I/O, no clock."""

from __future__ import annotations

from okta_session_mw.cache.gate_state import GateVerdict, SharedWindow
from okta_session_mw.engine.limits import MAX_RATE_LIMIT_PAUSE, RateLimitGate, Spender
from okta_session_mw.engine.shared_gate import org_scope
from okta_session_mw.errors import RateLimit

NOW = 1_000_000.0
LOOKUP = "get_current_session"
YEARS = 10**12  # ms: about 31 years
KNOWN, NEW = Spender.KNOWN, Spender.NEW_COOKIE


def verdict(window: SharedWindow | None = None, closed_ms: int = 0) -> GateVerdict:
    return GateVerdict(closed_ms == 0, closed_ms, False, window, None)


def test_i14_68_a_pause_or_window_learned_from_the_cluster_is_bounded() -> None:
    gate = RateLimitGate(0.2)
    gate.learn(LOOKUP, verdict(closed_ms=YEARS), NOW)
    assert not gate.open(LOOKUP, KNOWN, NOW + MAX_RATE_LIMIT_PAUSE - 1)  # obeyed, bounded
    assert gate.open(LOOKUP, KNOWN, NOW + MAX_RATE_LIMIT_PAUSE + 1)
    spent = RateLimitGate(0.2)
    spent.learn(LOOKUP, verdict(SharedWindow(100, 0, int(NOW) + 30, False, YEARS)), NOW)
    assert not spent.open(LOOKUP, KNOWN, NOW)  # remaining 0: nobody, for now
    later = NOW + MAX_RATE_LIMIT_PAUSE + 1
    assert spent.open(LOOKUP, NEW, later)  # the window has turned: from the last limit
    figures = spent.figures(LOOKUP)
    assert figures is not None and figures.estimated and figures.remaining == 100


def test_i14_69_figures_no_okta_answer_can_have_are_not_learned() -> None:
    gate = RateLimitGate(0.2)
    gate.observe(LOOKUP, RateLimit(100, 50, int(NOW) + 30, NOW), NOW)
    before = gate.figures(LOOKUP)
    for absurd in (
        SharedWindow(100, 101, int(NOW) + 30, False, 10_000),  # remaining above limit
        SharedWindow(-1, -5, int(NOW) + 30, False, 10_000),  # a negative limit
        SharedWindow(100, 0, 2**40, False, 10_000),  # a Reset ages ahead
    ):
        gate.learn(LOOKUP, verdict(absurd), NOW)
        assert gate.figures(LOOKUP) == before
    honest = SharedWindow(100, 40, int(NOW) + 30, False, 20_000)
    gate.learn(LOOKUP, verdict(honest), NOW)  # a family counted past its floor is honest too
    after = gate.figures(LOOKUP)
    assert after is not None and (after.remaining, after.window_ends) == (40, NOW + 20)


def test_i14_70_an_absurd_reset_orders_nothing_and_is_not_shared() -> None:
    """A Reset far past Okta's own Date (a proxy's milliseconds, a glitch) would make
    every later answer look older: its figures count for a bounded window only, it is
    never shared, and the next honest answer is taken in."""
    gate = RateLimitGate(0.2)
    gate.observe(LOOKUP, RateLimit(20, 10, int(NOW) + 10**7, NOW), NOW)
    figures = gate.figures(LOOKUP)
    assert figures is not None and figures.reset is None and figures.remaining == 10
    assert figures.window_ends == NOW + MAX_RATE_LIMIT_PAUSE
    assert gate.unshared(LOOKUP) is None
    later = NOW + 5
    gate.observe(LOOKUP, RateLimit(20, 7, int(later) + 30, later), later)
    figures = gate.figures(LOOKUP)
    assert figures is not None and (figures.remaining, figures.reset) == (7, int(later) + 30)
    shared = gate.unshared(LOOKUP)
    assert shared is not None and shared.reset == int(later) + 30


def test_i14_71_the_gates_org_scope_is_one_name_per_okta_org() -> None:
    one = org_scope("https://example.okta.com")
    assert one == org_scope("https://example.okta.com")  # every app of the org shares it
    assert one != org_scope("https://other.okta.com")
    assert len(one) == 12 and one.isalnum() and "okta" not in one  # tidy, not the URL


def test_i14_76_a_reset_learned_from_the_cluster_that_okta_shows_absurd_orders_nothing() -> None:
    """A shared window whose Reset is an hour ahead passes ``learn`` (hosts' clocks may
    disagree), but the next answer's own Date shows no honest window ends that late:
    its figures are taken in, not ignored as "an earlier window's" (Redis down, this
    process would otherwise only estimate from then on)."""
    gate = RateLimitGate(0.2)
    gate.learn(LOOKUP, verdict(SharedWindow(100, 0, int(NOW) + 3600, False, 10_000)), NOW)
    learned = gate.figures(LOOKUP)
    assert learned is not None and learned.reset == int(NOW) + 3600
    gate.observe(LOOKUP, RateLimit(100, 80, int(NOW) + 30, NOW), NOW)
    figures = gate.figures(LOOKUP)
    assert figures is not None and (figures.remaining, figures.reset) == (80, int(NOW) + 30)
