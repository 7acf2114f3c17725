"""The sync Redis cache (Flask, Django/WSGI) bounds a whole call, not each read (issue 14,
attack 40): a Redis, or anything on the path to it, that drips its answer a byte within
every socket timeout holds a call no longer than the cache's ``bound``, on each topology
and over TLS; the call counts as a Redis failure, and the next one after Redis recovers
is answered on a fresh connection.

A dripping peer would hold a call for ever, so "answered within ``NEVER`` seconds"
against a bound of 1 s proves the deadline without timing it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from okta_session_mw.cache.entry import CacheEntry
from okta_session_mw.cache.redis.cache import RedisSessionCache
from okta_session_mw.testing.redis_server import RedisServer
from tests.support.drip_server import DripServer
from tests.support.redis_entries import SECRET, entry_for, key, make_session
from tests.support.tls_proxy import TlsProxy, make_certificates

pytest_plugins = ["tests.support.redis_fixtures"]

NEVER = 20.0  # seconds, against a cache bound of 1 s (0.5 s to connect + 0.5 s to answer)
KEY = key("sid=102Drip")


@pytest.fixture
def drip() -> Iterator[DripServer]:
    """A peer that answers a bulk string's head at once, then a byte every 0.2 s."""
    with DripServer(b"$1000000000\r\n", b"x", every=0.2) as server:
        yield server


def get_or_hang(cache: RedisSessionCache) -> tuple[bool, CacheEntry | None]:
    """``cache.get`` on a thread of its own (as a WSGI request's): answered within
    ``NEVER`` seconds, and its answer."""
    found: list[CacheEntry | None] = []
    thread = threading.Thread(target=lambda: found.append(cache.get(KEY)), daemon=True)
    thread.start()
    thread.join(NEVER)
    return bool(found), found[0] if found else None


def assert_cut(cache: RedisSessionCache, caplog: pytest.LogCaptureFixture) -> None:
    answered, found = get_or_hang(cache)
    # (not closed first: a call still under way may hold the client's lock)
    assert answered, f"cache.get still waiting on Redis after {NEVER:.0f} s (bound 1 s)"
    cache.close()
    assert found is None  # answered as Redis out does: a miss, so the flow asks Okta
    assert not cache.available  # outage mode, as after a timeout
    assert "unavailable (TimeoutError)" in caplog.text


def test_i14_80_a_redis_dripping_its_answer_holds_a_sync_call_no_longer_than_the_bound(
    drip: DripServer, caplog: pytest.LogCaptureFixture
) -> None:
    assert_cut(RedisSessionCache(f"redis://127.0.0.1:{drip.port}/0", secret_key=SECRET), caplog)


def test_i14_81_a_dripping_cluster_node_holds_the_cluster_client_no_longer(
    drip: DripServer, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"redis+cluster://127.0.0.1:{drip.port}"  # learning the slots drips
    assert_cut(RedisSessionCache(url, secret_key=SECRET), caplog)


def test_i14_82_a_dripping_sentinel_holds_the_sentinel_client_no_longer(
    drip: DripServer, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"redis+sentinel://127.0.0.1:{drip.port}/mymaster"  # asking for the primary drips
    assert_cut(RedisSessionCache(url, secret_key=SECRET), caplog)


def test_i14_83_a_drip_under_tls_is_cut_too(
    drip: DripServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    certificates = make_certificates(tmp_path)
    options: dict[str, Any] = {"ssl_ca_certs": str(certificates.ca)}
    with TlsProxy(drip.port, certificates) as proxy:
        url = f"rediss://localhost:{proxy.port}/0"
        assert_cut(RedisSessionCache(url, secret_key=SECRET, client_options=options), caplog)


def test_i14_84_once_redis_answers_again_the_next_call_reads_it_on_a_fresh_connection(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    # (redis_server: there is a redis-server to start where the drip was)
    with DripServer(b"$1000000000\r\n", b"x", every=0.2) as drip:
        cache = RedisSessionCache(
            f"redis://127.0.0.1:{drip.port}/0", secret_key=SECRET, retry_interval=0.0
        )
        answered, _ = get_or_hang(cache)
    assert answered and not cache.available
    with RedisServer(port=drip.port):  # a real Redis where the drip was
        cache.set(KEY, entry_for(make_session("102Drip")))
        answered, found = get_or_hang(cache)
        cache.close()
    assert answered and found is not None and found.session is not None
    assert cache.available
    assert "reachable again" in caplog.text
