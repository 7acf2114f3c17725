"""The shared rate-limit gate's methods of ``RedisSessionCache`` (``cache/gate_state.py``):
each sends one op of ``gate_ops.py``; None (Redis out of reach) leaves the local gate
to decide."""

from __future__ import annotations

import functools
from typing import TypeVar

from okta_session_mw.cache.gate_state import GateAsk, GateNote, GateVerdict, SlotAsk
from okta_session_mw.cache.redis.gate_ops import GatePlan
from okta_session_mw.cache.redis.health import RedisHealth
from okta_session_mw.cache.redis.ops import Op, RedisPlan

__all__ = ["SharedGateMethods"]

T = TypeVar("T")


class SharedGateMethods:
    """A base of ``RedisSessionCache``: ``_run``, ``_arun``, ``_plan`` and ``_health``
    are its."""

    _plan: RedisPlan
    _health: RedisHealth

    def _run(self, op: Op[T]) -> tuple[bool, T]:
        raise NotImplementedError

    async def _arun(self, op: Op[T]) -> tuple[bool, T]:
        raise NotImplementedError

    @functools.cached_property
    def _gate(self) -> GatePlan:
        # keys under the codec's prefix; unreadable replies reported as bad values
        return GatePlan(self._plan.codec.prefix, self._health.bad_value)

    def gate_take(self, ask: GateAsk) -> GateVerdict | None:
        return self._run(self._gate.take(ask))[1]

    def gate_note(self, note: GateNote) -> None:
        self._run(self._gate.note(note))

    def gate_slot(self, ask: SlotAsk) -> bool | None:
        return self._run(self._gate.slot(ask))[1]

    async def agate_take(self, ask: GateAsk) -> GateVerdict | None:
        return (await self._arun(self._gate.take(ask)))[1]

    async def agate_note(self, note: GateNote) -> None:
        await self._arun(self._gate.note(note))

    async def agate_slot(self, ask: SlotAsk) -> bool | None:
        return (await self._arun(self._gate.slot(ask)))[1]
