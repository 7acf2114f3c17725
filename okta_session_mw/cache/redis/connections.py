"""The ``redis`` package's clients for one ``cache_url``: one sync client (Flask,
Django/WSGI) and one asyncio client per running event loop (such a client belongs to its
loop), and sending one op on either (``EVALSHA``, then the script itself when Redis lacks it).

The URL names one server (``redis.Redis``), a Redis Cluster (``RedisCluster``, sync or
asyncio: it routes each op by the keys it declares, all in one slot: ``codec.py``) or a
primary found through Sentinel (``Sentinel(...).master_for``: each new connection asks
the sentinels where the primary is, and one to a primary demoted by a failover is
dropped). A failover made while the old primary still answers (``SENTINEL FAILOVER``)
would go unseen until Sentinel demotes it, some ten seconds later, and the writes sent
to it meanwhile (logouts' ends among them) would be lost with its data; so each worker
also asks the sentinels where the primary is at most once per
``PRIMARY_CHECK_INTERVAL``, before an op, and a changed answer drops the idle
connections to the old one (redis-py's own ``get_master_address``): the ops after that
reach the new primary. ``redis_topology.py`` reads the URL.

Clients never retry (the next request is the retry): redis-py's own retries are off, at
the connection and, for a cluster, at the client (set by the ``retry`` object since
redis-py 6, by ``*_retry_attempts`` before). A loop's client is closed when that loop
shuts down, or by ``aclose`` on it.

The sync clients' connections (to the server, to every cluster node, to Sentinel's
primary and to the sentinels) are watched for a whole-call deadline (``within``,
``deadline.py``): redis-py bounds each read only.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
import weakref
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from typing import Any, cast

import redis
import redis.asyncio
import redis.asyncio.cluster
import redis.asyncio.sentinel
import redis.cluster
import redis.sentinel
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import NoBackoff
from redis.connection import parse_url
from redis.exceptions import NoScriptError, RedisClusterException, RedisError
from redis.retry import Retry

from okta_session_mw.cache.redis.deadline import CallDeadlines, DeadlinedPool, deadlined
from okta_session_mw.cache.redis.ops import Op
from okta_session_mw.redis_topology import parse_cache_url

__all__ = ["FAILURES", "PRIMARY_CHECK_INTERVAL", "RedisConnections", "asend", "send"]

PRIMARY_CHECK_INTERVAL = 1.0
"""Seconds between two questions of one client to the sentinels: where is the primary?
(One round trip to a sentinel per second per worker; a failure is ignored: the
sentinels being out does not make the primary so.)"""

FAILURES = (RedisError, RedisClusterException, OSError, asyncio.TimeoutError)
"""What a call to Redis may raise when Redis is out (``RedisClusterException`` is not a
``RedisError``: a cluster client that cannot learn the cluster's slots raises it)."""

_RETRY_OBJECT_RULES = int(redis.__version__.split(".")[0]) >= 6
"""redis-py 6 made a cluster client's ``retry`` its only retry setting."""

SyncClient = redis.Redis | redis.cluster.RedisCluster
AsyncClient = redis.asyncio.Redis | redis.asyncio.cluster.RedisCluster


class RedisConnections:
    """The clients of one Redis URL, made on first use with ``options``.

    ``ValueError`` at once for a URL that is not one of ``redis_topology.py``'s forms.
    With Sentinel, ``options["sentinel_kwargs"]`` are the sentinels' own connection
    settings (their password); by default they take ours' timeouts only."""

    def __init__(self, url: str, options: Mapping[str, Any]) -> None:
        try:
            self._target = parse_cache_url(url)
        except ValueError as exc:
            raise ValueError(f"the Redis URL {exc}") from None
        self._options = dict(options)
        self._lock = threading.Lock()
        self._sync: SyncClient | None = None
        self._sync_sentinel: redis.sentinel.Sentinel | None = None
        # per loop: its client, held open by a started async generator whose `finally`
        # closes it when the loop shuts down (asyncio.run finalizes async generators)
        self._async: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopClient]
        self._async = weakref.WeakKeyDictionary()
        # Sentinel: when each client next asks where the primary is (monotonic time)
        self._next_check: weakref.WeakKeyDictionary[Any, float] = weakref.WeakKeyDictionary()
        self._deadlines = CallDeadlines()

    def within(self, seconds: float) -> contextlib.AbstractContextManager[None]:
        """``with connections.within(s):`` the sync client's calls in the block end within
        ``s`` seconds in all (the socket being read is shut then), or raise a redis-py
        ``TimeoutError``."""
        return self._deadlines.within(seconds)

    def close(self) -> None:
        """Close the sync client's connections (and the sentinels')."""
        with self._lock:
            client, self._sync = self._sync, None
            sentinel, self._sync_sentinel = self._sync_sentinel, None
        self._deadlines.close()
        if client is not None:
            client.close()
        for each in sentinel.sentinels if sentinel is not None else ():
            each.close()

    async def aclose(self) -> None:
        """Close the running loop's asyncio client, if it made one."""
        held = self._async.pop(asyncio.get_running_loop(), None)
        if held is not None:
            await held[1].aclose()

    def sync(self) -> SyncClient:
        client = self._sync
        if client is None:
            with self._lock:
                if self._sync is None:
                    self._sync = self._make_sync()
                client = self._sync
        if self._target.topology == "sentinel" and self._check_due(client):
            with contextlib.suppress(*FAILURES):
                cast(Any, client).connection_pool.get_master_address()
        return client

    async def for_loop(self) -> AsyncClient:
        loop = asyncio.get_running_loop()
        held = self._async.get(loop)
        if held is None:
            client, sentinels = self._make_async()
            guard = _closed_with_loop(client, sentinels)
            await guard.__anext__()
            with self._lock:
                held = self._async.setdefault(loop, (client, guard))
            if held[0] is not client:  # another task of this loop got there first
                await guard.aclose()
        if self._target.topology == "sentinel" and self._check_due(held[0]):
            with contextlib.suppress(*FAILURES):
                await cast(Any, held[0]).connection_pool.get_master_address()
        return held[0]

    def _check_due(self, client: Any) -> bool:
        """True at most once per ``PRIMARY_CHECK_INTERVAL`` per client (not the first
        time: a new client's first connection asks the sentinels anyway)."""
        now = time.monotonic()
        with self._lock:
            due = self._next_check.get(client)
            if due is not None and now < due:
                return False
            self._next_check[client] = now + PRIMARY_CHECK_INTERVAL
        return due is not None

    def drop_idle(self) -> None:
        """After a failure: close the sync client's idle connections (they most likely
        died with the one that failed), never one another thread is using."""
        client = self._sync
        if client is None:
            return
        if isinstance(client, redis.cluster.RedisCluster):
            nodes: list[Any] = _untyped(client.get_nodes)()
            for node in nodes:
                if node.redis_connection is not None:
                    node.redis_connection.connection_pool.disconnect(inuse_connections=False)
        else:
            client.connection_pool.disconnect(inuse_connections=False)

    async def adrop_idle(self, bound: float) -> None:
        """``drop_idle`` for this loop's client, within ``bound`` seconds. (A cluster
        client drops the connections of a node that failed itself.)"""
        held = self._async.get(asyncio.get_running_loop())
        if held is not None and isinstance(held[0], redis.asyncio.Redis):
            pool = held[0].connection_pool
            with contextlib.suppress(*FAILURES):
                await asyncio.wait_for(pool.disconnect(inuse_connections=False), bound)

    # -- the clients of each topology --------------------------------------------------
    def _make_sync(self) -> SyncClient:
        target, options = self._target, dict(self._options)
        no_retry = Retry(NoBackoff(), 0)
        if target.topology == "server":
            server = redis.Redis.from_url(target.url, **{"retry": no_retry, **options})
            deadlined(server.connection_pool)
            return server
        if target.topology == "cluster":
            node = _untyped(redis.cluster.ClusterNode)
            rest = [node(host, port) for host, port in target.hosts[1:]]
            if not _RETRY_OBJECT_RULES:
                options.setdefault("cluster_error_retry_attempts", 0)
            options.setdefault("retry", no_retry)
            options["connection_pool_class"] = DeadlinedPool  # each node's pool
            cluster = redis.cluster.RedisCluster
            return cluster.from_url(target.url, startup_nodes=rest, **options)
        sentinel_options, primary_options = self._sentinel_options(options, no_retry)
        sentinel = _untyped(redis.sentinel.Sentinel)(
            list(target.hosts), sentinel_kwargs=sentinel_options, **primary_options
        )
        self._sync_sentinel = sentinel
        client: redis.Redis = _untyped(sentinel.master_for)(target.service_name)
        for each in (client, *sentinel.sentinels):
            deadlined(each.connection_pool)
        return client

    def _make_async(self) -> tuple[AsyncClient, list[redis.asyncio.Redis]]:
        target, options = self._target, dict(self._options)
        no_retry = AsyncRetry(NoBackoff(), 0)
        if target.topology == "server":
            options = {"retry": no_retry, **options}
            return redis.asyncio.Redis.from_url(target.url, **options), []
        if target.topology == "cluster":
            node = _untyped(redis.asyncio.cluster.ClusterNode)
            rest = [node(host, port) for host, port in target.hosts[1:]]
            if _RETRY_OBJECT_RULES:
                options.setdefault("retry", no_retry)
            else:
                options.setdefault("cluster_error_retry_attempts", 0)
                options.setdefault("connection_error_retry_attempts", 0)
            cluster = redis.asyncio.cluster.RedisCluster
            return cluster.from_url(target.url, startup_nodes=rest, **options), []
        sentinel_options, primary_options = self._sentinel_options(options, no_retry)
        sentinel = _untyped(redis.asyncio.sentinel.Sentinel)(
            list(target.hosts), sentinel_kwargs=sentinel_options, **primary_options
        )
        client: redis.asyncio.Redis = _untyped(sentinel.master_for)(target.service_name)
        return client, list(sentinel.sentinels)

    def _sentinel_options(
        self, options: dict[str, Any], no_retry: Retry | AsyncRetry
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """The sentinels' connection settings, and the primary's (from the URL: its
        user, password, database, TLS and query; then ours)."""
        from_url: dict[str, Any] = _untyped(parse_url)(self._target.url)
        for name in ("host", "port"):
            from_url.pop(name, None)
        if from_url.pop("connection_class", None) is not None:  # rediss+sentinel://
            from_url["ssl"] = True  # the Sentinel pool picks its own TLS connection class
        primary = {"retry": no_retry, **from_url, **options}
        given = primary.pop("sentinel_kwargs", None)
        sentinels = {name: v for name, v in primary.items() if name.startswith("socket_")}
        if from_url.get("ssl"):
            sentinels["ssl"] = True
        sentinels["retry"] = no_retry
        sentinels.update(given or {})
        return sentinels, primary


_LoopClient = tuple[AsyncClient, AsyncGenerator[None, None]]


def _untyped(function: Callable[..., Any]) -> Callable[..., Any]:
    """A redis-py callable its annotations leave untyped (as ``mypy --strict`` wants)."""
    return function


async def _closed_with_loop(
    client: AsyncClient, sentinels: list[redis.asyncio.Redis]
) -> AsyncGenerator[None, None]:
    try:
        yield
    finally:
        await client.aclose()
        for each in sentinels:
            await each.aclose()


def send(client: SyncClient, op: Op[Any]) -> Any:
    execute: Callable[..., Any] = client.execute_command
    if op.script is None:
        return execute(*op.args)
    try:
        return execute("EVALSHA", op.script.sha, *op.args)
    except NoScriptError:  # first use since Redis started: send the script itself
        return execute("EVAL", op.script.source, *op.args)


async def asend(client: AsyncClient, op: Op[Any]) -> Any:
    execute: Callable[..., Awaitable[Any]] = client.execute_command
    if op.script is None:
        return await execute(*op.args)
    try:
        return await execute("EVALSHA", op.script.sha, *op.args)
    except NoScriptError:
        return await execute("EVAL", op.script.source, *op.args)
