"""Fault injection for the fake Okta: latency, an error status, a dropped connection, junk,
a body of the test's choosing (huge, compressed, nested), an answer that trickles in.

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
    body: bytes | None = None
    """Answer exactly these bytes (``application/json``) instead of running the operation."""
    content_encoding: str | None = None
    """Send ``Content-Encoding`` with this value (``body`` is sent as given: compress it)."""
    trickle: float = 0.0
    """Send the body one byte at a time, this many seconds apart (a slow, alive peer)."""


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
        body: bytes | None = None,
        content_encoding: str | None = None,
        trickle: float = 0.0,
        times: int | None = None,
        path_prefix: str | None = None,
    ) -> None:
        if latency < 0 or trickle < 0:
            raise ValueError("latency and trickle must be >= 0")
        if status is not None and not 400 <= status <= 599:
            raise ValueError("status must be an HTTP error status (400-599)")
        if times is not None and times < 1:
            raise ValueError("times must be >= 1, or None for 'until cleared'")
        chosen = (latency, status is not None, drop_connection, garbage_body, body is not None)
        if not (any(chosen) or content_encoding or trickle):
            raise ValueError("inject() needs at least one fault")
        effect = FaultEffect(
            latency, status, drop_connection, garbage_body, body, content_encoding, trickle
        )
        self._faults.append(_Fault(effect, path_prefix, times))

    def clear(self) -> None:
        self._faults.clear()

    def take(self, path: str) -> FaultEffect:
        """Combine every fault matching ``path`` (latencies add up, the first of each other
        kind wins) and use one of each."""
        combined = FaultEffect()
        for fault in self._faults:
            if not fault.matches(path):
                continue
            effect = fault.effect
            combined = FaultEffect(
                combined.latency + effect.latency,
                combined.status if combined.status is not None else effect.status,
                combined.drop_connection or effect.drop_connection,
                combined.garbage_body or effect.garbage_body,
                combined.body if combined.body is not None else effect.body,
                combined.content_encoding or effect.content_encoding,
                combined.trickle or effect.trickle,
            )
            if fault.remaining is not None:
                fault.remaining -= 1
        self._faults = [f for f in self._faults if f.remaining is None or f.remaining > 0]
        return combined
