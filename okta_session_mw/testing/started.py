"""``Started``: what makes a test server a context manager, written once.

``with server:`` starts it (closing whatever did start when that fails) and closes it
on the way out: ``RedisServer``, ``RedisClusterServers``, ``RedisSentinelServers``.
"""

from __future__ import annotations

from typing import TypeVar

__all__ = ["Started"]

S = TypeVar("S", bound="Started")


class Started:
    """A base for servers with ``start()`` and ``close()`` (``close`` safe to call twice)."""

    def start(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self: S) -> S:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
