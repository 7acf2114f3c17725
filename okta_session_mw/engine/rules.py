"""``Rules``: what every step of a flow consults, made once per runner by the service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from okta_session_mw.config import OktaSessionConfig
from okta_session_mw.engine.limits import RateLimitGate
from okta_session_mw.engine.policy import RefreshBackoff
from okta_session_mw.engine.stats import SessionStats
from okta_session_mw.okta.client_core import ClientCore

__all__ = ["Clock", "Rules"]

Clock = Callable[[], float]


class Rules(NamedTuple):
    """The settings, the rate-limit gate (per Okta bucket, with its reserve and
    per-address allowance), the refresh back-off, the clock (epoch seconds), the
    client that builds each Okta request (``okta.call``), the stats, and a monotonic
    clock for waits and latencies."""

    config: OktaSessionConfig
    gate: RateLimitGate
    backoff: RefreshBackoff
    clock: Clock
    okta: ClientCore[Any, Any]
    stats: SessionStats
    monotonic: Clock
