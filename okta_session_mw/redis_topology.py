"""Where the Redis of ``cache_url`` is (one server, a Redis Cluster, or a primary found
through Sentinel), and the one hash tag every key of the cache carries.

Standard library only, and outside ``cache/`` (which imports the config): ``config.py``
checks a ``cache_url`` and a ``cache_prefix`` with it before the ``redis`` extra is
imported (``cache/redis/connections.py`` makes the clients from a ``RedisTarget``).

URLs::

    redis://[[user]:password@]host[:port][/db]       one server (redis-py's own URL)
    rediss://...  unix:///path/redis.sock            (the same, TLS; a Unix socket)
    redis+cluster://[[user]:password@]host:port[,host:port...]
    redis+sentinel://[[user]:password@]host:port[,host:port...]/service_name[/db]
    rediss+cluster://...  rediss+sentinel://...      (the same over TLS)

A cluster's hosts are where the client starts (it learns the rest from the cluster);
Sentinel's are the sentinels (default port 26379), asked for the primary of
``service_name``. The user and password are the Redis servers' (not the sentinels': give
those with ``client_options={"sentinel_kwargs": {...}}``). A query (``?socket_timeout=2``)
is read as redis-py reads it. The host list is split at commas; everything else is
parsed by ``urllib.parse`` (and then by redis-py). No message here quotes the URL: it
may hold a password.

Why one hash tag. In Redis Cluster a script may only touch keys of one slot, and the
end-by-session and end-by-user scripts (``cache/redis/scripts.py``) touch the entries of
every cookie of a session or user, named from a set's members inside the script. So
every key is built from a prefix holding one ``{...}`` hash tag, and the whole cache
lives in one slot (on one shard): a cluster gives it failover, not spreading.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

__all__ = ["RedisTarget", "parse_cache_url", "tagged_prefix"]

Topology = Literal["server", "cluster", "sentinel"]
SERVER_SCHEMES = ("redis", "rediss", "unix")
CLUSTER_SCHEMES = ("redis+cluster", "rediss+cluster")
SENTINEL_SCHEMES = ("redis+sentinel", "rediss+sentinel")
SCHEMES = SERVER_SCHEMES + CLUSTER_SCHEMES + SENTINEL_SCHEMES
_DEFAULT_PORT = {"cluster": 6379, "sentinel": 26379}


def tagged_prefix(prefix: str) -> str:
    """``prefix`` carrying exactly the hash tag Redis Cluster will hash every key by.

    ``okta-session-mw:`` becomes ``{okta-session-mw:}``; a prefix that already holds a tag
    (its first ``{``, then a ``}`` with something between, as Redis reads it) is kept as
    it is. ``ValueError`` for an empty prefix, and for braces that are not such a tag
    (Redis would hash each whole key, spreading the cache over slots)."""
    if not prefix:
        raise ValueError("must not be empty: every Redis key carries it as a hash tag")
    start = prefix.find("{")
    if start < 0:
        if "}" in prefix:
            raise ValueError("holds a '}' without a '{' before it (not a Redis hash tag)")
        return "{" + prefix + "}"
    end = prefix.find("}", start + 1)
    if end <= start + 1:
        raise ValueError(
            "holds a '{' that does not open a Redis hash tag ('{' then '}' with "
            "something between, as in 'app:{okta}:')"
        )
    return prefix


@dataclass(frozen=True, slots=True)
class RedisTarget:
    """One parsed ``cache_url``.

    ``url``: for a server the URL as given; for a cluster or Sentinel a one-host
    ``redis[s]://`` URL of the first host with the URL's user, password and query (what
    redis-py's URL parser reads the options from). ``hosts``: every ``(host, port)``
    listed (the sentinels, for Sentinel). ``redacted``: where a cluster or Sentinel is,
    for logs and reprs: no user, password or query (a server's: ``redacted_url`` of
    ``cache/redis/health.py``)."""

    topology: Topology
    url: str = field(repr=False)  # may hold the password: never in a repr (behaviour 12)
    hosts: tuple[tuple[str, int], ...]
    service_name: str = ""
    db: int = 0
    redacted: str = ""


def parse_cache_url(url: str) -> RedisTarget:
    """The target ``url`` names; ``ValueError`` (a message without the URL) when it is
    not one of the forms of the module docstring."""
    scheme, sep, _ = url.partition("://")
    if not sep or scheme.lower() not in SCHEMES:
        raise ValueError("must start with " + ", ".join(s + "://" for s in SCHEMES))
    try:
        parts = urlsplit(url)
    except ValueError:
        raise ValueError("is not a URL that urllib.parse can read") from None
    scheme = parts.scheme  # urlsplit lower-cases it
    if scheme in SERVER_SCHEMES:
        return RedisTarget("server", url, ())
    topology: Topology = "cluster" if scheme in CLUSTER_SCHEMES else "sentinel"
    if parts.fragment:
        raise ValueError(f"a {scheme}:// URL takes no #fragment")
    userinfo, _, host_list = parts.netloc.rpartition("@")
    hosts = tuple(_host(item, topology) for item in host_list.split(","))
    service_name, db = _path(parts.path, topology, scheme)
    base = scheme.partition("+")[0]
    credentials = userinfo + "@" if userinfo else ""
    first = host_list.split(",")[0]
    path = f"/{db}" if topology == "sentinel" else ""
    query = f"?{parts.query}" if parts.query else ""
    seed = f"{base}://{credentials}{first}{path}{query}"
    shown = ",".join(_shown(host, port) for host, port in hosts)
    shown_path = f"/{service_name}/{db}" if topology == "sentinel" else ""
    return RedisTarget(topology, seed, hosts, service_name, db, f"{scheme}://{shown}{shown_path}")


def _host(item: str, topology: Topology) -> tuple[str, int]:
    if not item:
        raise ValueError(f"a redis+{topology}:// URL needs host:port[,host:port...]: one is empty")
    try:
        parts = urlsplit("//" + item)
        port = parts.port
    except ValueError:
        raise ValueError(f"a host of the redis+{topology}:// URL has a bad port") from None
    if not parts.hostname or parts.path or parts.query:
        raise ValueError(f"a host of the redis+{topology}:// URL is not host:port")
    return parts.hostname, port if port is not None else _DEFAULT_PORT[topology]


def _path(path: str, topology: Topology, scheme: str) -> tuple[str, int]:
    """The service name and database of a path (``/name[/db]``; a cluster has none)."""
    steps = [step for step in path.split("/") if step] if path else []
    if topology == "cluster":
        if steps not in ([], ["0"]):
            raise ValueError(f"a {scheme}:// URL takes no path: a cluster has only database 0")
        return "", 0
    if len(steps) > 2:
        raise ValueError(f"the path of a {scheme}:// URL is /service_name[/db], no more")
    if not steps:
        raise ValueError(
            f"a {scheme}:// URL needs the primary's service name: "
            f"{scheme}://host:26379[,host:26379]/service_name[/db]"
        )
    if len(steps) == 2 and not steps[1].isdigit():
        raise ValueError(f"the database of a {scheme}:// URL must be a number: .../service_name/0")
    return steps[0], int(steps[1]) if len(steps) == 2 else 0


def _shown(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
