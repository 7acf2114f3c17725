"""Where the async runner reads a large answer: the library's own few threads, never
the app's (anyio's pool runs its sync endpoints), and never waiting past the request's
deadline for one to be free."""

from __future__ import annotations

import asyncio
import contextvars
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from okta_session_mw.engine.deadline import time_left
from okta_session_mw.engine.effects import Flow, step
from okta_session_mw.errors import OktaTimeoutError

__all__ = ["step_on_parse_thread"]

T = TypeVar("T")

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _parsers() -> ThreadPoolExecutor:
    """This process's parse threads, made at first use (four at most)."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="okta-session-mw-parse")
        return _pool


def _forget_in_child() -> None:
    """A forked child inherits the pool but not its threads (gunicorn ``--preload``):
    it makes its own at first use."""
    global _pool, _pool_lock
    _pool, _pool_lock = None, threading.Lock()


if hasattr(os, "register_at_fork"):  # not on Windows, which has no fork
    os.register_at_fork(after_in_child=_forget_in_child)


async def step_on_parse_thread(flow: Flow[T], bound: float | None) -> tuple[bool, object]:
    """The step after ``PARSE``, on a parsing thread, in the request's context. Waiting
    for a free one ends at the request's deadline (``bound``: the runner's), with
    ``OktaTimeoutError`` thrown into the flow; a parse that has begun is let finish
    (bounded CPU: ``max_response_bytes``)."""
    # In the request's context, as on the loop (a stats hook, a log filter may read it).
    job = _parsers().submit(contextvars.copy_context().run, step, flow, None, None)
    waiting = asyncio.wrap_future(job)
    try:
        seconds = None if bound is None else time_left(bound)
    except OktaTimeoutError:
        seconds = 0.0
    await asyncio.wait({waiting}, timeout=seconds)
    if not waiting.done() and job.cancel():  # it never began: the flow is untouched
        return step(flow, None, OktaTimeoutError("no thread free to read Okta's answer"))
    return await waiting
