"""A bounded sync Okta call runs on a thread of its own (``call_handle.call_within``), in
the context of the request that waits for it: what the request set (the current
OpenTelemetry span, an app's own context variables) is what the call sees."""

from __future__ import annotations

from contextvars import ContextVar

from okta_session_mw.okta.call_handle import call_within


def test_i15_60_a_bounded_sync_call_runs_in_the_context_of_the_request_that_waits() -> None:
    variable: ContextVar[str] = ContextVar("variable")
    variable.set("the request's")
    assert call_within(10.0, lambda _: variable.get("none"), None) == "the request's"
