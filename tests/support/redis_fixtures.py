"""pytest plugin for the Redis tests: a real ``redis-server`` for the whole run.

``pytest_plugins = ["tests.support.redis_fixtures"]`` in a test module gives it ``redis_server``
(one server on a free loopback port, no persistence, stopped at the end) and
``redis_client`` (a sync client on it, the database flushed before each test), and for
issue 14 ``redis_cluster`` (three primaries) and ``redis_sentinel`` (a primary, its replica
and a Sentinel), each started once per run, and ``redis_url``: one test run against each
topology (``server``, ``cluster``, ``sentinel``), every database flushed first, with
``redis_home``, a plain client on the node that holds its cache's keys.
Without ``redis-server`` the tests fail with a message saying how to install it;
``OKTA_SKIP_REDIS=1`` skips them instead, on purpose only.
``redis_url_of(topology)`` gives one topology's URL to a fixture of its own.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest
import redis

from okta_session_mw.testing.redis_cluster import RedisClusterServers
from okta_session_mw.testing.redis_sentinel import RedisSentinelServers
from okta_session_mw.testing.redis_server import INSTALL_HINT, RedisServer, find_redis_server
from tests.support.redis_entries import STORED

TOPOLOGIES = ("server", "cluster", "sentinel")


def require_redis_server() -> None:
    """Skip when asked to (``OKTA_SKIP_REDIS=1``), else fail loudly without redis-server."""
    if os.environ.get("OKTA_SKIP_REDIS") == "1":
        pytest.skip("OKTA_SKIP_REDIS=1: Redis tests skipped on request")
    if find_redis_server() is None:
        pytest.fail(INSTALL_HINT + " (or set OKTA_SKIP_REDIS=1 to skip the Redis tests)")


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    require_redis_server()
    with RedisServer() as server:
        yield server


@pytest.fixture
def redis_client(redis_server: RedisServer) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_server.url)
    client.flushdb()
    yield client
    client.close()


@pytest.fixture
def own_redis_server() -> Iterator[RedisServer]:
    """A server of the test's own, for tests that kill, pause or restart it."""
    require_redis_server()
    with RedisServer() as server:
        yield server


@pytest.fixture(scope="session")
def redis_cluster() -> Iterator[RedisClusterServers]:
    require_redis_server()
    with RedisClusterServers() as cluster:
        yield cluster


@pytest.fixture(scope="session")
def redis_sentinel() -> Iterator[RedisSentinelServers]:
    require_redis_server()
    with RedisSentinelServers() as sentinel:
        yield sentinel


def flush(*servers: RedisServer) -> None:
    for server in servers:
        with redis.Redis(port=server.port) as client:
            client.flushall()


@pytest.fixture(params=TOPOLOGIES)
def redis_url(request: pytest.FixtureRequest) -> str:
    """The ``cache_url`` of one topology, its data flushed (the test runs once for each)."""
    return flushed_url(request, request.param)


@pytest.fixture
def redis_url_of(request: pytest.FixtureRequest) -> Callable[[str], str]:
    """``redis_url_of(topology)``: ``redis_url`` for a fixture that picks the topology."""
    return lambda topology: flushed_url(request, topology)


def flushed_url(request: pytest.FixtureRequest, topology: str) -> str:
    """The ``cache_url`` of ``topology`` (one of ``TOPOLOGIES``), its data flushed."""
    if topology == "server":
        server: RedisServer = request.getfixturevalue("redis_server")
        flush(server)
        return server.url
    if topology == "cluster":
        cluster: RedisClusterServers = request.getfixturevalue("redis_cluster")
        flush(*cluster.servers)
        return cluster.url
    sentinel: RedisSentinelServers = request.getfixturevalue("redis_sentinel")
    flush(sentinel.primary)
    return sentinel.url


@pytest.fixture
def own_redis_sentinel() -> Iterator[RedisSentinelServers]:
    """A primary, replica and Sentinel of the test's own, for a test that fails them over."""
    require_redis_server()
    with RedisSentinelServers() as sentinel:
        yield sentinel


@pytest.fixture
def redis_home(redis_url: str, request: pytest.FixtureRequest) -> Iterator[redis.Redis]:
    """A plain client on the server that holds ``redis_url``'s cache keys (default prefix):
    the server, the cluster node of the prefix's slot, or Sentinel's primary."""
    if redis_url.startswith("redis+cluster://"):
        cluster: RedisClusterServers = request.getfixturevalue("redis_cluster")
        port = cluster.node_for(STORED).port
    elif redis_url.startswith("redis+sentinel://"):
        port = request.getfixturevalue("redis_sentinel").primary.port
    else:
        port = request.getfixturevalue("redis_server").port
    with redis.Redis(port=port) as client:
        yield client


@pytest.fixture
def own_redis_cluster() -> Iterator[RedisClusterServers]:
    """A cluster of the test's own, for a test that adds a replica and fails over to it."""
    require_redis_server()
    with RedisClusterServers() as cluster:
        yield cluster
