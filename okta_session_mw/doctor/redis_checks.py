"""The checks of a Redis cache: reachable (its version and mode), and one ``secret_key``
shared by every worker on it (the marks of ``cache/redis/key_marks.py``).

Only read commands are sent (``INFO server``, ``HGETALL``); the doctor writes nothing.
Each check waits for Redis at most the doctor's deadline as a whole (``--deadline``).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from okta_session_mw.config import OktaSessionConfig
from okta_session_mw.doctor.deadline import check_deadline, no_answer_within
from okta_session_mw.doctor.findings import Finding

__all__ = ["RedisProbe", "check_redis", "check_secret_key", "probe_redis"]


@dataclass(slots=True)
class RedisProbe:
    """An open client and what ``INFO server`` said, or why there is none."""

    where: str
    client: Any = None
    version: str | None = None
    mode: str | None = None
    error: str | None = None
    deadline: float | None = None
    """How long each of its checks waits for Redis, as a whole (None: the default of
    :func:`~okta_session_mw.doctor.deadline.check_deadline`)."""


@contextlib.contextmanager
def probe_redis(config: OktaSessionConfig, deadline: float) -> Iterator[RedisProbe | None]:
    """None without a Redis cache; else a probe whose client is closed on leaving.

    Dialling and ``INFO server`` are waited for ``deadline`` seconds as a whole
    (``socket_timeout`` bounds each read only: a Redis dripping its answer would hold
    the doctor for good); past it the probe says so and its thread is left behind (a
    daemon: the doctor still exits at once)."""
    if config.cache_url is None:
        yield None
        return
    try:
        import redis
    except ImportError:
        yield RedisProbe(
            "?", error="the redis package is missing: pip install 'okta-session-mw[redis]'"
        )
        return
    from okta_session_mw.cache.redis.bounded_wait import NoAnswerWithin, wait_at_most
    from okta_session_mw.cache.redis.health import redacted_url

    url = config.cache_url
    probe = RedisProbe(redacted_url(url), deadline=deadline)
    try:
        client, info = wait_at_most(
            deadline, lambda: _ask_server(url, config.timeout), on_late=_close_client
        )
        probe.version = str(info.get("redis_version", "?"))
        probe.mode = str(info.get("redis_mode", "standalone"))
        probe.client = client
    except NoAnswerWithin:
        probe.error = no_answer_within(deadline)
    except redis.exceptions.AuthenticationError as exc:
        probe.error = f"refused our credentials ({type(exc).__name__}: {exc})"
    except Exception as exc:  # RedisError, or a URL redis-py cannot dial (ValueError)
        probe.error = f"{type(exc).__name__}: {exc}"
    try:
        yield probe
    finally:
        if probe.client is not None:
            probe.client.close()


def _ask_server(url: str, timeout: float) -> tuple[Any, Any]:
    """A client and its ``INFO server`` (on the thread ``probe_redis`` may give up on)."""
    client = _connect(url, timeout)
    try:
        return client, _server_info(client.info("server"))
    except BaseException:
        client.close()
        raise


def _close_client(got: tuple[Any, Any]) -> None:
    """An answer that came after the deadline: nobody uses its client."""
    got[0].close()


def _connect(url: str, timeout: float) -> Any:
    """A client for ``cache_url`` as the cache dials it (one server, a Redis Cluster, or
    the primary a Sentinel names), with the doctor's own patience (``timeout``), not the
    cache's 0.5 s."""
    from okta_session_mw.cache.redis.connections import RedisConnections

    options = {"socket_timeout": timeout, "socket_connect_timeout": timeout}
    return RedisConnections(url, options).sync()


def _server_info(info: Any) -> Any:
    """``INFO server`` of one node: a cluster client answers one section per node."""
    if info and all(isinstance(value, dict) for value in info.values()):
        return next(iter(info.values()))
    return info


