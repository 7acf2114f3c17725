"""Sessions and cache entries for the Redis cache tests, and the keys they are stored under.

``SECRET`` and ``PREFIX`` are the ones the Redis tests' caches and codecs are built with,
so ``key(cookie)`` is the key such a cache files a cookie's entry under, and ``STORED`` the
prefix its Redis key names start with (``PREFIX`` as one Redis Cluster hash tag, issue 14).
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

from okta_session_mw.cache.entry import CacheEntry
from okta_session_mw.cache.protocol import cache_key
from okta_session_mw.okta.session import Session

__all__ = ["PREFIX", "SECRET", "STORED", "entry_for", "key", "make_session"]

SECRET = "redis-tests-shared-secret-0123456789"
PREFIX = "okta-session-mw:"
STORED = "{okta-session-mw:}"


def make_session(session_id: str = "102SeSsIoNiD0123456789ab", *, ttl: float = 3600) -> Session:
    expires = datetime.now(timezone.utc) + timedelta(seconds=ttl)
    return Session.from_okta(
        {
            "id": session_id,
            "login": "ann@example.com",
            "userId": "00u1",
            "status": "ACTIVE",
            "expiresAt": expires.isoformat(),
            "amr": ["pwd"],
            "_links": {"refresh": {"href": f"https://x/api/v1/sessions/{session_id}/lifecycle"}},
        }
    )


def entry_for(session: Session | None, *, fresh: float = 60, stale: float = 180) -> CacheEntry:
    now = time.time()
    return CacheEntry(session, now, now + fresh, now + stale)


def key(cookie: str) -> str:
    return cache_key(SECRET.encode(), cookie)
