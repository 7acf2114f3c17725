"""The Redis cache: ``RedisSessionCache`` with its codec, scripts and health (the
``redis`` extra)."""

from __future__ import annotations

from okta_session_mw.cache.redis.cache import RedisSessionCache

__all__ = ["RedisSessionCache"]
