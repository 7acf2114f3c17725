"""A deadline on a whole sync call to Redis (Flask, Django/WSGI), not on each read.

redis-py bounds each socket read by ``socket_timeout``, not an answer: a Redis (or
anything on the path to it) that sends a byte within every timeout would hold a WSGI
worker's thread for good. The async shell bounds a call as a whole with
``asyncio.wait_for``; running each sync call on a thread of its own, as Okta's calls are
(``okta/call_handle.py``), would put a thread hop on every cache hit.

So each cache has one watchdog thread, asleep until the earliest deadline of the calls
under way (or, while calls come and go, one bound from when it last looked): a call
wakes it only when its own deadline comes before that, which is only the first call
after a whole bound without any, so a call pays a few locks (some 4 µs), no thread switch.
The sync clients' connections are of classes derived from redis-py's own
(:func:`deadlined`): while one reads an answer for a call, it is registered with that
call; past the call's deadline the watchdog shuts its socket, the read fails at once,
the connection drops that socket (the next call connects anew) and the call ends as a
Redis ``TimeoutError``. A read takes its connection back under the watchdog's lock
before redis-py can hand it to the pool, so a shut that comes late never hits a
connection another call is using; a read begun after the deadline fails at once.

The connect itself (TCP, and a TLS handshake) is bounded by ``socket_connect_timeout``
alone: no read is under way yet.
"""

from __future__ import annotations

import math
import os
import socket
import threading
import time
import weakref
from contextlib import suppress
from contextvars import ContextVar, Token
from types import TracebackType
from typing import Any, cast

import redis
from redis.exceptions import RedisClusterException, RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

__all__ = ["CallDeadlines", "DeadlinedPool", "deadlined"]

IDLE_EXIT = 30.0
"""Seconds without calls after which a watchdog thread ends (the next call starts one)."""

_current: ContextVar[_Call | None] = ContextVar("okta_session_mw_redis_call", default=None)
_CUT = (RedisError, RedisClusterException, OSError)  # what a shut socket makes redis-py raise


class CallDeadlines:
    """The calls under way on one cache's sync clients, and the watchdog that cuts them."""

    def __init__(self) -> None:
        self._reset()
        _ALL.add(self)

    def _reset(self) -> None:  # also in a forked child: the parent's thread is not there
        self._lock = threading.Lock()
        self._calls: set[_Call] = set()
        self._wake_at = math.inf  # when the watchdog looks next
        self._entered = False  # a call entered since the watchdog last looked
        self._period = math.inf  # the shortest bound of a call yet
        self._wake = threading.Event()
        self._running = False
        self._closing = False

    def within(self, seconds: float) -> _Call:
        """``with deadlines.within(s):`` the sync Redis calls in the block end within
        ``s`` seconds, or with a redis-py ``TimeoutError``."""
        return _Call(self, seconds)

    def close(self) -> None:
        """Let the watchdog end now if no call is under way."""
        with self._lock:
            self._closing = True
        self._wake.set()

    def _enter(self, call: _Call) -> None:
        with self._lock:
            self._calls.add(call)
            self._entered = True
            if call.seconds < self._period:
                self._period = call.seconds
            if call.deadline >= self._wake_at:  # the watchdog looks in time: nothing to do
                return
            self._wake_at = call.deadline
            start, self._running = not self._running, True
        if start:
            threading.Thread(
                target=self._watch, name="okta-session-mw-redis-deadline", daemon=True
            ).start()
        else:
            self._wake.set()

    def _leave(self, call: _Call) -> None:
        with self._lock:
            self._calls.discard(call)

    def _watch(self) -> None:
        try:
            self._watch_calls()
        except BaseException:  # not expected: the next call that needs one starts another
            with self._lock:
                self._running = False
                self._wake_at = math.inf
            raise

    def _watch_calls(self) -> None:
        while True:
            with self._lock:
                now = time.monotonic()
                earliest = math.inf
                for call in self._calls:
                    if call.cut:
                        continue
                    if call.deadline <= now:
                        call.cut_now()
                    elif call.deadline < earliest:
                        earliest = call.deadline
                entered, self._entered = self._entered, False
                if earliest == math.inf and entered:
                    # calls come and go: look again one bound from now, so that the calls
                    # entering meanwhile (their deadlines later than that) need not wake us
                    earliest = now + self._period
                self._wake_at = earliest
                self._wake.clear()  # under the lock: a call entering after this wakes us
                closing, self._closing = self._closing, False
                if earliest == math.inf and closing:
                    self._running = False
                    return
            woken = self._wake.wait(min(earliest - now, IDLE_EXIT))
            if not woken and earliest == math.inf:
                with self._lock:
                    if self._wake_at == math.inf:  # still no call: end; the next starts one
                        self._running = False
                        return


