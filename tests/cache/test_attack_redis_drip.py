"""Attack on the sync Redis cache (Flask, Django under WSGI): a Redis peer (or anything
between the worker and Redis) that answers a byte at a time, each byte within the
socket timeout.

``RedisSessionCache`` says a call takes at most ``bound`` seconds (connect plus answer),
and the async shell enforces it with ``asyncio.wait_for``; the sync shell relies on
redis-py's ``socket_timeout``, which bounds each read, not the answer. Behaviour 7:
never hang past the timeout.
"""

from __future__ import annotations

import threading

from okta_session_mw.cache.redis.cache import RedisSessionCache
from tests.support.drip_server import DripServer

KEY = "ab" * 32
BOUND = 20.0  # seconds, against a cache bound of 1 s (0.5 s to connect + 0.5 s to answer)


def test_attack_40_a_dripping_redis_holds_a_sync_request_for_ever() -> None:
    redis_like = DripServer(b"$1000000000\r\n", b"x", every=0.2)
    cache = RedisSessionCache(
        f"redis://127.0.0.1:{redis_like.port}/0", secret_key="a-secret-key-of-thirty-two-bytes"
    )
    done = threading.Event()

    def lookup() -> None:
        cache.get(KEY)  # what a WSGI request does first
        done.set()

    thread = threading.Thread(target=lookup, daemon=True)
    with redis_like:
        thread.start()
        answered = done.wait(BOUND)
    thread.join(10)  # the server gone, its connection closed: the lookup ends
    cache.close()
    assert answered, f"cache.get still waiting on Redis after {BOUND:.0f} s (bound 1 s)"
