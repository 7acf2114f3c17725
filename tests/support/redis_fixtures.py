"""pytest plugin for the Redis tests: a real ``redis-server`` for the whole run.

``pytest_plugins = ["tests.support.redis_fixtures"]`` in a test module gives it ``redis_server``
(one server on a free loopback port, no persistence, stopped at the end) and
``redis_client`` (a sync client on it, the database flushed before each test).
Without ``redis-server`` the tests fail with a message saying how to install it;
``OKTA_SKIP_REDIS=1`` skips them instead, on purpose only.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import redis

from okta_session_mw.testing.redis_server import INSTALL_HINT, RedisServer, find_redis_server


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
