"""Waiting for a few sync Redis commands at most so long, as a whole.

redis-py's ``socket_timeout`` bounds each read, not an answer: a peer that sends one
byte within every timeout (a huge bulk string, dripped) keeps a command going for ever.
Where a caller must go on regardless (a worker's start-up writing its key mark, the
doctor's checks), the commands run on a daemon thread and the caller stops waiting at
the bound. A daemon thread never holds the process's exit; one that ends after the
caller gave up hands its result to ``on_late`` (to close a client it opened).
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from concurrent.futures import Future, InvalidStateError
from concurrent.futures import TimeoutError as FutureTimeoutError
from contextlib import suppress
from typing import TypeVar

__all__ = ["NoAnswerWithin", "wait_at_most"]

T = TypeVar("T")


class NoAnswerWithin(TimeoutError):
    """The job was still running when the bound passed; nobody waits for it any more."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        super().__init__(f"no answer within {seconds:g} s")


def wait_at_most(
    seconds: float, job: Callable[[], T], *, on_late: Callable[[T], object] | None = None
) -> T:
    """``job()``'s result (or its exception), or :class:`NoAnswerWithin` past ``seconds``."""
    done: Future[T] = Future()

    def run() -> None:
        try:
            value = job()
        except BaseException as exc:  # handed to the waiting caller
            with suppress(InvalidStateError):  # it gave up: nobody to tell
                done.set_exception(exc)
            return
        try:
            done.set_result(value)
        except InvalidStateError:  # the caller gave up (cancelled) before the answer came
            if on_late is not None:
                with suppress(Exception):
                    on_late(value)

    thread = threading.Thread(
        target=contextvars.copy_context().run, args=(run,), name="okta-session-mw-redis"
    )
    thread.daemon = True  # never holds the process's exit
    thread.start()
    try:
        return done.result(timeout=seconds)
    except FutureTimeoutError:
        if done.cancel():  # still pending: from now on a late answer goes to on_late
            raise NoAnswerWithin(seconds) from None
        return done.result()  # it came in the meantime
