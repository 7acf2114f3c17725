"""A fake Okta for tests: ``FakeOkta`` (an ASGI app with the Session API and authn),
``serve_fake_okta`` (real HTTP on a free loopback port) and, through the pytest plugin
this package registers, the ``fake_okta`` fixture. The fake also delivers event hooks
(``fake.register_event_hook``) as Okta does, to test an app's hook endpoint.

::

    fake = FakeOkta(api_token="test-token")
    fake.add_user("ada@example.com", "correct horse")
    session_id = fake.create_session("ada@example.com")
    with serve_fake_okta(fake) as base_url:
        httpx.get(f"{base_url}/api/v1/sessions/me", headers={"Cookie": f"sid={session_id}"})

The fake's modules import only the standard library, never the client or the ``Session``
model it is meant to check: it writes Okta's JSON itself.
"""

from __future__ import annotations

from okta_session_mw.testing.fake_faults import FaultEffect
from okta_session_mw.testing.fake_hook_records import (
    EventHook,
    EventHookVerificationError,
    HookDelivery,
)
from okta_session_mw.testing.fake_log_json import EMITTED_EVENT_TYPES
from okta_session_mw.testing.fake_okta import FakeOkta, serve_fake_okta
from okta_session_mw.testing.fake_rate_limit import RateLimitState
from okta_session_mw.testing.fake_records import FakeSession, FakeUser, RecordedCall
from okta_session_mw.testing.redis_server import RedisServer
from okta_session_mw.testing.server import DropConnection, LoopbackServer, serve_asgi

__all__ = [
    "EMITTED_EVENT_TYPES",
    "DropConnection",
    "EventHook",
    "EventHookVerificationError",
    "FakeOkta",
    "FakeSession",
    "FakeUser",
    "FaultEffect",
    "HookDelivery",
    "LoopbackServer",
    "RateLimitState",
    "RecordedCall",
    "RedisServer",
    "serve_asgi",
    "serve_fake_okta",
]
