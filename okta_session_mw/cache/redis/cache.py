"""``RedisSessionCache``: one session cache shared by every worker and machine.

A drop-in for ``MemorySessionCache`` (both protocols of ``cache.py``), chosen with
``OktaSessionConfig(cache_url="redis://...")`` (also ``rediss://`` and ``unix://``).
What is stored and under which names: ``redis_codec.py`` and ``redis_ops.py``; when
Redis is asked and what is logged: ``redis_health.py``. This module only sends the
ops, with the ``redis`` package's sync client (Flask, Django/WSGI) or its asyncio
client (one per running event loop, since such a client belongs to its loop).

Redis down or slow never fails a request: every call is bounded (``timeout`` for the
connection and again for the reply), then Redis is skipped for ``retry_interval`` and
the cache answers as if empty, so the flow asks Okta. Meanwhile each worker keeps what
Okta said in its own memory for at most ``outage_ttl`` seconds: that is the longest a
logout made elsewhere during the outage can take to reach this worker. When Redis
answers again that memory is dropped and owed evictions are sent first.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import math
import threading
import time
import weakref
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from typing import Any, TypeVar

import redis
import redis.asyncio
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import NoBackoff
from redis.exceptions import NoScriptError, RedisError, ResponseError
from redis.retry import Retry

from okta_session_mw.cache.memory import CacheEntry, Claimed, MemorySessionCache
from okta_session_mw.cache.memory import ended_ttl as ended_ttl_for
from okta_session_mw.cache.redis.codec import RedisCodec
from okta_session_mw.cache.redis.health import RedisHealth, redacted_url, url_timeout
from okta_session_mw.cache.redis.ops import Op, RedisPlan
from okta_session_mw.config import OktaSessionConfig

__all__ = ["RedisSessionCache"]

T = TypeVar("T")
_FAILURES = (RedisError, OSError, asyncio.TimeoutError)


class RedisSessionCache:
    """Session cache in Redis (extra ``[redis]``), shared by processes and machines.

    ``secret_key`` must be the same in every worker: it makes the key names and seals
    the values. A call takes at most ``bound`` seconds: ``timeout`` to connect plus
    ``timeout`` for the answer (``socket_timeout=``/``socket_connect_timeout=`` in the
    URL win). Calls are not retried (the next request is the retry). ``client_options``
    go to ``redis.Redis.from_url`` (TLS files and the like).
    """

    def __init__(
        self,
        url: str,
        *,
        secret_key: bytes | str,
        prefix: str = "okta-session-mw:",
        timeout: float = 0.5,
        retry_interval: float = 1.0,
        log_interval: float = 60.0,
        outage_ttl: float = 5.0,
        ended_ttl: float = 60.0,
        maxsize: int = 10_000,
        timer: Callable[[], float] = time.time,
        client_options: Mapping[str, Any] | None = None,
    ) -> None:
        secret = secret_key.encode() if isinstance(secret_key, str) else secret_key
        if len(secret) < 16:
            raise ValueError("RedisSessionCache needs a secret_key of at least 16 bytes")
        self._url = url
        self._options: dict[str, Any] = {"socket_timeout": timeout}
        self._options["socket_connect_timeout"] = timeout
        self._options.update(client_options or {})
        # connect, then answer: the longest one call may take (URL settings win)
        self.bound = sum(
            url_timeout(url, name, float(self._options[name]))
            for name in ("socket_connect_timeout", "socket_timeout")
        )
        self.outage_ttl = outage_ttl
        self._timer = timer
        self._maxsize = maxsize
        self._health = RedisHealth(
            redacted_url(url), retry_interval=retry_interval, log_interval=log_interval
        )
        codec = RedisCodec(secret, prefix, maxsize=maxsize)
        self._plan = RedisPlan(codec, ended_ttl=ended_ttl, report=self._health.bad_value)
        self._ended_ttl = ended_ttl
        self._local = MemorySessionCache(maxsize, timer=timer, ended_ttl=ended_ttl)
        self._lock = threading.Lock()
        self._sync: redis.Redis | None = None
        # per loop: its client, held open by a started async generator whose `finally`
        # closes it when the loop shuts down (asyncio.run finalizes async generators)
        self._async: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopClient]
        self._async = weakref.WeakKeyDictionary()

    @classmethod
    def from_config(
        cls, config: OktaSessionConfig, *, timer: Callable[[], float] = time.time, **options: Any
    ) -> RedisSessionCache:
        """The cache ``config.cache_url`` names, keyed with ``config.secret_key``.

        A session or cookie just logged out or revoked is neither stored nor read for
        ``max(60, 4 x timeout, cache_ttl + stale_if_error)`` seconds: longer than any
        Okta lookup that was already under way can take, and than any entry fetched
        before the end could still be served (so a stale writer putting such an entry
        back cannot bring the session back, fresh or stale).
        """
        if config.cache_url is None:
            raise ValueError("config.cache_url is not set")
        longest_served = config.cache_ttl + config.stale_if_error
        options.setdefault("ended_ttl", max(ended_ttl_for(config), longest_served))
        options.setdefault("maxsize", config.cache_maxsize)
        return cls(
            config.cache_url,
            secret_key=config.secret_key_bytes,
            prefix=config.cache_prefix,
            timer=timer,
            **options,
        )

    def __repr__(self) -> str:
        return f"RedisSessionCache({redacted_url(self._url)!r})"

    @property
    def available(self) -> bool:
        """False while Redis is considered down (between a failure and a good answer)."""
        return not self._health.down

    # -- sync (Flask, Django/WSGI) ----------------------------------------------------
    def get(self, key: str) -> CacheEntry | None:
        ok, entry = self._run(self._plan.get(key))
        return entry if ok else self._local.get(key)

    def claim(self, key: str, ttl: float, *, take_over: bool = False) -> Claimed:
        return self._run(self._plan.claim(key, ttl, take_over))[1]

    def set(self, key: str, entry: CacheEntry) -> None:
        if not self._run(self._plan.set(key, entry, self._timer()))[0]:
            self._local.set(key, self._outage_entry(entry))

    def evict(self, key: str) -> None:
        self._local.evict(key)
        self._run(self._plan.evict(key))

    def evict_session(self, session_id: str) -> None:
        self._local.evict_session(session_id)
        self._run(self._plan.evict_session(session_id))

    def ended(self, key: str, session_id: str, asked_at: float = -math.inf) -> bool:
        if self._local.ended(key, session_id, asked_at):
            return True
        return self._run(self._plan.ended(key, session_id))[1]

    def close(self) -> None:
        """Close the sync client's connections (``aclose`` closes this loop's client)."""
        with self._lock:
            client, self._sync = self._sync, None
        if client is not None:
            client.close()

    # -- async (ASGI) -----------------------------------------------------------------
    async def aget(self, key: str) -> CacheEntry | None:
        ok, entry = await self._arun(self._plan.get(key))
        return entry if ok else self._local.get(key)

    async def aclaim(self, key: str, ttl: float, *, take_over: bool = False) -> Claimed:
        return (await self._arun(self._plan.claim(key, ttl, take_over)))[1]

    async def aset(self, key: str, entry: CacheEntry) -> None:
        if not (await self._arun(self._plan.set(key, entry, self._timer())))[0]:
            self._local.set(key, self._outage_entry(entry))

    async def aevict(self, key: str) -> None:
        self._local.evict(key)
        await self._arun(self._plan.evict(key))

    async def aevict_session(self, session_id: str) -> None:
        self._local.evict_session(session_id)
        await self._arun(self._plan.evict_session(session_id))

    async def aended(self, key: str, session_id: str, asked_at: float = -math.inf) -> bool:
        if self._local.ended(key, session_id, asked_at):
            return True
        return (await self._arun(self._plan.ended(key, session_id)))[1]

    async def aclose(self) -> None:
        """Close the running loop's asyncio client, then the sync one. (A loop that
        ends without this closes its client itself, as ``asyncio.run`` finishes.)"""
        held = self._async.pop(asyncio.get_running_loop(), None)
        if held is not None:
            await held[1].aclose()
        self.close()

    # -- the two shells ---------------------------------------------------------------
    def _run(self, op: Op[T]) -> tuple[bool, T]:
        """``(True, answer)`` from Redis, or ``(False, op.fallback)`` without it."""
        if not self._health.usable():
            return self._skipped(op)
        try:
            client = self._client()
            owed = self._health.next_owed()
            while owed is not None:
                _send(client, owed)
                self._health.paid(owed)
                owed = self._health.next_owed()
            reply = _send(client, op)
        except _FAILURES as exc:
            if not isinstance(exc, ResponseError):  # idle pooled connections died too
                with contextlib.suppress(*_FAILURES):
                    self._client().connection_pool.disconnect(inuse_connections=False)
            return self._failed(op, exc)
        self._answered()
        return True, op.read(reply)

    async def _arun(self, op: Op[T]) -> tuple[bool, T]:
        if not self._health.usable():
            return self._skipped(op)
        try:
            # the socket timeouts bound each step; this bounds the whole call
            reply = await asyncio.wait_for(self._asend_owed_then(op), self.bound)
        except _FAILURES as exc:
            if not isinstance(exc, ResponseError):
                with contextlib.suppress(*_FAILURES):
                    pool = (await self._aclient()).connection_pool
                    await asyncio.wait_for(pool.disconnect(inuse_connections=False), self.bound)
            return self._failed(op, exc)
        self._answered()
        return True, op.read(reply)

    async def _asend_owed_then(self, op: Op[Any]) -> Any:
        client = await self._aclient()
        owed = self._health.next_owed()
        while owed is not None:
            await _asend(client, owed)
            self._health.paid(owed)
            owed = self._health.next_owed()
        return await _asend(client, op)

    def _skipped(self, op: Op[T]) -> tuple[bool, T]:
        if op.must_reach:
            self._health.owe(op)
        return False, op.fallback

    def _failed(self, op: Op[T], exc: BaseException) -> tuple[bool, T]:
        self._health.failed(exc)
        return self._skipped(op)

    def _answered(self) -> None:
        if self._health.succeeded():  # an outage ended: what we kept meanwhile goes
            self._local = MemorySessionCache(
                self._maxsize, timer=self._timer, ended_ttl=self._ended_ttl
            )

    def _outage_entry(self, entry: CacheEntry) -> CacheEntry:
        """Kept in this process only while Redis is out, fresh for ``outage_ttl`` at most."""
        fresh = min(entry.fresh_until, self._timer() + self.outage_ttl)
        return dataclasses.replace(entry, fresh_until=fresh)

    def _client(self) -> redis.Redis:
        client = self._sync
        if client is None:
            with self._lock:
                if self._sync is None:
                    options = {"retry": Retry(NoBackoff(), 0), **self._options}
                    self._sync = redis.Redis.from_url(self._url, **options)
                client = self._sync
        return client

    async def _aclient(self) -> redis.asyncio.Redis:
        loop = asyncio.get_running_loop()
        held = self._async.get(loop)
        if held is None:
            options = {"retry": AsyncRetry(NoBackoff(), 0), **self._options}
            client = redis.asyncio.Redis.from_url(self._url, **options)
            guard = _closed_with_loop(client)
            await guard.__anext__()
            with self._lock:
                held = self._async.setdefault(loop, (client, guard))
            if held[0] is not client:  # another task of this loop got there first
                await guard.aclose()
        return held[0]


_LoopClient = tuple[redis.asyncio.Redis, AsyncGenerator[None, None]]


async def _closed_with_loop(client: redis.asyncio.Redis) -> AsyncGenerator[None, None]:
    try:
        yield
    finally:
        await client.aclose()


def _send(client: redis.Redis, op: Op[Any]) -> Any:
    execute: Callable[..., Any] = client.execute_command
    if op.script is None:
        return execute(*op.args)
    try:
        return execute("EVALSHA", op.script.sha, *op.args)
    except NoScriptError:  # first use since Redis started: send the script itself
        return execute("EVAL", op.script.source, *op.args)


async def _asend(client: redis.asyncio.Redis, op: Op[Any]) -> Any:
    execute: Callable[..., Awaitable[Any]] = client.execute_command
    if op.script is None:
        return await execute(*op.args)
    try:
        return await execute("EVALSHA", op.script.sha, *op.args)
    except NoScriptError:
        return await execute("EVAL", op.script.source, *op.args)
