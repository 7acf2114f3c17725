"""Where the async runner reads a large answer: the library's own few threads, never
the app's (anyio's pool runs its sync endpoints), and never waiting past the request's
deadline for one to be free."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from okta_session_mw.engine.deadline import time_left
from okta_session_mw.engine.effects import Flow, step
from okta_session_mw.errors import OktaTimeoutError

__all__ = ["step_on_parse_thread"]

T = TypeVar("T")

_PARSERS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="okta-session-mw-parse")


async def step_on_parse_thread(flow: Flow[T], bound: float | None) -> tuple[bool, object]:
    """The step after ``PARSE``, on a parsing thread. Waiting for a free one ends at the
    request's deadline (``bound``: the runner's), with ``OktaTimeoutError`` thrown into
    the flow; a parse that has begun is let finish (bounded CPU: ``max_response_bytes``)."""
    job = _PARSERS.submit(step, flow, None, None)
    waiting = asyncio.wrap_future(job)
    try:
        seconds = None if bound is None else time_left(bound)
    except OktaTimeoutError:
        seconds = 0.0
    await asyncio.wait({waiting}, timeout=seconds)
    if not waiting.done() and job.cancel():  # it never began: the flow is untouched
        return step(flow, None, OktaTimeoutError("no thread free to read Okta's answer"))
    return await waiting
