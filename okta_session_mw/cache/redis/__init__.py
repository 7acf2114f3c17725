"""The Redis cache: ``RedisSessionCache`` with its codec, scripts and health."""
