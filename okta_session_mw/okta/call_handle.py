"""A sync Okta call that the thread waiting for it may give up on.

The sync runner runs each Okta call on a thread of its own (:func:`call_within`) and
stops waiting at the request's deadline. httpx bounds each read, not the whole answer:
a peer trickling a byte within every read timeout would keep that thread, and its
pooled connection, for minutes, until the pool is full and every later call fails even
once Okta is healthy.
So the waiting side :meth:`CallHandle.abandon`\\ s the call: the socket of the
connection it uses is shut at once, its blocked read returns, and httpx drops that
connection from the pool. The client registers the connection as soon as it exists
(a new one through httpcore's ``trace`` hook, a pooled one once the answer's head has
come), and takes it back from the handle *before* returning it to the pool, so an
abandon that comes too late can never shut a connection another call is using.
"""

from __future__ import annotations

import contextvars
import socket
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeoutError
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from typing import Any, TypeVar

from okta_session_mw.errors import OktaTimeoutError

__all__ = ["CallHandle", "call_within", "current_call"]

A = TypeVar("A")
R = TypeVar("R")

_current: ContextVar[CallHandle | None] = ContextVar("okta_session_mw_call", default=None)

_NEW_CONNECTION = frozenset({"connection.connect_tcp.complete", "connection.start_tls.complete"})


def current_call() -> CallHandle | None:
    """The handle of the call this thread runs for a waiting request, if any."""
    return _current.get()


class CallHandle:
    """One abandonable call: the connections it uses, and whether it was given up on."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._streams: list[object] = []
        self.abandoned = False

    @contextmanager
    def running(self) -> Iterator[None]:
        """The Okta calls made in this block (in this thread) belong to this handle."""
        token = _current.set(self)
        try:
            yield
        finally:
            _current.reset(token)

    def abandon(self) -> None:
        """Nobody waits for the call any more: shut every connection it is using now."""
        with self._lock:  # shut under the lock: ``release`` cannot pass it meanwhile
            self.abandoned = True
            for stream in self._streams:
                _shut(stream)

    def watch(self, stream: object) -> None:
        """The call now uses ``stream`` (an httpcore network stream; None: no socket)."""
        if stream is None:
            return
        with self._lock:
            self._streams.append(stream)
            if self.abandoned:
                _shut(stream)

    def release(self) -> None:
        """The call is done with its connections (called before they go back to the pool)."""
        with self._lock:
            self._streams.clear()

    def trace(self, event: str, info: Mapping[str, Any]) -> None:
        """httpcore's ``trace`` request extension: see a new connection as soon as it exists."""
        if event in _NEW_CONNECTION and info.get("return_value") is not None:
            self.watch(info["return_value"])


def _shut(stream: object) -> None:
    get_extra_info = getattr(stream, "get_extra_info", None)
    sock = get_extra_info("socket") if callable(get_extra_info) else None
    if isinstance(sock, socket.socket):
        with suppress(OSError):  # already closed: nothing to do
            sock.shutdown(socket.SHUT_RDWR)


def call_within(seconds: float, call: Callable[[A], R], argument: A) -> R:
    """``call(argument)`` with a bound on the *whole* call, not only on each httpx phase
    (an answer trickling in a byte at a time would otherwise hold the thread for good).

    The call runs on a daemon thread; past ``seconds`` the request goes on with an
    ``OktaTimeoutError`` and abandons the call: its connection is shut at once, so the
    thread ends and the pool is whole again, however slowly Okta trickles. Only cache
    misses pay for the thread.
    """
    done: Future[R] = Future()
    handle = CallHandle()

    def run() -> None:
        with handle.running():
            try:
                done.set_result(call(argument))
            except BaseException as exc:  # handed to the waiting request
                done.set_exception(exc)

    # In the request's context: what it set (the current OpenTelemetry span, a user's
    # own context variables) is what the call sees, as if it ran on the request's thread.
    threading.Thread(
        target=contextvars.copy_context().run, args=(run,), name="okta-session-mw-call", daemon=True
    ).start()
    try:
        return done.result(timeout=seconds)
    except FutureTimeoutError:
        handle.abandon()
        raise OktaTimeoutError(f"Okta did not answer within {seconds} s") from None
