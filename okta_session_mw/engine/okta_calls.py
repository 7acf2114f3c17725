"""How a flow calls Okta: admitted by the gate, in a call slot, counted in the stats,
probed at start-up; with a shared cache, all of it for the whole cluster.

``call_okta`` is the one way a flow reaches Okta: the client's call flow (request,
retries, error mapping: ``okta/call_flow.py``) reached with ``yield from``, with its
latency and error kind counted. ``admit`` asks the gate (this process's, then the
shared one: ``cache/gate_state.py``), ``resume`` asks again for a call given back;
``gated`` makes a call the gate admitted within one of ``max_concurrent_okta_calls``
slots and shares what its answer taught (figures, a 429's pause); ``probing`` runs
the first call of a bucket as a single flight while Okta's figures are unknown.

The shared gate is reached through cache operations (``gate_take``, ``gate_note``,
``gate_slot``), so the engine does no I/O; a cache that answers None (in-process, or
Redis out of reach) leaves the process's own gate to decide, at once.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from typing import TypeVar, cast

from okta_session_mw.cache.gate_state import GateAsk, GateNote, GateVerdict, SlotAsk
from okta_session_mw.engine.deadline import shared_wait
from okta_session_mw.engine.effects import CacheOp, Flow, Sleep, together
from okta_session_mw.engine.limits import Spender, bucket_of, family_of
from okta_session_mw.engine.rate_buckets import bounded_pause, slots_for
from okta_session_mw.engine.rules import Rules
from okta_session_mw.engine.shared_gate import org_scope
from okta_session_mw.errors import (
    OktaAPIError,
    OktaRateLimitError,
    OktaSessionError,
    OktaTimeoutError,
)
from okta_session_mw.okta.operations import Call

__all__ = ["admit", "call_okta", "gated", "note_failure", "probing", "resume"]

SLOT_POLL = (0.005, 0.05, 0.2)
"""A call waiting for a slot looks again after 5 ms, doubling up to 50 ms while it waits
for one of this process's slots (no I/O), up to 200 ms while the cluster's are all held
(each look is a Redis round trip); Sleep effects, within the request's deadline."""
LEASE_MARGIN = 1.0
"""A slot's lease outlives the call's ``timeout`` by this much: a dead worker's lease
expires about one timeout after it was taken."""
LOCAL = ""
"""The lease of a slot of this process's own counter (no shared gate answered)."""

T = TypeVar("T")

logger = logging.getLogger("okta_session_mw")


def call_okta(rules: Rules, build: Callable[[str], Call[T]], argument: str) -> Flow[T]:
    """One Okta call, ``build(argument)`` (an operation of ``okta/operations.py``, whose
    name is the operation's), its latency and error kind counted. An argument that
    cannot be sent raises ``InvalidRequestError`` here, counted like any failure."""
    started = rules.monotonic()
    try:
        value = yield from rules.okta.call(build(argument))
    except OktaSessionError as exc:  # never kept in a local: its traceback holds this frame
        rules.stats.okta_call(build.__name__, rules.monotonic() - started, exc)
        raise
    rules.stats.okta_call(build.__name__, rules.monotonic() - started, None)
    return value


def admit(rules: Rules, operation: str, spender: Spender, client: str | None = None) -> Flow[bool]:
    """May ``spender`` call ``operation`` now? This process's gate first (``take``: its
    figures, the client address's allowance), then the shared one, which counts the
    call down for the whole cluster. Admitted, the call is in flight until ``gated``
    (or ``gate.done``) ends it; refused, nothing is held."""
    gate = rules.gate
    if not gate.take(operation, spender, rules.clock(), client):
        return False
    admitted = False
    try:
        admitted = yield from _shared_admits(rules, operation, spender, count=True)
    finally:  # refused, or closed on the way (the request went away): nothing held
        if not admitted:
            gate.done(operation)
    return admitted


def resume(rules: Rules, operation: str) -> Flow[bool]:
    """A call ``admit`` admitted and ``gate.done`` gave back is to be made after all
    (``RateLimitGate.resume``): nothing counted twice, but a 429 seen meanwhile by any
    worker keeps it from Okta."""
    gate = rules.gate
    if not gate.resume(operation, rules.clock()):
        return False
    admitted = False
    try:
        admitted = yield from _shared_admits(rules, operation, Spender.KNOWN, count=False)
    finally:
        if not admitted:
            gate.done(operation)
    return admitted


