"""A served fake Okta for the benchmarks, with a count of the TCP connections it accepts.

The fake records every call; what it does not record is how many connections carried
them. ``ConnectionCounter`` wraps the fake's ASGI app and collects each request's
``scope["client"]`` (peer address and port): one distinct peer is one TCP connection.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from okta_session_mw import OktaSessionConfig
from okta_session_mw.testing import FakeOkta, serve_asgi

__all__ = ["API_TOKEN", "ConnectionCounter", "ServedOkta", "me_calls", "served_okta"]

API_TOKEN = "00-bench-api-token"
ME_PATH = "/api/v1/sessions/me"


class ConnectionCounter:
    """ASGI wrapper around the fake: remembers the peer of every request it serves."""

    def __init__(self, app: FakeOkta) -> None:
        self.app = app
        self._peers: set[tuple[Any, ...]] = set()
        self._lock = threading.Lock()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope.get("type") == "http":
            with self._lock:
                self._peers.add(tuple(scope.get("client") or ()))
        await self.app(scope, receive, send)

    @property
    def connections(self) -> int:
        with self._lock:
            return len(self._peers)

    def reset(self) -> None:
        with self._lock:
            self._peers.clear()


def bench_config(base_url: str, **overrides: Any) -> OktaSessionConfig:
    """A config for a served fake: a long cache TTL so a benchmark never sees it lapse."""
    settings: dict[str, Any] = {
        "org_url": base_url,
        "api_token": API_TOKEN,
        "cache_ttl": 3600.0,
        "timeout": 5.0,
    }
    settings.update(overrides)
    return OktaSessionConfig(**settings)


@dataclass
class ServedOkta:
    """The fake, where it is served, and its connection counter."""

    fake: FakeOkta
    base_url: str
    counter: ConnectionCounter
    logins: list[str] = field(default_factory=list)

    def config(self, **overrides: Any) -> OktaSessionConfig:
        return bench_config(self.base_url, **overrides)

    def new_session_cookie(self) -> str:
        """A fresh Okta session for a new user, as the browser's ``sid=...`` pair."""
        login = f"user{len(self.logins)}@example.com"
        self.fake.add_user(login, "correct horse", first_name="Bench", last_name="User")
        self.logins.append(login)
        return self.fake.cookie_header(self.fake.create_session(login))


def me_calls(fake: FakeOkta) -> int:
    """GetCurrentSession calls the fake has seen."""
    return len(fake.calls_to("GET", ME_PATH))


@contextmanager
def served_okta(*, latency: float = 0.0, rate_limit: int = 1_000_000) -> Iterator[ServedOkta]:
    """Serve a fake Okta (with ``latency`` seconds added to every answer) on loopback."""
    fake = FakeOkta(api_token=API_TOKEN, rate_limit=rate_limit)
    if latency:
        fake.inject(latency=latency)
    counter = ConnectionCounter(fake)
    with serve_asgi(counter) as base_url:
        fake.base_url = base_url
        try:
            yield ServedOkta(fake, base_url, counter)
        finally:
            fake.base_url = None
