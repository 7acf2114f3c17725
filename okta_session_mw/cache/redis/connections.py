"""The ``redis`` package's clients for one URL: one sync client (Flask, Django/WSGI) and
one asyncio client per running event loop (such a client belongs to its loop), and
sending one op on either (``EVALSHA``, then the script itself when Redis lacks it).

Clients never retry (the next request is the retry); a loop's client is closed when
that loop shuts down, or by ``aclose`` on it.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from typing import Any

import redis
import redis.asyncio
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import NoBackoff
from redis.exceptions import NoScriptError
from redis.retry import Retry

from okta_session_mw.cache.redis.ops import Op

__all__ = ["RedisConnections", "asend", "send"]


class RedisConnections:
    """The clients of one Redis URL, made on first use with ``options``."""

    def __init__(self, url: str, options: Mapping[str, Any]) -> None:
        self._url = url
        self._options = dict(options)
        self._lock = threading.Lock()
        self._sync: redis.Redis | None = None
        # per loop: its client, held open by a started async generator whose `finally`
        # closes it when the loop shuts down (asyncio.run finalizes async generators)
        self._async: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopClient]
        self._async = weakref.WeakKeyDictionary()

    def close(self) -> None:
        """Close the sync client's connections."""
        with self._lock:
            client, self._sync = self._sync, None
        if client is not None:
            client.close()

    async def aclose(self) -> None:
        """Close the running loop's asyncio client, if it made one."""
        held = self._async.pop(asyncio.get_running_loop(), None)
        if held is not None:
            await held[1].aclose()

    def sync(self) -> redis.Redis:
        client = self._sync
        if client is None:
            with self._lock:
                if self._sync is None:
                    options = {"retry": Retry(NoBackoff(), 0), **self._options}
                    self._sync = redis.Redis.from_url(self._url, **options)
                client = self._sync
        return client

    async def for_loop(self) -> redis.asyncio.Redis:
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


def send(client: redis.Redis, op: Op[Any]) -> Any:
    execute: Callable[..., Any] = client.execute_command
    if op.script is None:
        return execute(*op.args)
    try:
        return execute("EVALSHA", op.script.sha, *op.args)
    except NoScriptError:  # first use since Redis started: send the script itself
        return execute("EVAL", op.script.source, *op.args)


async def asend(client: redis.asyncio.Redis, op: Op[Any]) -> Any:
    execute: Callable[..., Awaitable[Any]] = client.execute_command
    if op.script is None:
        return await execute(*op.args)
    try:
        return await execute("EVALSHA", op.script.sha, *op.args)
    except NoScriptError:
        return await execute("EVAL", op.script.source, *op.args)
