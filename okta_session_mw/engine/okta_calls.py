"""How a flow calls Okta: counted in the stats, in flight at the gate, probed at start-up.

``call_okta`` is the one way a flow reaches Okta: the client's call flow (request,
retries, error mapping: ``okta/call_flow.py``) reached with ``yield from``, with its
latency and error kind counted. ``gated`` adds the gate's bookkeeping for a call the
gate admitted, and ``probing`` runs the first call of a bucket as a single flight while
Okta's figures are unknown.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from okta_session_mw.engine.deadline import shared_wait
from okta_session_mw.engine.effects import Flow, together
from okta_session_mw.engine.limits import Spender, bucket_of
from okta_session_mw.engine.rules import Rules
from okta_session_mw.errors import OktaAPIError, OktaRateLimitError, OktaSessionError
from okta_session_mw.okta.operations import Call

__all__ = ["call_okta", "gated", "note_failure", "probing"]

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


def gated(rules: Rules, build: Callable[[str], Call[T]], argument: str) -> Flow[T]:
    """An Okta call the gate admitted (``take``): in flight at the gate until Okta
    answers (any status) or the call fails (also before it is sent)."""
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
        logger.warning(
            "Okta rate limit reached; no %s calls for %.0f s", operation, until - now
        )
    else:
        # The library's messages name the operation and the cause, never what was sent
        # (errors.py), so the operator sees why: a refused connection, a timeout, a 5xx.
        # str(exc), never exc: a handler keeping records would keep its traceback alive.
        logger.warning("Okta session call failed: %s: %s", type(exc).__name__, str(exc))
