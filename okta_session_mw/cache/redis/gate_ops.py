"""The shared rate-limit gate's operations as Redis ops, built without I/O.

``GatePlan`` turns the engine's questions (``cache/gate_state.py``) into one script
call each (``gate_scripts.py``, where the keys are listed), with every key built from
the cache's prefix (so they share its hash tag, and its Redis Cluster slot). Without
Redis every op answers None: the process's own gate decides (``redis/health.py``
decides when Redis is skipped, so an outage never holds a request back). A reply that
cannot be read (a gate key another writer filled) is a bad value: reported, and the
op's fallback answers, as without Redis.

The keys of one Okta org (``GateAsk.org``) are ``P g:<org>:...``: apps of different
orgs sharing one Redis and one prefix never share a gate.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from okta_session_mw.cache.gate_state import (
    LONGEST_MS,
    Counter,
    GateAsk,
    GateNote,
    GateVerdict,
    SharedWindow,
    SlotAsk,
)
from okta_session_mw.cache.redis.codec import BadValueError
from okta_session_mw.cache.redis.gate_scripts import GATE_NOTE, GATE_SLOT, GATE_TAKE
from okta_session_mw.cache.redis.ops import Arg, Op

__all__ = ["GatePlan"]

T = TypeVar("T")


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


def _no_report(_exc: Exception) -> None:
    return None


class GatePlan:
    """Builds the gate's ops under ``prefix`` (the codec's); ``report`` hears of every
    reply that could not be read."""

    def __init__(self, prefix: str, report: Callable[[Exception], None] = _no_report) -> None:
        self.prefix = prefix
        self._report = report

    def _base(self, org: str) -> str:
        return self.prefix + ("g:" + org + ":" if org else "g:")

    def keys_of(self, org: str) -> tuple[str, str, str]:
        """The prefixes of an org's figures and pauses, and its slots' key."""
        base = self._base(org)
        return base + "f:", base + "x:", base + "slots"

    def _reader(self, read: Callable[[Any], T], fallback: T) -> Callable[[Any], T]:
        def checked(reply: Any) -> T:
            try:
                return read(reply)
            except (ValueError, TypeError, IndexError, AttributeError):
                self._report(BadValueError("shared gate reply not readable"))
                return fallback

        return checked

    def take(self, ask: GateAsk) -> Op[GateVerdict | None]:
        figures, closed, _ = self.keys_of(ask.org)
        keys = (closed + ask.bucket.name, figures + ask.bucket.name, figures + ask.family.name)
        args: tuple[Arg, ...] = (
            len(keys), *keys, int(ask.count),
            *_counter_args(ask.bucket), *_counter_args(ask.family), LONGEST_MS,
        )  # fmt: skip
        return Op("gate_take", args, self._reader(_verdict, None), None, GATE_TAKE)

    def note(self, note: GateNote) -> Op[None]:
        figures_prefix, closed, slots = self.keys_of(note.org)
        keys = (
            figures_prefix + note.bucket,
            figures_prefix + note.family,
            closed + note.bucket,
            slots,
        )
        window = note.window
        figures: tuple[Arg, ...] = (
            (0, 0, 0, 0, 0) if window is None or window.ms < 1
            else (1, window.limit, window.remaining, window.reset, window.ms)
        )  # fmt: skip
        args = (
            len(keys), *keys, *figures, max(note.close_ms, 0), note.lease or "", LONGEST_MS,
        )  # fmt: skip
        return Op("gate_note", args, _ignore, None, GATE_NOTE)

    def slot(self, ask: SlotAsk) -> Op[bool | None]:
        slots = self.keys_of(ask.org)[2]
        args: tuple[Arg, ...] = (
            1, slots, ask.lease, ask.limit, max(1, ask.ttl_ms), LONGEST_MS,
        )  # fmt: skip
        return Op("gate_slot", args, self._reader(_taken, None), None, GATE_SLOT)
