"""A sync Okta call that the thread waiting for it may give up on.

The sync driver runs each Okta call on a thread of its own and stops waiting at the
request's deadline. httpx bounds each read, not the whole answer: a peer trickling a
byte within every read timeout would keep that thread, and its pooled connection, for
minutes, until the pool is full and every later call fails even once Okta is healthy.
So the waiting side :meth:`CallHandle.abandon`\\ s the call: the socket of the
connection it uses is shut at once, its blocked read returns, and httpx drops that
connection from the pool. The client registers the connection as soon as it exists
(a new one through httpcore's ``trace`` hook, a pooled one once the answer's head has
come), and takes it back from the handle *before* returning it to the pool, so an
abandon that comes too late can never shut a connection another call is using.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from typing import Any

__all__ = ["CallHandle", "current_call"]

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
