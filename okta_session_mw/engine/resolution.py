"""What a session lookup answers: ``Resolution`` (the session or None) and its ``Source``."""

from __future__ import annotations

from enum import Enum
from typing import NamedTuple

from okta_session_mw.okta.session import Session

__all__ = ["Resolution", "Source"]


class Source(str, Enum):
    """Where a resolution came from; the stats count these."""

    NO_COOKIE = "no_cookie"
    HIT = "hit"
    NEGATIVE_HIT = "negative_hit"
    MISS = "miss"
    STALE = "stale"
    UNAVAILABLE = "unavailable"


class Resolution(NamedTuple):
    """The session for a request, or None; ``unavailable`` when Okta could not say.

    A named tuple: made on every request, so it must be cheap to build."""

    session: Session | None
    source: Source

    @property
    def unavailable(self) -> bool:
        """Okta could not be asked and nothing usable was cached."""
        return self.source is Source.UNAVAILABLE
