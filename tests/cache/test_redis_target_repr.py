"""Found by an outside attack: secrets in reprs (behaviour 12), Cluster and Sentinel (14.5).

``parse_cache_url`` answers a ``RedisTarget``, a dataclass whose generated repr shows its
``url`` field: for every form (one server, a cluster, Sentinel) that is the URL redis-py
dials, user and password included. ``RedisConnections`` keeps one as ``_target`` and
``_make_sync``/``_make_async`` hold one in a local, so a debug log of the target, or a
traceback rendered with its locals (Sentry, rich), prints the Redis password.
"""

from __future__ import annotations

import pytest

from okta_session_mw.redis_topology import parse_cache_url

PASSWORD = "s3cret-redis-pw"

URLS = [
    f"redis://:{PASSWORD}@127.0.0.1:6379/0",
    f"redis+cluster://:{PASSWORD}@127.0.0.1:7000,127.0.0.1:7001",
    f"redis+sentinel://app:{PASSWORD}@127.0.0.1:26379/mymaster/0",
]


@pytest.mark.parametrize("url", URLS, ids=["server", "cluster", "sentinel"])
def test_i14_58_a_parsed_cache_url_never_shows_its_password_in_its_repr(url: str) -> None:
    target = parse_cache_url(url)
    assert PASSWORD not in repr(target)
    assert PASSWORD not in str(target)
