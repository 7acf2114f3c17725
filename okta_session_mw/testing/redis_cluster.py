"""A throwaway Redis Cluster of three primaries on loopback, for this project's tests and yours.

::

    with RedisClusterServers() as cluster:
        config = OktaSessionConfig(org_url=..., cache_url=cluster.url, secret_key=...)
        ...
        cluster.node_for("{okta-session-mw:}e:...").pause()   # the shard of the cache hangs

Three ``redis-server --cluster-enabled yes`` (``RedisServer``, no persistence; each on a
free port whose cluster bus port, 10000 above, is free too), the 16384
slots split between them with ``CLUSTER ADDSLOTSRANGE`` and the nodes joined with
``CLUSTER MEET``; ready once every node says ``cluster_state:ok``. Needs ``redis-server``
7.0 or later and the ``redis`` package (the ``redis`` extra).
"""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Callable
from typing import Any

import redis
from redis.crc import key_slot

from okta_session_mw.testing.redis_server import RedisServer, free_port
from okta_session_mw.testing.started import Started

__all__ = ["RedisClusterServers"]

SLOTS = 16384


class RedisClusterServers(Started):
    """``nodes`` primaries; ``url`` is ``redis+cluster://`` listing them all.
    ``add_replica(primary)`` gives one a replica, ``failover(replica)`` promotes it."""

    def __init__(self, nodes: int = 3, *, startup_timeout: float = 20.0) -> None:
        cluster_args: tuple[str, ...] = ("--cluster-enabled", "yes")
        cluster_args += ("--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "5000")
        cluster_args += ("--repl-diskless-sync-delay", "0")  # a replica syncs at once
        self._args = cluster_args
        self.servers = [RedisServer(args=cluster_args) for _ in range(nodes)]
        self.replicas: list[RedisServer] = []
        self.startup_timeout = startup_timeout

    @property
    def url(self) -> str:
        return "redis+cluster://" + ",".join(f"127.0.0.1:{s.port}" for s in self.servers)

    def start(self) -> None:
        """Start every node, assign the slots, join the nodes; wait for ``cluster_state:ok``."""
        for server in self.servers:
            _start_with_bus(server)
        clients = [redis.Redis(port=s.port, socket_timeout=5) for s in self.servers]
        try:
            if all(_info(c).get("cluster_state") == "ok" for c in clients):
                return  # a restart of nodes that kept their nodes.conf
            share = SLOTS // len(clients)
            for index, client in enumerate(clients):
                last = SLOTS - 1 if index == len(clients) - 1 else (index + 1) * share - 1
                _command(client, "CLUSTER", "ADDSLOTSRANGE", index * share, last)
            for server in self.servers[1:]:
                _command(clients[0], "CLUSTER", "MEET", "127.0.0.1", server.port)
            deadline = time.monotonic() + self.startup_timeout
            while not all(_ready(c, len(clients)) for c in clients):
                if time.monotonic() > deadline:
                    raise RuntimeError("the Redis Cluster did not reach cluster_state:ok")
                time.sleep(0.05)
        finally:
            for client in clients:
                client.close()

    def add_replica(self, primary: RedisServer) -> RedisServer:
        """A new node joined to the cluster as a replica of ``primary``, once in sync."""
        replica = RedisServer(args=self._args)
        self.replicas.append(replica)
        _start_with_bus(replica)
        with redis.Redis(port=primary.port, socket_timeout=5) as of:
            primary_id = _text(_command(of, "CLUSTER", "MYID"))
        with redis.Redis(port=replica.port, socket_timeout=5) as client:
            _command(client, "CLUSTER", "MEET", "127.0.0.1", primary.port)
            self._wait(lambda: _replicating(client, primary_id), "the replica to join")
            self._wait(lambda: _in_sync(client), "the replica to sync")
        everyone = len(self.servers) + len(self.replicas)
        self._wait(lambda: self._all_know(everyone), "every node to know the replica")
        return replica

    def _all_know(self, nodes: int) -> bool:
        """Every node has heard of ``nodes`` nodes (so the primaries can vote for one)."""
        for server in (*self.servers, *self.replicas):
            with redis.Redis(port=server.port, socket_timeout=5) as client:
                if _info(client).get("cluster_known_nodes") != str(nodes):
                    return False
        return True

    def failover(self, replica: RedisServer) -> None:
        """``CLUSTER FAILOVER TAKEOVER`` on ``replica``: it takes its primary's slots at
        once, without waiting for the primaries' votes (which a loaded machine can delay
        past Redis's own five-second limit), and the old primary becomes its replica;
        returns once it is a primary and the cluster is ok."""
        with redis.Redis(port=replica.port, socket_timeout=5) as client:
            _command(client, "CLUSTER", "FAILOVER", "TAKEOVER")
            self._wait(lambda: _primary_of_slots(client), "the replica to take over")

    def _wait(self, ready: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while not ready():
            if time.monotonic() > deadline:
                raise RuntimeError(f"RedisClusterServers: timed out waiting for {what}")
            time.sleep(0.05)

    def node_for(self, key: str) -> RedisServer:
        """The node that holds ``key``'s slot (as the slots were assigned)."""
        share = SLOTS // len(self.servers)
        return self.servers[min(key_slot(key.encode()) // share, len(self.servers) - 1)]

    def close(self) -> None:
        """Stop every node and remove their directories."""
        for server in (*self.servers, *self.replicas):
            server.close()


def _start_with_bus(server: RedisServer) -> None:
    """Start a node on a free port whose cluster bus port (port + 10000) is free too."""
    if server.port:  # a restart keeps its ports
        server.start()
        return
    for _ in range(20):
        port = free_port()
        if port + 10_000 > 65_535 or not _bindable(port + 10_000):
            continue
        server.port = port
        try:
            server.start()
        except RuntimeError:  # taken meanwhile
            server.port = 0
            continue
        return
    raise RuntimeError("no free pair of ports for a Redis Cluster node and its bus")


def _bindable(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _info(client: redis.Redis) -> dict[str, str]:
    with contextlib.suppress(redis.RedisError):
        text = _command(client, "CLUSTER", "INFO")
        text = text.decode() if isinstance(text, bytes) else str(text)
        pairs = (line.partition(":") for line in text.splitlines())
        return {name: value.strip() for name, _, value in pairs}
    return {}


def _ready(client: redis.Redis, nodes: int) -> bool:
    info = _info(client)
    return info.get("cluster_state") == "ok" and info.get("cluster_known_nodes") == str(nodes)


def _replicating(client: redis.Redis, primary_id: str) -> bool:
    """The node was told to replicate ``primary_id`` (refused until gossip made it known)."""
    try:
        _command(client, "CLUSTER", "REPLICATE", primary_id)
    except redis.RedisError:  # "Unknown node" until the MEET has spread
        return False
    return True


def _in_sync(client: redis.Redis) -> bool:
    status: object = client.info("replication").get("master_link_status")
    return status == "up" and _info(client).get("cluster_state") == "ok"


def _primary_of_slots(client: redis.Redis) -> bool:
    try:
        role = _text(_command(client, "ROLE")[0])
    except redis.RedisError:
        return False
    return role == "master" and _info(client).get("cluster_state") == "ok"


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _command(client: redis.Redis, *args: str | int) -> Any:
    command: Callable[..., Any] = client.execute_command
    return command(*args)
