"""What this app has seen of each Okta session, for the profile page.

The middleware answers most requests from its cache and refreshes a session on its own
when it nears expiry; neither is visible in the ``Session`` itself. This small, bounded
record notes, per session id, when the app last got the session straight from Okta and
when its ``expires_at`` last moved later (a refresh: ours, or Okta's on activity there).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timezone

from okta_session_mw import Session

__all__ = ["SeenSession", "SessionActivity"]


@dataclass(frozen=True, slots=True)
class SeenSession:
    expires_at: datetime
    checked_at: datetime | None = None
    """When this app last had the session from Okta (sign-in or a cache miss)."""
    refreshed_at: datetime | None = None
    """When this app first saw the current, later ``expires_at``; None: not refreshed yet."""


class SessionActivity:
    """A bounded ``session id -> SeenSession`` record (oldest forgotten first)."""

    def __init__(self, maxsize: int = 1000, *, clock: Callable[[], float] = time.time) -> None:
        self._seen: OrderedDict[str, SeenSession] = OrderedDict()
        self._maxsize = maxsize
        self._clock = clock

    def observe(self, session: Session, *, from_okta: bool) -> SeenSession:
        """Record one sight of ``session``; ``from_okta``: it did not come from the cache."""
        now = datetime.fromtimestamp(self._clock(), timezone.utc)
        seen = self._seen.pop(session.id, None)
        if seen is None:
            seen = SeenSession(session.expires_at)
        elif session.expires_at > seen.expires_at:
            seen = replace(seen, expires_at=session.expires_at, refreshed_at=now)
        if from_okta:
            seen = replace(seen, checked_at=now)
        self._seen[session.id] = seen
        while len(self._seen) > self._maxsize:
            self._seen.popitem(last=False)
        return seen

    def forget(self, session_id: str) -> None:
        self._seen.pop(session_id, None)
