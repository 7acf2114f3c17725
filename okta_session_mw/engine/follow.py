"""Following another worker's lookup of the same cookie (the cache's cross-process claim).

When another worker (or process) is asking Okta for a cookie, a lookup waits for its
answer in the shared cache instead of asking Okta a second time, and takes the
question over only when nobody is going to bring a usable answer.
"""

from __future__ import annotations

from okta_session_mw.cache.entry import CacheEntry, Claimed
from okta_session_mw.engine.effects import Flow, Sleep, cache_claim, cache_get
from okta_session_mw.engine.policy import is_fresh
from okta_session_mw.engine.rules import Rules
from okta_session_mw.errors import OktaTimeoutError

__all__ = ["POLL_INTERVAL", "follow"]

POLL_INTERVAL = 0.01
"""How often a worker polls a shared cache for another worker's answer."""


def follow(key: str, claim: Claimed, rules: Rules) -> Flow[tuple[CacheEntry | None, Claimed]]:
    """Another worker claimed this cookie: its fresh answer, or ``(None, YOURS)`` when
    this worker is to ask Okta itself after all, or ``(None, other)`` to give up.

    ASKING: it is asking Okta right now, so wait for its entry; the wait ends early
    when the claim says something else. ANSWERED: it stored an answer a moment ago, but
    what this worker read is not that answer. Read again (the answer may have landed
    in between); if it still cannot be used (evicted by Redis's maxmemory, unreadable,
    too large, of another type, past its freshness on this clock), nobody is going to
    bring a better one: take the claim over and ask Okta at once, instead of waiting
    for nothing. At most once: a second unusable answer means give up.
    """
    took_over = False
    while claim is not Claimed.YOURS:
        if claim is Claimed.ASKING:
            shared, claim = yield from _await_entry(key, rules)
            if shared is not None and is_fresh(shared, rules.clock()):
                return shared, claim
            if claim is Claimed.ASKING:
                break  # waited the whole timeout
        else:  # ANSWERED
            shared = yield from cache_get(key)
            if shared is not None and is_fresh(shared, rules.clock()):
                return shared, claim
            if took_over:
                break
            took_over = True
            claim = yield from cache_claim(key, rules.config.timeout, take_over=True)
    return None, claim


def _await_entry(key: str, rules: Rules) -> Flow[tuple[CacheEntry | None, Claimed]]:
    """While another worker is asking Okta for ``key``: poll the cache (one timeout at
    most, and never past the request's deadline: the runner refuses a sleep past it) for
    its fresh entry, and
    the claim for what it says. ``(entry, ANSWERED)`` once a fresh entry is read;
    ``(None, claim)`` as soon as the claim is no longer ASKING (ANSWERED: an answer was
    stored after this entry was read; YOURS: released or run out, now this worker's);
    ``(None, ASKING)`` at the deadline."""
    timeout = rules.config.timeout
    deadline = rules.monotonic() + timeout
    while rules.monotonic() < deadline:
        try:
            yield Sleep(POLL_INTERVAL)
        except OktaTimeoutError:  # the request's deadline: as if the whole timeout passed
            break
        entry = yield from cache_get(key)
        if is_fresh(entry, rules.clock()):
            return entry, Claimed.ANSWERED
        claim = yield from cache_claim(key, timeout)
        if claim is not Claimed.ASKING:
            return None, claim
    return None, Claimed.ASKING