def _shared_admits(rules: Rules, operation: str, spender: Spender, *, count: bool) -> Flow[bool]:
    """The shared gate's word (True when there is none). Its figures become this
    process's; a floor computed from another limit than the shared one is computed
    again once (two changes of limit at once: refused, the next request asks again)."""
    gate = rules.gate
    for _ in range(2):
        ask = gate.shared_ask(operation, spender, rules.clock(), count=count, org=_org(rules))
        verdict = cast("GateVerdict | None", (yield CacheOp("gate_take", (ask,))))
        if verdict is None:
            return True
        gate.learn(operation, verdict, rules.clock())
        if verdict.closed_ms > 0:
            return False
        if not count:
            return True
        if not verdict.stale_limit:
            return verdict.admitted
    return False


def gated(
    rules: Rules, build: Callable[[str], Call[T]], argument: str, spender: Spender = Spender.KNOWN
) -> Flow[T]:
    """An Okta call the gate admitted (``admit``), made within one of the
    ``max_concurrent_okta_calls`` slots (``spender`` decides how many it may find
    held: ``slots_for``): in flight at the gate until Okta answers (any status) or the
    call fails (also before it is sent). What the answer taught is shared: its
    figures, and a 429's pause. No slot within the timeout: ``OktaTimeoutError``
    before anything is sent (the flows then answer as for a refused call)."""
    operation = build.__name__
    lease: str | None = None
    try:
        lease = yield from _slot(rules, spender)
    finally:  # no slot, or closed while waiting for one: the call is over
        if lease is None:
            rules.gate.done(operation)
    if lease is None:
        raise OktaTimeoutError("no free slot for an Okta call within the timeout")
    try:
        value = yield from _in_flight(rules, build, argument)
    except OktaRateLimitError as exc:
        pause = bounded_pause(exc.rate_limit.wait_seconds(rules.clock()))
        yield from _share(rules, operation, lease, pause)
        raise
    except OktaSessionError:
        yield from _share(rules, operation, lease, 0.0)
        raise
    yield from _share(rules, operation, lease, 0.0)
    return value


def _in_flight(rules: Rules, build: Callable[[str], Call[T]], argument: str) -> Flow[T]:
    """The call itself, in flight at the gate and in a slot of this process's own
    counter (``_slot``) until it is over, however it ends."""
    answered = False
    try:
        value = yield from call_okta(rules, build, argument)
        answered = True
        return value
    except OktaRateLimitError:  # a proxy's 429 may carry no figures: says nothing of Okta's
        raise
    except OktaAPIError:
        answered = True
        raise
    finally:
        rules.gate.done(build.__name__, answered=answered)
        rules.gate.give_slot()  # every lease holds one of this process's slots too


def _slot(rules: Rules, spender: Spender) -> Flow[str | None]:
    """A call slot: one of this process's counter (``limit`` of them: a process never has
    more in flight than the cluster may), then a lease in the shared set of calls in
    flight (Redis) when there is one. Only a waiter holding a slot here asks Redis, so a
    burst in one process sends Redis at most ``limit`` polls at a time. Waits (Sleep,
    never a busy loop) within the timeout and the request's deadline; None when no slot
    came free in time (nothing is held then)."""
    config = rules.config
    limit = slots_for(spender, config.max_concurrent_okta_calls, config.rate_limit_reserve)
    lease_ms = int((config.timeout + LEASE_MARGIN) * 1000)
    ask = SlotAsk(secrets.token_hex(8), limit, lease_ms, _org(rules))
    started, delay = rules.monotonic(), SLOT_POLL[0]
    local = False
    lease: str | None = None
    try:
        while lease is None:
            local = local or rules.gate.take_slot(limit)
            if local:
                taken = cast("bool | None", (yield CacheOp("gate_slot", (ask,))))
                if taken is not False:  # taken, or no shared gate: this process's slot
                    lease = ask.lease if taken else LOCAL
                    break
            left = config.timeout - (rules.monotonic() - started)
            if left <= 0:
                break
            try:
                yield Sleep(min(delay, left))
            except OktaTimeoutError:  # waking would pass the request's deadline
                break
            delay = min(delay * 2, SLOT_POLL[2] if local else SLOT_POLL[1])
    finally:  # no slot in time, or closed while waiting: give this process's back
        if local and lease is None:
            rules.gate.give_slot()
    return lease


