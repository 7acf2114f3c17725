"""``okta_session_mw.testing.RedisSentinelServers.failover()`` when Sentinel acts first.

The Sentinel fails a dead primary over by itself after ``down-after-milliseconds``
(300 ms here): a test that kills the primary and then calls ``failover()`` may find the
failover under way (``INPROG``) or already made (nothing left to promote). Either way
the call waits for it and swaps ``primary`` and ``replica``, as after its own command
(seen under load: ``test_i14_52`` failed on ``INPROG Failover already in progress``).
"""

from __future__ import annotations

import time

import pytest
import redis

from okta_session_mw.testing.redis_sentinel import RedisSentinelServers

pytest_plugins = ["tests.support.redis_fixtures"]  # own_redis_sentinel


def _named_primary(servers: RedisSentinelServers) -> int:
    assert servers.sentinel is not None
    with redis.Redis(port=servers.sentinel.port, socket_timeout=5) as client:
        found = client.execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", servers.service_name)
    return int(found[1])


@pytest.mark.parametrize("made", [False, True], ids=["under way", "already made"])
def test_failover_after_sentinel_began_it_itself_waits_for_it(
    own_redis_sentinel: RedisSentinelServers, made: bool
) -> None:
    servers = own_redis_sentinel
    old, new = servers.primary, servers.replica
    assert new is not None
    old.kill()
    deadline = time.monotonic() + 20  # a bound on "never": Sentinel acts after 300 ms
    while made and _named_primary(servers) != new.port:
        assert time.monotonic() < deadline, "Sentinel never failed the dead primary over"
        time.sleep(0.05)
    if not made:
        time.sleep(0.5)  # down-after-milliseconds passed: Sentinel has begun by now
    servers.failover()
    assert (servers.primary, servers.replica) == (new, old)
    assert _named_primary(servers) == new.port
    with redis.Redis(port=new.port, socket_timeout=5) as client:
        assert client.set("written", "1")  # the new primary accepts writes
