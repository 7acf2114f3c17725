"""Per-client-address allowances: a token bucket of calls for each address (behaviour 14).

Calls for never-seen cookies, and sign-ins, are bounded per client address, so one
client sending random cookies cannot spend Okta's whole window; requests with no
address (a Unix socket) share one allowance. ``now`` is always passed in.
"""

from __future__ import annotations

import ipaddress
import threading

from cachetools import LRUCache

__all__ = ["NO_ADDRESS", "AddressAllowance", "address_key"]

NO_ADDRESS = "(no address)"
"""The allowance every request without a client address shares (uvicorn ``--uds``)."""


def address_key(address: str) -> str:
    """The unit an allowance is kept for: an IPv4 address, or an IPv6 address's /64
    (one subscriber gets a whole /64, so counting single IPv6 addresses would let one
    client rotate through billions). Anything else (a socket name) is kept as given."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


class AddressAllowance:
    """Calls per client address (``address_key``: an IPv6 client's /64; requests with
    no address share ``NO_ADDRESS``): a token bucket each, holding
    at most ``per_minute`` tokens, refilled at ``per_minute`` a minute. ``per_minute``
    0 turns the bound off. At most ``maxsize`` addresses are remembered (LRU): one
    forgotten starts again with a full bucket, which an attacker gains little from
    because every address it uses is bounded the same way."""

    __slots__ = ("_lock", "_tokens", "per_minute")

    def __init__(self, per_minute: int, maxsize: int = 10_000) -> None:
        self.per_minute = per_minute
        self._tokens: LRUCache[str, tuple[float, float]] = LRUCache(maxsize)
        self._lock = threading.Lock()

    def take(self, address: str | None, now: float) -> bool:
        """Spend one call for ``address``; False when its bucket is empty. Requests
        with no address (no transport peer: a Unix socket) share one bucket."""
        if self.per_minute <= 0:
            return True
        capacity = float(self.per_minute)
        address = NO_ADDRESS if address is None else address_key(address)
        with self._lock:
            tokens, then = self._tokens.get(address, (capacity, now))
            tokens = min(capacity, tokens + max(0.0, now - then) * capacity / 60.0)
            if tokens < 1.0:
                self._tokens[address] = (tokens, now)
                return False
            self._tokens[address] = (tokens - 1.0, now)
            return True