def _org(rules: Rules) -> str:
    """The Okta org the shared gate's questions are about: apps of one org share its
    budget (Okta counts per org), apps of different orgs on one Redis never meet."""
    return org_scope(rules.config.org_url)


def _share(rules: Rules, operation: str, lease: str, pause: float) -> Flow[None]:
    """Tell the shared gate what a call taught (the latest figures of its bucket, a
    429's ``pause`` in seconds) and give its slot back, in one round trip."""
    window = rules.gate.unshared(operation)
    if window is None and not pause and lease == LOCAL:
        return
    note = GateNote(
        bucket_of(operation), family_of(operation), window,
        int(pause * 1000), lease if lease != LOCAL else None, _org(rules),
    )  # fmt: skip
    yield CacheOp("gate_note", (note,))


def _learn_shared(rules: Rules, operation: str, spender: Spender) -> Flow[bool]:
    """While this process knows nothing of a bucket, what the cluster knows (one read
    of the shared gate): True when the figures are known now, so no probe is needed."""
    ask: GateAsk = rules.gate.shared_ask(
        operation, spender, rules.clock(), count=False, org=_org(rules)
    )
    verdict = cast("GateVerdict | None", (yield CacheOp("gate_take", (ask,))))
    if verdict is None:
        return False
    rules.gate.learn(operation, verdict, rules.clock())
    return rules.gate.known(operation)


def probing(
    rules: Rules, operation: str, spender: Spender, attempt: Callable[[], Flow[T]]
) -> Flow[T]:
    """Run ``attempt()`` (which asks the gate and calls Okta). While the bucket's
    figures are unknown (process start) and the call may not spend the reserve, it runs
    as the bucket's probe: a single flight. A call that finds a probe in flight waits
    for it (its outcome is not ours and is dropped) and then runs its own attempt, the
    figures known by then: real users arriving together are counted, not refused, and
    a burst of made-up cookies sends one call before Okta has told the budget.

    A probe may end without calling Okta (another worker had claimed its cookie), so
    the figures can stay unknown: a waiter then goes on waiting for the next probe,
    which it may run itself, rather than asking the gate past the probe's place (it
    would be refused). Each round lets at least one waiter through, and no waiter
    loops longer than one timeout."""
    started = rules.monotonic()
    while rules.monotonic() - started < rules.config.timeout:
        if spender is Spender.KNOWN or rules.gate.known(operation):
            break
        if (yield from _learn_shared(rules, operation, spender)):
            break
        ran: list[bool] = []
        try:
            outcome = yield from together(
                "probe:" + bucket_of(operation),
                _tagged(attempt(), ran),
                shared_wait(rules.config),
            )
        except OktaSessionError:  # waited a whole timeout for the probe
            break
        if ran:
            if isinstance(outcome, OktaSessionError):
                raise outcome
            return outcome
    return (yield from attempt())


def _tagged(flow: Flow[T], ran: list[bool]) -> Flow[T | OktaSessionError]:
    """``flow``'s outcome as a value (a call that joins it must not see our error),
    noting in ``ran`` that this flow, not a joined one, ran."""
    ran.append(True)
    try:
        return (yield from flow)
    except OktaSessionError as exc:
        return exc


def note_failure(exc: OktaSessionError, rules: Rules, operation: str) -> None:
    """Log a failed call; a 429 closes only its operation's bucket at the gate."""
    now = rules.clock()
    if isinstance(exc, OktaRateLimitError):
        # Only this operation's bucket: a 429 on lookups says nothing about logouts.
        until = rules.gate.close_for(operation, exc.rate_limit.wait_seconds(now), now)
        logger.warning("Okta rate limit reached; no %s calls for %.0f s", operation, until - now)
    else:
        # The library's messages name the operation and the cause, never what was sent
        # (errors.py), so the operator sees why: a refused connection, a timeout, a 5xx.
        # str(exc), never exc: a handler keeping records would keep its traceback alive.
        logger.warning("Okta session call failed: %s: %s", type(exc).__name__, str(exc))
