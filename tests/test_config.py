"""OktaSessionConfig: defaults, validation that names the setting, from_env/from_mapping."""

from __future__ import annotations

import pytest

from okta_session_mw import ConfigError
from okta_session_mw.config import OktaSessionConfig
from okta_session_mw.okta.session import SessionStatus

ORG = "https://example.okta.com"


def test_defaults_are_sensible() -> None:
    config = OktaSessionConfig(org_url=ORG + "/")
    assert config.org_url == ORG
    assert config.cookie_names == ("sid", "idx")
    assert config.accepted_statuses == frozenset({SessionStatus.ACTIVE})
    assert len(config.secret_key) >= 32  # a random per-process key when none is given


@pytest.mark.parametrize(
    ("kwargs", "setting"),
    [
        ({"org_url": "http://example.okta.com"}, "org_url"),
        ({"cache_ttl": 0}, "cache_ttl"),
        ({"timeout": -1}, "timeout"),
        ({"stale_if_error": -1}, "stale_if_error"),
        ({"cache_maxsize": 0}, "cache_maxsize"),
        ({"cookie_names": ()}, "cookie_names"),
        ({"cookie_names": ("s id",)}, "cookie_names"),
        ({"exempt_paths": ("static",)}, "exempt_paths"),
        ({"login_url": "//evil.example/login"}, "login_url"),
        ({"post_logout_redirect": "https://evil.example/"}, "post_logout_redirect"),
        ({"post_logout_redirect": "//evil.example/"}, "post_logout_redirect"),
        ({"cache_url": "memcached://x"}, "cache_url"),
        ({"cache_url": "redis://127.0.0.1:6379/0"}, "secret_key"),
        ({"secret_key": "short"}, "secret_key"),
        ({"accepted_statuses": frozenset()}, "accepted_statuses"),
        ({"allowed_origins": ("https://a.example/path",)}, "allowed_origins"),
        ({"cookie_names": "idx"}, "cookie_names"),  # one string would be ('i', 'd', 'x')
        ({"exempt_paths": "/static"}, "exempt_paths"),
        ({"api_token": "tok\n"}, "api_token"),
        ({"timeout": float("inf")}, "timeout"),
        ({"login_url": "/connexion/登录"}, "login_url"),
        ({"login_url": "/login\r\nX: y"}, "login_url"),
        ({"login_url": "https://"}, "login_url"),
        ({"post_logout_redirect": "/au revoir\n"}, "post_logout_redirect"),
        ({"rate_limit_reserve": 1.0}, "rate_limit_reserve"),
        ({"rate_limit_reserve": -0.1}, "rate_limit_reserve"),
        ({"new_cookie_lookups_per_minute": -1}, "new_cookie_lookups_per_minute"),
        ({"new_cookie_lookups_per_minute": 2.5}, "new_cookie_lookups_per_minute"),
    ],
)
def test_bad_values_fail_naming_the_setting(kwargs: dict[str, object], setting: str) -> None:
    kwargs.setdefault("org_url", ORG)
    with pytest.raises(ConfigError) as info:
        OktaSessionConfig(**kwargs)  # type: ignore[arg-type]
    assert info.value.setting == setting
    assert setting in str(info.value)


def test_from_env_converts_text() -> None:
    env = {
        "OKTA_ORG_URL": ORG,
        "OKTA_CACHE_TTL": "30",
        "OKTA_CACHE_MAXSIZE": "50",
        "OKTA_COOKIE_NAMES": "idx, sid",
        "OKTA_ACCEPTED_STATUSES": "active,mfa_required",
        "OKTA_EXEMPT_PATHS": "/static,/health",
        "OKTA_API_TOKEN": "tok-123",
        "OKTA_CLIENT_ID": "ignored: not ours",
        "OKTA_RATE_LIMIT_RESERVE": "0.3",
        "OKTA_NEW_COOKIE_LOOKUPS_PER_MINUTE": "0",
    }
    config = OktaSessionConfig.from_env(env)
    assert config.cache_ttl == 30.0
    assert config.cache_maxsize == 50
    assert config.cookie_names == ("idx", "sid")
    assert config.accepted_statuses == {SessionStatus.ACTIVE, SessionStatus.MFA_REQUIRED}
    assert config.exempt_paths == ("/static", "/health")
    assert config.api_token == "tok-123"
    assert config.rate_limit_reserve == 0.3
    assert config.new_cookie_lookups_per_minute == 0


def test_from_env_needs_org_url_and_numbers() -> None:
    with pytest.raises(ConfigError, match="OKTA_ORG_URL"):
        OktaSessionConfig.from_env({})
    with pytest.raises(ConfigError, match="OKTA_CACHE_TTL"):
        OktaSessionConfig.from_env({"OKTA_ORG_URL": ORG, "OKTA_CACHE_TTL": "soon"})


def test_strict_mapping_catches_typos() -> None:
    with pytest.raises(ConfigError, match="CACHE_TLL"):
        OktaSessionConfig.from_mapping({"ORG_URL": ORG, "CACHE_TLL": 5}, strict=True)


def test_secrets_stay_out_of_repr() -> None:
    config = OktaSessionConfig(org_url=ORG, secret_key="s" * 40, api_token="tok-secret-123")
    text = repr(config)
    assert "tok-secret-123" not in text
    assert "s" * 40 not in text
    assert ORG in text


