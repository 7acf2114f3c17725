"""org_url validation: what is accepted, how it is normalised, and why the rest is refused."""

from __future__ import annotations

import pytest

from okta_session_mw.errors import ConfigError
from okta_session_mw.okta.org_url import is_loopback_host, masked_url, validate_org_url


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://example.okta.com", "https://example.okta.com"),
        ("https://example.okta.com/", "https://example.okta.com"),
        ("  https://Example.OKTA.com/ ", "https://example.okta.com"),
        ("HTTPS://example.okta.com", "https://example.okta.com"),
        ("https://example.okta.com:443", "https://example.okta.com"),
        ("https://example.okta.com:8443/", "https://example.okta.com:8443"),
        ("https://login.example.org", "https://login.example.org"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080"),
        ("http://127.1.2.3:8080/", "http://127.1.2.3:8080"),
        ("http://localhost:9000", "http://localhost:9000"),
        ("http://LOCALHOST", "http://localhost"),
        ("http://[::1]:9000/", "http://[::1]:9000"),
        ("http://127.0.0.1:80", "http://127.0.0.1"),
        ("https://[::1]", "https://[::1]"),
    ],
)
def test_accepted_and_normalised(given: str, expected: str) -> None:
    assert validate_org_url(given) == expected


@pytest.mark.parametrize(
    ("given", "words"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("example.okta.com", "https://"),
        ("ftp://example.okta.com", "https://"),
        ("http://example.okta.com", "loopback"),
        ("http://10.0.0.1", "loopback"),
        ("http://localhost.example.com", "loopback"),
        ("https://example.okta.com/oauth2/default", "authorization server"),
        ("https://example.okta.com/oauth2/default/", "authorization server"),
        ("https://example.okta.com/api/v1", "adds /api/v1"),
        ("https://example.okta.com/app", "'/app'"),
        ("https://example.okta.com?x=1", "query"),
        ("https://example.okta.com/#top", "fragment"),
        ("https://example.okta.com?", "query"),
        ("https://{yourOktaDomain}", "placeholder"),
        ("https://{yourOktaDomain}.okta.com", "placeholder"),
        ("https://example-admin.okta.com", "Admin Console"),
        ("https://", "no host"),
        ("https:///path", "no host"),
        ("https://example.okta.com:notaport", "port"),
        ("https://https://example.okta.com", "twice"),
        ("https://exa mple.okta.com", "whitespace"),
        ("https://example.okta.com\r\nX: y", "control"),
    ],
)
def test_refused_with_a_reason(given: str, words: str) -> None:
    with pytest.raises(ConfigError) as info:
        validate_org_url(given)
    assert info.value.setting == "org_url"
    assert words in str(info.value)


def test_admin_host_message_names_the_org_url() -> None:
    with pytest.raises(ConfigError, match=r"https://example\.okta\.com"):
        validate_org_url("https://example-admin.okta.com")


def test_userinfo_is_refused_without_echoing_it() -> None:
    with pytest.raises(ConfigError) as info:
        validate_org_url("https://admin:hunter2@example.okta.com")
    assert "user name or password" in str(info.value)
    assert "hunter2" not in str(info.value)


def test_not_a_string() -> None:
    with pytest.raises(ConfigError, match="string"):
        validate_org_url(None)  # type: ignore[arg-type]


def test_config_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="org_url"):
        validate_org_url("http://example.com")


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("localhost", True),
        ("LocalHost", True),
        ("localhost.", True),
        ("127.0.0.1", True),
        ("127.255.0.9", True),
        ("::1", True),
        ("[::1]", True),
        ("0:0:0:0:0:0:0:1", True),
        ("128.0.0.1", False),
        ("0.0.0.0", False),
        ("::", False),
        ("example.com", False),
        ("localhost.example.com", False),
        ("127.0.0.1.nip.io", False),
        ("", False),
    ],
)
def test_is_loopback_host(host: str, expected: bool) -> None:
    assert is_loopback_host(host) is expected


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://:pw-secret@h:6379/0", "redis://:***@h:6379/0"),
        ("rediss://ann:pw-secret@h", "rediss://ann:***@h"),
        ("redis://pw-secret@h", "redis://***@h"),
        ("unix:///run/r.sock?db=0&password=pw-secret", "unix:///run/r.sock?db=0&password=***"),
        ("https://example.okta.com", "https://example.okta.com"),
        ("https://h/?email=a@b.example#top", "https://h/?email=a@b.example#top"),
        ("http://[::1:pw-secret@h", "***"),  # unparseable: nothing of it is shown
    ],
)
def test_i10_12_masked_url_hides_passwords_only(url: str, shown: str) -> None:
    assert masked_url(url) == shown