_TOPOLOGY_SCHEMES = {"cluster": ("redis+cluster:", "rediss+cluster:"), "sentinel": ()}
"""The ``cache_url`` schemes that expect a node of that mode (a Sentinel URL reaches the
primary it names, a server: never the Sentinel itself)."""

_NOT_A_SERVER = {
    "cluster": "a Redis Cluster node",
    "sentinel": "a Sentinel, which holds no data",
}


def check_redis(probe: RedisProbe | None) -> Finding:
    if probe is None:
        return Finding.skip("redis", "not used: the in-process cache (each worker keeps its own)")
    if probe.error is not None:
        return Finding.fail("redis", f"{probe.where}: {probe.error}")
    found = f"{probe.where} answers: Redis {probe.version}, {probe.mode}"
    if probe.mode in _NOT_A_SERVER and not probe.where.startswith(_TOPOLOGY_SCHEMES[probe.mode]):
        return Finding.fail(
            "redis",
            f"{found}: a {probe.where.split(':', 1)[0]}:// cache_url needs a standalone "
            f"server (or a primary), and this is {_NOT_A_SERVER[probe.mode]}",
        )
    return Finding.ok("redis", found)


def check_secret_key(config: OktaSessionConfig, probe: RedisProbe | None) -> Finding:
    """Compare this configuration's key mark with the ones workers wrote at start-up."""
    if probe is None:
        return Finding.skip("secret_key", "not shared: no Redis cache")
    if probe.client is None:
        return Finding.skip("secret_key", "not checked: Redis did not answer")
    if probe.mode in _NOT_A_SERVER and not probe.where.startswith(_TOPOLOGY_SCHEMES[probe.mode]):
        return Finding.skip(
            "secret_key", f"not checked: cache_url names {_NOT_A_SERVER[probe.mode]}"
        )
    from okta_session_mw.cache.redis.bounded_wait import NoAnswerWithin, wait_at_most
    from okta_session_mw.cache.redis.key_marks import key_fingerprint, marks_key, read_key_marks

    client, deadline = probe.client, check_deadline(config, probe.deadline)
    try:
        marks = wait_at_most(deadline, lambda: read_key_marks(config, client))
    except NoAnswerWithin:
        return Finding.fail(
            "secret_key", f"cannot read {marks_key(config)}: {no_answer_within(deadline)}"
        )
    except Exception as exc:  # any Redis refusal (ACL, wrong type) is a finding
        return Finding.fail("secret_key", f"cannot read {marks_key(config)}: {type(exc).__name__}")
    own = key_fingerprint(config.secret_key_bytes)
    if not marks:
        return Finding.warn(
            "secret_key",
            f"no worker has marked its key under {config.cache_prefix!r} in the last week "
            "(workers mark it at start-up): start one, then run the doctor again",
        )
    others = {mark: at for mark, at in marks.items() if mark != own}
    older = {key_fingerprint(key) for key in config.secret_keys_bytes[1:]}
    if others and set(others) <= older:
        return Finding.warn(
            "secret_key",
            "a rotation is under way: some workers still key the cache with one of this "
            "configuration's older secret_key values (finish it: README 'Rotating secret_key')",
        )
    if others:
        latest = _ago(max(others.values()))
        shared = "this one and " if own in marks else ""
        return Finding.fail(
            "secret_key",
            f"workers on this cache use {shared}{len(others)} other secret_key(s) (latest "
            f"start-up with another {latest}): every worker must share one, or each misses "
            "the others' cached sessions and their logouts",
        )
    return Finding.ok(
        "secret_key", f"the workers' secret_key is this one (latest start-up {_ago(marks[own])})"
    )


def _ago(at: float) -> str:
    seconds = max(0, int(time.time() - at))
    if seconds < 120:
        return f"{seconds} s ago"
    if seconds < 7200:
        return f"{seconds // 60} min ago"
    return f"{seconds // 3600} h ago"
