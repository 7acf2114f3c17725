"""The event hook's secret check (issue 13, item 1): every accepted value is compared,
in constant time, whichever matches; nothing else lets a call in."""

from __future__ import annotations

import hmac

import pytest

from okta_session_mw import OktaSessionConfig
from okta_session_mw.web import event_hook
from okta_session_mw.web.event_hook import EventHook

SECRETS = ("hook-secret-number-one-0123", "hook-secret-number-two-4567", "hook-secret-three-89ab")


@pytest.mark.parametrize("given", [SECRETS[0], SECRETS[2], "wrong-secret-0123456789", ""])
def test_i13_01_every_accepted_secret_is_compared_with_compare_digest(
    monkeypatch: pytest.MonkeyPatch, given: str
) -> None:
    compared: list[tuple[bytes, bytes]] = []
    compare = hmac.compare_digest

    def counting(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return compare(a, b)

    monkeypatch.setattr(event_hook.hmac, "compare_digest", counting)
    hook = EventHook(OktaSessionConfig(org_url="https://x.okta.com", event_hook_secrets=SECRETS))
    assert hook.authenticated(given) is (given in SECRETS)
    assert len(compared) == len(SECRETS)  # no early exit on the first match
    assert all(len(a) == len(b) == 32 for a, b in compared)  # digests: no length shows


def test_i13_01_a_header_value_okta_could_not_send_is_refused() -> None:
    hook = EventHook(OktaSessionConfig(org_url="https://x.okta.com", event_hook_secrets=SECRETS))
    assert not hook.authenticated(SECRETS[0] + "\u20ac")
    assert not hook.authenticated(None)
    assert "hook-secret" not in repr(hook)
