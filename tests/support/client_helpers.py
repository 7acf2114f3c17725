"""One test body for both clients: ``Either`` wraps a client of either flavour.

Every operation of the wrapped client is awaitable, whichever flavour it is, so each
test in ``test_client*.py`` is written once and runs against ``OktaSessionClient`` and
``AsyncOktaSessionClient`` alike (fixtures in ``client_fixtures.py``). The sync client
blocks the test's event loop while it waits; that is harmless, the fake Okta answers
from its own thread.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import httpx

from okta_session_mw.okta.clients import AsyncOktaSessionClient, OktaSessionClient
from okta_session_mw.testing.pytest_plugin import DEMO_LOGIN, DEMO_PASSWORD

__all__ = [
    "API_TOKEN",
    "BEARER",
    "DEMO_LOGIN",
    "DEMO_PASSWORD",
    "Connect",
    "Either",
    "bearer_sources",
]

API_TOKEN = "00-api-token-Do-Not-Leak-4f1c"
BEARER = "eyJ-oauth-access-token-Do-Not-Leak-9b2e"


class Either:
    """A client of either flavour whose operations can all be awaited."""

    def __init__(self, client: OktaSessionClient | AsyncOktaSessionClient) -> None:
        self.client = client
        self.is_async = isinstance(client, AsyncOktaSessionClient)

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.client, name)
        if not callable(attribute) or inspect.iscoroutinefunction(attribute):
            return attribute

        async def call(*args: Any, **kwargs: Any) -> Any:
            return attribute(*args, **kwargs)

        return call

    def __repr__(self) -> str:
        return repr(self.client)

    async def close(self) -> None:
        if isinstance(self.client, AsyncOktaSessionClient):
            await self.client.aclose()
        else:
            self.client.close()

    def on_response(self, hook: Callable[[httpx.Response], None]) -> None:
        """Add an httpx response hook (async clients need an async one)."""
        if isinstance(self.client, AsyncOktaSessionClient):

            async def async_hook(response: httpx.Response) -> None:
                hook(response)

            self.client.http_client.event_hooks["response"].append(async_hook)
        else:
            self.client.http_client.event_hooks["response"].append(hook)


Connect = Callable[..., Either]
"""The ``connect`` fixture's type: ``connect(org_url=None, **client_kwargs)``."""


def bearer_sources(token: str) -> dict[str, Any]:
    """``bearer_token`` as a string, a sync function and an async function."""

    def sync_source() -> str:
        return token

    async def async_source() -> str:
        return token

    return {"str": token, "sync callable": sync_source, "async callable": async_source}
