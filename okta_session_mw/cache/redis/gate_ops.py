"""The shared rate-limit gate's operations as Redis ops, built without I/O.

``GatePlan`` turns the engine's questions (``cache/gate_state.py``) into one script
call each (``gate_scripts.py``, where the keys are listed), with every key built from
the cache's prefix (so they share its hash tag, and its Redis Cluster slot). Without
Redis every op answers None: the process's own gate decides (``redis/health.py``
decides when Redis is skipped, so an outage never holds a request back).
"""

from __future__ import annotations

from typing import Any

from okta_session_mw.cache.gate_state import (
    Counter,
    GateAsk,
    GateNote,
    GateVerdict,
    SharedWindow,
    SlotAsk,
)
from okta_session_mw.cache.redis.gate_scripts import GATE_NOTE, GATE_SLOT, GATE_TAKE
from okta_session_mw.cache.redis.ops import Arg, Op

__all__ = ["GatePlan"]


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _window(numbers: list[Any]) -> SharedWindow | None:
    present, limit, remaining, reset, estimated, ms = (int(n) for n in numbers)
    if not present:
        return None
    return SharedWindow(limit, remaining, reset, bool(estimated), max(ms, 0))


def _verdict(reply: Any) -> GateVerdict:
    answer = _text(reply[0])
    return GateVerdict(
        admitted=answer == "ok",
        closed_ms=int(reply[1]),
        stale_limit=answer == "limit",
        bucket=_window(list(reply[2:8])),
        family=_window(list(reply[8:14])),
    )


def _counter_args(counter: Counter) -> tuple[Arg, ...]:
    seed = counter.seed
    if seed is None or seed.ms < 1:
        return (counter.limit, counter.floor, 0, 0, 0, 0, 0)
    return (
        counter.limit, counter.floor, seed.ms, seed.limit, seed.remaining, seed.reset,
        int(seed.estimated),
    )  # fmt: skip


def _taken(reply: Any) -> bool:
    return int(reply) == 1


def _ignore(_reply: Any) -> None:
    return None


class GatePlan:
    """Builds the gate's ops under ``prefix`` (the codec's)."""

    def __init__(self, prefix: str) -> None:
        self.figures_prefix = prefix + "g:f:"
        self.closed_prefix = prefix + "g:x:"
        self.slots_key = prefix + "g:slots"

    def take(self, ask: GateAsk) -> Op[GateVerdict | None]:
        keys = (
            self.closed_prefix + ask.bucket.name,
            self.figures_prefix + ask.bucket.name,
            self.figures_prefix + ask.family.name,
        )
        args: tuple[Arg, ...] = (
            len(keys), *keys, int(ask.count),
            *_counter_args(ask.bucket), *_counter_args(ask.family),
        )  # fmt: skip
        return Op("gate_take", args, _verdict, None, GATE_TAKE)

    def note(self, note: GateNote) -> Op[None]:
        keys = (
            self.figures_prefix + note.bucket,
            self.figures_prefix + note.family,
            self.closed_prefix + note.bucket,
            self.slots_key,
        )
        window = note.window
        figures: tuple[Arg, ...] = (
            (0, 0, 0, 0, 0) if window is None or window.ms < 1
            else (1, window.limit, window.remaining, window.reset, window.ms)
        )  # fmt: skip
        args = (len(keys), *keys, *figures, max(note.close_ms, 0), note.lease or "")
        return Op("gate_note", args, _ignore, None, GATE_NOTE)

    def slot(self, ask: SlotAsk) -> Op[bool | None]:
        args: tuple[Arg, ...] = (1, self.slots_key, ask.lease, ask.limit, max(1, ask.ttl_ms))
        return Op("gate_slot", args, _taken, None, GATE_SLOT)
