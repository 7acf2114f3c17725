"""The doctor (issue 15.6) against hostile peers: an org or a Redis that answers slowly,
a byte at a time, each byte within every per-read timeout, or that answers too much;
and a worker's start-up (its ``secret_key`` mark) against such a Redis.

The doctor is run as an operator runs it, in a real subprocess; the hostile peer is a
real TCP server on loopback. A doctor that never ends fails the test after a generous
bound (the bound is the behaviour: each network check waits at most its deadline,
``--deadline`` or three times ``OKTA_TIMEOUT``, 3 s here). Tests 90 and 91 are the attack
review's tests 20 and 21.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import pytest

from okta_session_mw import OktaSessionConfig
from tests.support.drip_server import DripServer

KEY = "a-secret-key-of-thirty-two-bytes"


def finished_within(seconds: float, work: Callable[[], Any]) -> Any:
    """``work()``'s result, failing the test if it is still running after ``seconds``."""
    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.append(work()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still running after {seconds:g} s"
    [value] = result
    return value


def test_i15_95_a_worker_start_up_is_not_held_by_a_redis_that_drips(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A worker's start-up writes its key mark (``default_cache``): against a Redis that
    drips its answers it once waited for ever; now for ``record_bound`` (3 x the URL's
    0.5 s timeouts), then it logs and goes on, the cache built."""
    from okta_session_mw.cache.redis.cache import RedisSessionCache
    from okta_session_mw.cache.selection import default_cache

    password = "mark-pass-never-logged"
    with DripServer(b"$1000000000\r\n", b"x") as redis_like:
        url = f"redis://:{password}@127.0.0.1:{redis_like.port}/0"
        config = OktaSessionConfig(org_url="http://127.0.0.1:1", cache_url=url, secret_key=KEY)
        with caplog.at_level(logging.WARNING, logger="okta_session_mw"):
            cache = finished_within(20, lambda: default_cache(config, lambda: 0.0))
    assert isinstance(cache, RedisSessionCache)
    assert "could not record the secret_key mark" in caplog.text
    assert "no answer within 1.5 s" in caplog.text
    assert password not in caplog.text and KEY not in caplog.text