def test_frozen() -> None:
    config = OktaSessionConfig(org_url=ORG)
    with pytest.raises(AttributeError):
        config.cache_ttl = 5  # type: ignore[misc]


def test_unknown_accepted_status_is_refused() -> None:
    with pytest.raises(ConfigError, match="ACTIV"):
        OktaSessionConfig(org_url=ORG, accepted_statuses=frozenset({"ACTIV"}))  # type: ignore[arg-type]
    lower = OktaSessionConfig(org_url=ORG, accepted_statuses=frozenset({"active"}))  # type: ignore[arg-type]
    assert lower.accepted_statuses == {SessionStatus.ACTIVE}


@pytest.mark.parametrize(
    ("org_url", "secure"),
    [
        (ORG, True),
        ("https://127.0.0.1:8443", True),  # https on loopback: the browser is on TLS too
        ("http://127.0.0.1:8080", False),  # plain http on loopback: local development
        ("http://localhost:8080", False),
    ],
)
def test_i10_13_cookie_secure_defaults_from_the_org_never_from_a_request(
    org_url: str, secure: bool
) -> None:
    config = OktaSessionConfig(org_url=org_url)
    assert config.cookie_secure is secure
    assert config.secure_cookies is secure
    assert OktaSessionConfig(org_url=org_url, cookie_secure=not secure).cookie_secure is not secure


@pytest.mark.parametrize(
    ("text", "value"), [("true", True), ("1", True), ("On", True), ("false", False), ("no", False)]
)
def test_i10_13_cookie_secure_from_text(text: str, value: bool) -> None:
    env = {"OKTA_ORG_URL": "http://127.0.0.1:8080", "OKTA_COOKIE_SECURE": text}
    assert OktaSessionConfig.from_env(env).cookie_secure is value


def test_i10_13_cookie_secure_refuses_what_is_not_a_boolean() -> None:
    with pytest.raises(ConfigError, match="OKTA_COOKIE_SECURE"):
        OktaSessionConfig.from_env({"OKTA_ORG_URL": ORG, "OKTA_COOKIE_SECURE": "maybe"})
    with pytest.raises(ConfigError, match="cookie_secure"):
        OktaSessionConfig(org_url=ORG, cookie_secure="yes")  # type: ignore[arg-type]


def test_i10_16_max_response_bytes_setting() -> None:
    assert OktaSessionConfig(org_url=ORG).max_response_bytes == 1 << 20
    env = {"OKTA_ORG_URL": ORG, "OKTA_MAX_RESPONSE_BYTES": "65536"}
    assert OktaSessionConfig.from_env(env).max_response_bytes == 65536
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ConfigError, match="max_response_bytes"):
            OktaSessionConfig(org_url=ORG, max_response_bytes=bad)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "url",
    [
        "redis://:hunter2-secret@redis.internal:6379/0",
        "rediss://app:hunter2-secret@redis.internal:6380/0",
        "redis://redis.internal:6379/0?password=hunter2-secret",
        "unix:///run/redis.sock?db=0&password=hunter2-secret",
    ],
)
def test_i10_12_repr_hides_the_cache_url_password(url: str) -> None:
    config = OktaSessionConfig(
        org_url=ORG, cache_url=url, secret_key="k" * 32, api_token="tok-secret-1234"
    )
    shown = repr(config)
    assert "hunter2-secret" not in shown
    assert "redis" in shown and "***" in shown  # still says where the cache is
    assert "tok-secret-1234" not in shown and "k" * 32 not in shown
    assert config.cache_url == url  # the setting itself is untouched


def test_an_empty_api_token_says_so() -> None:
    with pytest.raises(ConfigError, match="must not be empty"):
        OktaSessionConfig(org_url=ORG, api_token="")


def test_a_misspelt_setting_is_logged_with_the_right_name(caplog: pytest.LogCaptureFixture) -> None:
    env = {"OKTA_ORG_URL": ORG, "OKTA_TIMEOUT_SECONDS": "3", "OKTA_CLIENT_TOKEN": "sdk-secret"}
    with caplog.at_level("WARNING", "okta_session_mw"):
        config = OktaSessionConfig.from_env(env)
    assert config.timeout == 5.0  # ignored, not guessed
    assert "OKTA_TIMEOUT_SECONDS ignored; did you mean OKTA_TIMEOUT?" in caplog.text
    assert "OKTA_CLIENT_TOKEN" not in caplog.text  # Okta's SDKs' own settings are no typo
    assert "sdk-secret" not in caplog.text  # names only, never a value


def test_i14_35_max_concurrent_okta_calls_setting() -> None:
    assert OktaSessionConfig(org_url=ORG).max_concurrent_okta_calls == 50  # below Okta's 75
    env = {"OKTA_ORG_URL": ORG, "OKTA_MAX_CONCURRENT_OKTA_CALLS": "20"}
    assert OktaSessionConfig.from_env(env).max_concurrent_okta_calls == 20
    for bad in (0, -1, 1.5, True, "50"):
        with pytest.raises(ConfigError, match="max_concurrent_okta_calls"):
            OktaSessionConfig(org_url=ORG, max_concurrent_okta_calls=bad)  # type: ignore[arg-type]
