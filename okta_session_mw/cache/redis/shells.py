"""The two shells of ``RedisSessionCache``, sync and async: each sends one op to Redis
(the evictions owed from an outage first) or, without Redis, answers the op's
fallback, owing it when it must reach Redis (``health.py`` decides when to ask)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, TypeVar

from redis.exceptions import ResponseError

from okta_session_mw.cache.redis.connections import (
    FAILURES,
    RedisConnections,
    SyncClient,
    asend,
    send,
)
from okta_session_mw.cache.redis.health import RedisHealth
from okta_session_mw.cache.redis.ops import Op

__all__ = ["RedisShells"]

T = TypeVar("T")


class RedisShells:
    """A base of ``RedisSessionCache``: its ``_health``, ``_connections`` and ``bound``,
    and ``_answered`` (what to do once Redis answers again)."""

    _health: RedisHealth
    _connections: RedisConnections
    bound: float

    def _answered(self) -> None:
        raise NotImplementedError

    def _run(self, op: Op[T]) -> tuple[bool, T]:
        """``(True, answer)`` from Redis, or ``(False, op.fallback)`` without it."""
        if not self._health.usable():
            return self._skipped(op)
        try:
            with self._connections.within(self.bound):  # all of it, not each read
                client = self._client()
                owed = self._health.next_owed()
                while owed is not None:
                    send(client, owed)
                    self._health.paid(owed)
                    owed = self._health.next_owed()
                reply = send(client, op)
        except FAILURES as exc:
            if not isinstance(exc, ResponseError):  # idle pooled connections died too
                with contextlib.suppress(*FAILURES):
                    self._connections.drop_idle()
            return self._failed(op, exc)
        self._answered()
        return True, self._read(op, reply)

    async def _arun(self, op: Op[T]) -> tuple[bool, T]:
        if not self._health.usable():
            return self._skipped(op)
        try:
            reply = await asyncio.wait_for(self._asend_owed_then(op), self.bound)  # all of it
        except FAILURES as exc:
            if not isinstance(exc, ResponseError):
                await self._connections.adrop_idle(self.bound)
            return self._failed(op, exc)
        self._answered()
        return True, self._read(op, reply)

    async def _asend_owed_then(self, op: Op[Any]) -> Any:
        client = await self._connections.for_loop()
        owed = self._health.next_owed()
        while owed is not None:
            await asend(client, owed)
            self._health.paid(owed)
            owed = self._health.next_owed()
        return await asend(client, op)

    def _read(self, op: Op[T], reply: Any) -> T:
        """The op's answer; a reply it cannot read is a bad value (another writer's
        key): reported, and the op's fallback answers. Redis did answer, so this is
        never an outage, and never an exception in the caller's flow."""
        try:
            return op.read(reply)
        except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
            self._health.bad_value(exc)
            return op.fallback

    def _skipped(self, op: Op[T]) -> tuple[bool, T]:
        if op.must_reach:
            self._health.owe(op)
        return False, op.fallback

    def _failed(self, op: Op[T], exc: BaseException) -> tuple[bool, T]:
        self._health.failed(exc)
        return self._skipped(op)

    def _client(self) -> SyncClient:
        return self._connections.sync()
