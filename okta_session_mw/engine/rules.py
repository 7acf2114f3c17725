"""``Rules``: what every step of a flow consults, made once per runner by the service."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple, Protocol, TypeVar

from okta_session_mw.config import OktaSessionConfig
from okta_session_mw.engine.effects import Flow
from okta_session_mw.engine.limits import RateLimitGate
from okta_session_mw.engine.refresh_backoff import RefreshBackoff
from okta_session_mw.engine.stats import SessionStats
from okta_session_mw.okta.operations import Call

__all__ = ["Clock", "OktaRequests", "Rules"]

T = TypeVar("T")

Clock = Callable[[], float]


class OktaRequests(Protocol):
    """What builds a flow's Okta calls: either client (``ClientCore.call``)."""

    def call(self, call: Call[T], timeout: float | None = None) -> Flow[T]: ...


class Rules(NamedTuple):
    """The settings, the rate-limit gate (per Okta bucket, with its reserve and
    per-address allowance), the refresh back-off, the clock (epoch seconds), the
    client that builds each Okta request (``okta.call``), the stats, and a monotonic
    clock for waits and latencies."""

    config: OktaSessionConfig
    gate: RateLimitGate
    backoff: RefreshBackoff
    clock: Clock
    okta: OktaRequests
    stats: SessionStats
    monotonic: Clock

    @property
    def ahead(self) -> float:
        """The refresh-ahead window: how long before an entry's ``fresh_until`` it is
        revalidated in the background (``refresh_ahead * cache_ttl``; 0: never)."""
        return self.config.refresh_ahead * self.config.cache_ttl
