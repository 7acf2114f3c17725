"""A throwaway Redis primary, its replica and a Sentinel watching them, on loopback.

::

    with RedisSentinelServers() as sentinel:
        config = OktaSessionConfig(org_url=..., cache_url=sentinel.url, secret_key=...)
        ...
        sentinel.failover()     # the replica becomes the primary (SENTINEL FAILOVER)

Three ``RedisServer`` processes (no persistence): the primary, a replica of it, and one
``redis-server --sentinel`` monitoring the primary as ``service_name`` with a quorum of
one and timings of a fraction of a second, so a failover takes well under a second and
needs no other sentinel to agree. Needs the ``redis`` package (the ``redis`` extra).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import redis

from okta_session_mw.testing.redis_server import RedisServer
from okta_session_mw.testing.started import Started

__all__ = ["RedisSentinelServers"]

_SYNC_AT_ONCE = ("--repl-diskless-sync-delay", "0")
"""A primary waits 5 s by default before a full sync, for more replicas to join."""


class RedisSentinelServers(Started):
    """``url`` is ``redis+sentinel://127.0.0.1:PORT/service_name``; ``primary`` and
    ``replica`` swap places at each ``failover()``."""

    def __init__(self, service_name: str = "okta-cache", *, timeout: float = 20.0) -> None:
        self.service_name = service_name
        self.timeout = timeout
        self.primary = RedisServer(args=_SYNC_AT_ONCE)
        self.replica: RedisServer | None = None
        self.sentinel: RedisServer | None = None

    @property
    def url(self) -> str:
        if self.sentinel is None:
            raise RuntimeError("RedisSentinelServers: start() it before reading its url")
        return f"redis+sentinel://127.0.0.1:{self.sentinel.port}/{self.service_name}"

    def start(self) -> None:
        """Start the primary, its replica and the sentinel; wait until the sentinel
        knows the replica and the replica is in sync."""
        self.primary.start()
        of_primary = ("--replicaof", "127.0.0.1", str(self.primary.port))
        self.replica = RedisServer(args=_SYNC_AT_ONCE + of_primary)
        self.replica.start()
        name = self.service_name
        self.sentinel = RedisServer(
            args=("--sentinel",),
            config=(
                f"sentinel monitor {name} 127.0.0.1 {self.primary.port} 1\n"
                f"sentinel down-after-milliseconds {name} 300\n"
                f"sentinel failover-timeout {name} 2000\n"
            ),
        )
        self.sentinel.start()
        self._wait(lambda: self._replicas_known() and self._in_sync(), "the replica to sync")

    def failover(self) -> None:
        """``SENTINEL FAILOVER``: the replica is promoted, the old primary becomes its
        replica; returns once the sentinel names the new primary and it accepts writes.

        A primary that died (``primary.kill()``) is failed over by the sentinel itself
        after ``down-after-milliseconds``: then the failover may be under way, or made,
        when this is called, and it waits for that one instead."""
        assert self.replica is not None
        new = self.replica
        what = "failover"
        with self._sentinel() as client:
            try:
                client.execute_command("SENTINEL", "FAILOVER", self.service_name)
            except redis.ResponseError as refused:  # INPROG: the sentinel's own, begun
                what = f"failover (SENTINEL FAILOVER answered: {refused})"
        self._wait(lambda: self._primary_port() == new.port and _role(new) == "master", what)
        self.primary, self.replica = new, self.primary

    def close(self) -> None:
        """Stop every server and remove their directories."""
        for server in (self.sentinel, self.replica, self.primary):
            if server is not None:
                server.close()

    def _sentinel(self) -> redis.Redis:
        assert self.sentinel is not None
        return redis.Redis(port=self.sentinel.port, socket_timeout=5)

    def _primary_port(self) -> int | None:
        with self._sentinel() as client:
            found = client.execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", self.service_name)
        return int(found[1]) if found else None

    def _replicas_known(self) -> bool:
        """The sentinel has read the replica's own INFO: it could promote it now."""
        with self._sentinel() as client:
            replicas = client.execute_command("SENTINEL", "REPLICAS", self.service_name)
        for found in replicas or ():  # a dict, or flat pairs (releases of redis-py differ)
            pairs = (
                found.items()
                if isinstance(found, dict)
                else zip(found[::2], found[1::2], strict=True)
            )
            replica = {_text(name): _text(value) for name, value in pairs}
            known = replica.get("flags") == "slave" and replica.get("master-link-status") == "ok"
            if known and int(replica.get("info-refresh", "-1")) in range(3000):
                return True
        return False

    def _in_sync(self) -> bool:
        """The replica loaded the primary's data and the primary streams it every write
        (``state=online``: after a diskless sync the replica says "up" a little before)."""
        assert self.replica is not None
        with redis.Redis(port=self.replica.port, socket_timeout=5) as client:
            status: object = client.info("replication").get("master_link_status")
        with redis.Redis(port=self.primary.port, socket_timeout=5) as client:
            replicas = client.info("replication")
        online = any(
            isinstance(value, dict) and value.get("state") == "online"
            for name, value in replicas.items()
            if name.startswith("slave")
        )
        return status == "up" and online

    def _wait(self, ready: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                if ready():
                    return
            except redis.RedisError:
                pass  # not up yet
            if time.monotonic() > deadline:
                raise RuntimeError(f"RedisSentinelServers: timed out waiting for {what}")
            time.sleep(0.05)


def _role(server: RedisServer) -> str:
    with redis.Redis(port=server.port, socket_timeout=5) as client:
        return _text(client.execute_command("ROLE")[0])


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
