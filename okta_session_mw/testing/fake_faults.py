"""Fault injection for the fake Okta: latency, an error status, a dropped connection, junk.

The plan is plain data; ``FakeOkta`` holds its lock around every call.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FaultEffect", "FaultPlan"]


@dataclass(frozen=True, slots=True)
class FaultEffect:
    """What the faults that matched one request do to it, combined."""

    latency: float = 0.0
    """Seconds to wait before answering (or dropping)."""
    status: int | None = None
    """Answer this status instead of running the operation."""
    drop_connection: bool = False
    """Close the connection without any response."""
    garbage_body: bool = False
    """Answer a body that is not JSON (an HTML error page from a proxy)."""


@dataclass(slots=True)
class _Fault:
    effect: FaultEffect
    path_prefix: str | None
    remaining: int | None

    def matches(self, path: str) -> bool:
        return self.path_prefix is None or path.startswith(self.path_prefix)


class FaultPlan:
    """The faults injected so far; each request takes the ones that match its path."""

    def __init__(self) -> None:
        self._faults: list[_Fault] = []

    def add(
        self,
        *,
        latency: float = 0.0,
        status: int | None = None,
        drop_connection: bool = False,
        garbage_body: bool = False,
        times: int | None = None,
        path_prefix: str | None = None,
    ) -> None:
        if latency < 0:
            raise ValueError("latency must be >= 0")
        if status is not None and not 400 <= status <= 599:
            raise ValueError("status must be an HTTP error status (400-599)")
        if times is not None and times < 1:
            raise ValueError("times must be >= 1, or None for 'until cleared'")
        if not (latency or status is not None or drop_connection or garbage_body):
            raise ValueError("inject() needs at least one fault")
        effect = FaultEffect(latency, status, drop_connection, garbage_body)
        self._faults.append(_Fault(effect, path_prefix, times))

    def clear(self) -> None:
        self._faults.clear()

    def take(self, path: str) -> FaultEffect:
        """Combine every fault matching ``path`` (latencies add up) and use one of each."""
        latency, status, drop, garbage = 0.0, None, False, False
        for fault in self._faults:
            if not fault.matches(path):
                continue
            latency += fault.effect.latency
            status = status if status is not None else fault.effect.status
            drop = drop or fault.effect.drop_connection
            garbage = garbage or fault.effect.garbage_body
            if fault.remaining is not None:
                fault.remaining -= 1
        self._faults = [f for f in self._faults if f.remaining is None or f.remaining > 0]
        return FaultEffect(latency, status, drop, garbage)