class _Call:
    """One call's deadline, and the connection reading for it (if any)."""

    __slots__ = ("_owner", "_token", "cut", "deadline", "reading", "seconds")

    def __init__(self, owner: CallDeadlines, seconds: float) -> None:
        self._owner = owner
        self.seconds = seconds
        self.deadline = math.inf
        self.cut = False
        self.reading: list[Any] = []
        self._token: Token[_Call | None] | None = None

    def __enter__(self) -> None:
        self.deadline = time.monotonic() + self.seconds
        self._owner._enter(self)
        self._token = _current.set(self)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._token is not None:
            _current.reset(self._token)
        self._owner._leave(self)
        if self.cut and isinstance(exc, _CUT):
            raise RedisTimeoutError(f"Redis did not answer within {self.seconds} s") from None

    def cut_now(self) -> None:  # under the owner's lock
        self.cut = True
        for connection in self.reading:
            _shut(connection)

    def watch(self, connection: Any) -> None:
        with self._owner._lock:
            self.reading.append(connection)
            if self.cut:
                _shut(connection)

    def unwatch(self, connection: Any) -> None:
        with self._owner._lock:
            self.reading.remove(connection)


def _shut(connection: Any) -> None:
    """Shut the socket under ``connection`` (redis-py keeps it in ``_sock``): its blocked
    read returns at once. The plain socket's ``shutdown``, even under TLS: the TLS
    object stays whole for the thread still inside it."""
    sock = getattr(connection, "_sock", None)
    if isinstance(sock, socket.socket):
        with suppress(OSError):  # already closed
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _DeadlinedReads:
    """Mixed in before a redis-py connection class: its reads are watched for their call."""

    def read_response(self, *args: Any, **kwargs: Any) -> Any:
        read: Any = super().read_response  # type: ignore[misc]
        call = _current.get()
        if call is None:  # not under a deadline (the doctor, a key mark)
            return read(*args, **kwargs)
        call.watch(self)
        try:
            return read(*args, **kwargs)
        finally:
            if call.cut:  # its socket was shut (the answer may have come just before)
                cast(Any, self).disconnect()
            call.unwatch(self)


_derived: dict[type, type] = {}
_derived_lock = threading.Lock()


def deadlined(pool: Any) -> None:
    """Make the connections ``pool`` makes from now on watched for their call's deadline
    (whatever redis-py class the URL chose: TCP, TLS, Unix socket, Sentinel's)."""
    base: type = pool.connection_class
    if issubclass(base, _DeadlinedReads):
        return
    with _derived_lock:
        derived = _derived.get(base)
        if derived is None:
            derived = type(f"Deadlined{base.__name__}", (_DeadlinedReads, base), {})
            _derived[base] = derived
    pool.connection_class = derived


class DeadlinedPool(redis.ConnectionPool):
    """A pool of watched connections: the one a cluster client gives each node."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        deadlined(self)


_ALL: weakref.WeakSet[CallDeadlines] = weakref.WeakSet()


def _after_fork() -> None:
    for each in list(_ALL):
        each._reset()


if hasattr(os, "register_at_fork"):  # not on Windows (which does not fork)
    os.register_at_fork(after_in_child=_after_fork)
