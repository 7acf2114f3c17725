"""The event hook's settings (issue 13, item 1): read from text like every setting,
checked at start-up, the secrets never shown."""

from __future__ import annotations

import pytest

from okta_session_mw import ConfigError, OktaSessionConfig

ORG = "https://example.okta.com"
ONE, TWO = "first-hook-secret-0123456789", "second-hook-secret-0123456789"


def test_i13_01_defaults_refuse_every_call_and_name_okta_s_session_ending_events() -> None:
    config = OktaSessionConfig(org_url=ORG)
    assert config.event_hook_secrets == ()
    assert config.event_hook_path == "/okta/event-hook"
    assert config.event_hook_header == "authorization"
    assert config.event_hook_events == (
        "user.session.end", "user.session.clear", "user.lifecycle.suspend",
        "user.lifecycle.deactivate", "user.lifecycle.delete.initiated",
    )  # fmt: skip


def test_i13_01_settings_are_read_from_the_environment_and_the_secrets_never_shown() -> None:
    config = OktaSessionConfig.from_env({
        "OKTA_ORG_URL": ORG,
        "OKTA_EVENT_HOOK_SECRETS": f"{ONE}, {TWO}",
        "OKTA_EVENT_HOOK_HEADER": "X-Okta-Hook-Secret",
        "OKTA_EVENT_HOOK_EVENTS": "user.session.end,user.lifecycle.suspend",
        "OKTA_EVENT_HOOK_PATH": "/hooks/okta",
    })  # fmt: skip
    assert config.event_hook_secrets == (ONE, TWO)
    assert config.event_hook_header == "x-okta-hook-secret"
    assert config.event_hook_events == ("user.session.end", "user.lifecycle.suspend")
    assert config.event_hook_path == "/hooks/okta"
    assert ONE not in repr(config) and TWO not in repr(config)


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("event_hook_secrets", "short-secret"),  # one string, not a list
        ("event_hook_secrets", ("short-secret",)),
        ("event_hook_secrets", (ONE + "\n",)),
        ("event_hook_header", "bad header"),
        ("event_hook_events", ()),
        ("event_hook_events", ("User Session End",)),
        ("event_hook_path", "https://elsewhere/hook"),
    ],
)
def test_i13_01_bad_settings_fail_at_start_up_without_echoing_a_secret(
    setting: str, value: object
) -> None:
    with pytest.raises(ConfigError) as error:
        OktaSessionConfig(org_url=ORG, **{setting: value})  # type: ignore[arg-type]
    assert error.value.setting == setting
    if setting == "event_hook_secrets" and not isinstance(value, str):
        assert "short-secret" not in str(error.value) and ONE not in str(error.value)
