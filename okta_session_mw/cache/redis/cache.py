"""``RedisSessionCache``: one session cache shared by every worker and machine.

A drop-in for ``MemorySessionCache`` (both protocols of ``cache/protocol.py``), chosen with
``OktaSessionConfig(cache_url="redis://...")`` (also ``rediss://``, ``unix://``, a Redis
Cluster or a primary found through Sentinel: ``redis_topology.py``). Names and values:
``codec.py``, ``ops.py``; when Redis is asked, what is logged: ``health.py``; the clients:
``connections.py``; the shared gate's methods: ``gate_cache.py``.

Redis down or slow never fails a request: every call is bounded, then Redis is skipped
for ``retry_interval`` and the cache answers as if empty, so the flow asks Okta.
Meanwhile each worker keeps what Okta said in its own memory for at most
``outage_ttl`` seconds (the longest a logout made elsewhere during the outage can take
to reach it); when Redis answers again that memory is dropped and owed evictions go first.

An end by user is judged by Redis's clock alone (``clock.py``). ``timer`` must be the clock
the entries' ``fetched_at`` are read on (``from_config`` is given the service's).
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from okta_session_mw.cache.entry import CacheEntry, Claimed
from okta_session_mw.cache.memory import MemorySessionCache
from okta_session_mw.cache.protocol import ended_ttl as ended_ttl_for
from okta_session_mw.cache.redis.codec import RedisCodec, secrets_of
from okta_session_mw.cache.redis.connections import RedisConnections
from okta_session_mw.cache.redis.gate_cache import SharedGateMethods
from okta_session_mw.cache.redis.health import RedisHealth, redacted_url, url_timeout
from okta_session_mw.cache.redis.ops import RedisPlan
from okta_session_mw.cache.redis.shells import RedisShells
from okta_session_mw.config import OktaSessionConfig

__all__ = ["RedisSessionCache"]



class RedisSessionCache(RedisShells, SharedGateMethods):
    """Session cache in Redis (extra ``[redis]``), shared by processes and machines.

    ``secret_key`` must be the same in every worker: it makes the key names and seals
    the values. A call takes at most ``bound`` seconds: ``timeout`` to connect plus
    ``timeout`` for the answer (``socket_timeout=``/``socket_connect_timeout=`` in the
    URL win). Calls are not retried. ``client_options`` go to the redis-py client the URL
    names (TLS files and the like; with Sentinel, ``sentinel_kwargs`` are the sentinels'
    own). ``ValueError`` for a URL or ``prefix`` it cannot use (never quoting the URL).
    """

    def __init__(
        self,
        url: str,
        *,
        secret_key: bytes | str | Sequence[bytes | str],
        prefix: str = "okta-session-mw:",
        timeout: float = 0.5,
        retry_interval: float = 1.0,
        log_interval: float = 60.0,
        outage_ttl: float = 5.0,
        ended_ttl: float = 60.0,
        maxsize: int = 10_000,
        timer: Callable[[], float] = time.time,
        client_options: Mapping[str, Any] | None = None,
    ) -> None:
        secrets = secrets_of(secret_key)  # a rotation's older keys name ends too
        if not secrets or any(len(secret) < 16 for secret in secrets):
            raise ValueError("RedisSessionCache needs a secret_key of at least 16 bytes")
        self._url = url
        self._options: dict[str, Any] = {"socket_timeout": timeout}
        self._options["socket_connect_timeout"] = timeout
        self._options.update(client_options or {})
        # connect, then answer: the longest one call may take (URL settings win)
        self.bound = sum(
            url_timeout(url, name, float(self._options[name]))
            for name in ("socket_connect_timeout", "socket_timeout")
        )
        self.outage_ttl = outage_ttl
        self._timer = timer
        self._maxsize = maxsize
        self._health = RedisHealth(
            redacted_url(url), retry_interval=retry_interval, log_interval=log_interval
        )
        codec = RedisCodec(secrets, prefix, maxsize=maxsize)
        self._plan = RedisPlan(codec, ended_ttl=ended_ttl, report=self._health.bad_value)
        self._ended_ttl = ended_ttl
        self._local = MemorySessionCache(maxsize, timer=timer, ended_ttl=ended_ttl)
        self._connections = RedisConnections(url, self._options)

    @classmethod
    def from_config(
        cls, config: OktaSessionConfig, *, timer: Callable[[], float] = time.time, **options: Any
    ) -> RedisSessionCache:
        """The cache ``config.cache_url`` names, keyed with ``config.secret_key``.

        A session or cookie just logged out or revoked is neither stored nor read for
        ``max(60, 4 x timeout, cache_ttl + stale_if_error)`` seconds: longer than any
        Okta lookup that was already under way can take, and than any entry fetched
        before the end could still be served (so a stale writer putting such an entry
        back cannot bring the session back, fresh or stale).
        """
        if config.cache_url is None:
            raise ValueError("config.cache_url is not set")
        longest_served = config.cache_ttl + config.stale_if_error
        options.setdefault("ended_ttl", max(ended_ttl_for(config), longest_served))
        options.setdefault("maxsize", config.cache_maxsize)
        return cls(
            config.cache_url,
            secret_key=config.secret_keys_bytes,
            prefix=config.cache_prefix,
            timer=timer,
            **options,
        )

    def __repr__(self) -> str:
        return f"RedisSessionCache({redacted_url(self._url)!r})"

    @property
    def available(self) -> bool:
        """False while Redis is considered down (between a failure and a good answer)."""
        return not self._health.down

    # -- sync (Flask, Django/WSGI) ----------------------------------------------------
    def get(self, key: str) -> CacheEntry | None:
        ok, found = self._run(self._plan.get(key))
        if not ok:
            return self._local.get(key)
        return found[0] if found is not None else None

    def claim(self, key: str, ttl: float, *, take_over: bool = False) -> Claimed:
        claimed, clock = self._run(self._plan.claim(key, ttl, take_over))[1]
        self._noted(clock)  # before Okta is asked: the lookup's own sample
        return claimed

    def release(self, key: str) -> None:
        self._run(self._plan.release(key))  # not owed when Redis is out: the claim expires

    def set(self, key: str, entry: CacheEntry) -> None:
        ok, clock = self._run(self._plan.set(key, entry, self._timer()))
        self._noted(clock)
        if not ok:
            self._local.set(key, self._outage_entry(entry))

    def evict(self, key: str) -> None:
        self._local.evict(key)
        self._run(self._plan.evict(key))

    def evict_session(self, session_id: str) -> bool:
        """End the session here and in Redis; False when it is owed to Redis."""
        self._local.evict_session(session_id)
        return self._run(self._plan.evict_session(session_id))[0]

    def evict_user(self, user_id: str) -> bool:
        """As ``evict_session``, for a user's sessions; Redis stamps the end's time."""
        self._local.evict_user(user_id)
        ok, clock = self._run(self._plan.evict_user(user_id))
        self._noted(clock)
        return ok

    def ended(
        self, key: str, session_id: str, asked_at: float = -math.inf, user_id: str = ""
    ) -> bool:
        if self._local.ended(key, session_id, asked_at, user_id):
            return True
        ended, clock = self._run(self._plan.ended(key, session_id, asked_at, user_id))[1]
        self._noted(clock)
        return ended

    def close(self) -> None:
        """Close the sync client's connections (``aclose`` closes this loop's client)."""
        self._connections.close()

    # -- async (ASGI) -----------------------------------------------------------------
    async def aget(self, key: str) -> CacheEntry | None:
        ok, found = await self._arun(self._plan.get(key))
        if not ok:
            return self._local.get(key)
        return found[0] if found is not None else None

    async def aclaim(self, key: str, ttl: float, *, take_over: bool = False) -> Claimed:
        claimed, clock = (await self._arun(self._plan.claim(key, ttl, take_over)))[1]
        self._noted(clock)
        return claimed

    async def arelease(self, key: str) -> None:
        await self._arun(self._plan.release(key))

    async def aset(self, key: str, entry: CacheEntry) -> None:
        ok, clock = await self._arun(self._plan.set(key, entry, self._timer()))
        self._noted(clock)
        if not ok:
            self._local.set(key, self._outage_entry(entry))

    async def aevict(self, key: str) -> None:
        self._local.evict(key)
        await self._arun(self._plan.evict(key))

    async def aevict_session(self, session_id: str) -> bool:
        self._local.evict_session(session_id)
        return (await self._arun(self._plan.evict_session(session_id)))[0]

    async def aevict_user(self, user_id: str) -> bool:
        self._local.evict_user(user_id)
        ok, clock = await self._arun(self._plan.evict_user(user_id))
        self._noted(clock)
        return ok

    async def aended(
        self, key: str, session_id: str, asked_at: float = -math.inf, user_id: str = ""
    ) -> bool:
        if self._local.ended(key, session_id, asked_at, user_id):
            return True
        ended, clock = (await self._arun(self._plan.ended(key, session_id, asked_at, user_id)))[1]
        self._noted(clock)
        return ended

    async def aclose(self) -> None:
        """Close this loop's asyncio client (a loop closes it as it ends), then the sync one."""
        await self._connections.aclose()
        self.close()

    def _noted(self, redis_micros: int | None) -> None:  # ours read once Redis's is in
        self._plan.asked.note(self._timer(), redis_micros)

    def _answered(self) -> None:
        if self._health.succeeded():  # an outage ended: what we kept meanwhile goes
            self._local = MemorySessionCache(
                self._maxsize, timer=self._timer, ended_ttl=self._ended_ttl
            )

    def _outage_entry(self, entry: CacheEntry) -> CacheEntry:
        """Kept in this process only while Redis is out, fresh for ``outage_ttl`` at most."""
        fresh = min(entry.fresh_until, self._timer() + self.outage_ttl)
        return dataclasses.replace(entry, fresh_until=fresh)
