"""The fake Okta's event hook, pointed at this app's own ``event_hook_route``.

On a real org you register the hook in Okta's Admin Console. On the fake, the app does it
itself, the first time the admin page is used: Okta's registration verifies the URL with
a ``GET`` to this very app, so it can only happen once the server accepts connections
(not during its lifespan start-up, which would wait for itself), and it runs in a worker
thread while the event loop answers that ``GET``. A failed registration is shown on the
admin page and tried again on its next use; it never stops the app.

The URL is the address this server accepted the admin's request on (the ASGI ``server``,
the listening socket's own address, not the ``Host`` header a client chose); the secret is
the first of ``event_hook_secrets``, which the demo makes at random each run. Neither the
secret nor anything else of the hook's header is ever shown or logged.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from okta_session_mw import OktaSessionConfig
from okta_session_mw.testing import (
    EventHook,
    EventHookVerificationError,
    FakeOkta,
)

__all__ = [
    "DELIVERY_WAIT",
    "RECENT_DELIVERIES",
    "HookRegistration",
    "HookStatus",
    "delivery_rows",
    "own_hook_url",
]

logger = logging.getLogger("example_app")

RECENT_DELIVERIES = 10
DELIVERY_WAIT = 10.0
"""How long an admin action at the fake waits for its deliveries (Okta: 3 s per attempt,
one retry) before the page says they are still on their way."""


@dataclass(frozen=True, slots=True)
class HookStatus:
    """What the admin page says of the hook: registered (``hook``) or why not (``error``)."""

    hook: EventHook | None
    error: str | None


class HookRegistration:
    """Registers the fake's event hook to this app once; remembers the last failure."""

    def __init__(self, fake: FakeOkta, config: OktaSessionConfig) -> None:
        self._fake = fake
        self._config = config
        self._hook: EventHook | None = None
        self._error: str | None = None
        self._lock: asyncio.Lock | None = None

    @property
    def status(self) -> HookStatus:
        return HookStatus(self._hook, self._error)

    async def ensure(self, request: Request) -> HookStatus:
        """Register the hook unless it is; one attempt at a time (no duplicate hooks)."""
        if self._hook is not None:
            return self.status
        self._lock = self._lock or asyncio.Lock()
        async with self._lock:
            if self._hook is None:
                await self._register(own_hook_url(request, self._config))
        return self.status

    async def _register(self, url: str | None) -> None:
        secrets = self._config.event_hook_secrets
        if not secrets:
            self._error = "no event_hook_secrets set, so the endpoint refuses every call"
            return
        if url is None:
            self._error = "this server's own address is unknown"
            return
        header = (self._config.event_hook_header, secrets[0])
        events = self._config.event_hook_events
        try:
            self._hook = await run_in_threadpool(
                lambda: self._fake.register_event_hook(
                    url, events=events, header=header, name="example app"
                )
            )
        except (EventHookVerificationError, ValueError) as exc:  # messages hold no secret
            self._error = str(exc)
        except Exception as exc:  # anything else: its kind only
            self._error = f"registration failed ({type(exc).__name__})"
        else:
            self._error = None
            logger.info("event hook registered at %s", url)
            return
        logger.warning("event hook not registered: %s", self._error)


def own_hook_url(request: Request, config: OktaSessionConfig) -> str | None:
    """``http://host:port`` of the socket this request came in on, plus the hook's path."""
    server = request.scope.get("server")
    if not server or server[1] is None:
        return None
    host, port = server
    host = f"[{host}]" if ":" in host else host
    root = request.scope.get("root_path", "")
    return f"http://{host}:{port}{root}{config.event_hook_path}"


def delivery_rows(fake: FakeOkta) -> list[dict[str, Any]]:
    """The newest deliveries, newest first: what was sent and how it was answered (the
    recorded body is left out: it names sessions by id)."""
    return [
        {
            "event_types": delivery.event_types,
            "at": delivery.started_at,
            "attempt": delivery.attempt,
            "status": delivery.status,
            "ok": delivery.ok,
            "error": delivery.error,
        }
        for delivery in reversed(fake.deliveries[-RECENT_DELIVERIES:])
    ]
