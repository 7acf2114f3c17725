"""The doctor's Okta checks, each run as the real command against the fake Okta: the org
over TLS, Okta's clock against ours, the API token (never printed)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import httpx
import pytest

from okta_session_mw.testing import FakeOkta, serve_asgi, serve_fake_okta
from okta_session_mw.testing.redis_server import free_port
from tests.support.doctor_runs import run_doctor
from tests.support.okta_users import API_TOKEN
from tests.support.tls_proxy import Certificates, TlsProxy


def test_i15_40_a_sound_org_over_tls_passes_every_okta_check(
    tls_url: str, certificates: Certificates
) -> None:
    run = run_doctor(
        {
            "OKTA_ORG_URL": tls_url,
            "OKTA_API_TOKEN": API_TOKEN,
            "SSL_CERT_FILE": str(certificates.ca),
        }
    )
    assert run.status == 0, run.output
    assert list(run.lines()) == [
        "config", "org_url", "okta_clock", "api_token", "cookie_names", "redis", "secret_key"
    ]  # fmt: skip
    for check in ("config", "org_url", "okta_clock", "api_token", "cookie_names"):
        assert run.level(check) == "OK", run.output
    assert re.search(r"answers \(TLSv1\.[23]\)", run.detail("org_url"))
    assert run.level("redis") == "SKIP"  # no cache_url: the in-process cache
    assert API_TOKEN not in run.output


def test_i15_41_a_wrong_api_token_fails_without_being_printed(fake_url: str) -> None:
    wrong = "00-wrong-token-that-must-stay-secret"
    run = run_doctor({"OKTA_ORG_URL": fake_url, "OKTA_API_TOKEN": wrong})
    assert run.status == 1
    assert run.level("api_token") == "FAIL"
    assert "401 E0000011" in run.detail("api_token")
    assert run.level("org_url") == "WARN"  # plain http on loopback: the only warning
    assert wrong not in run.output and "wrong-token" not in run.output


def test_i15_42_no_api_token_is_skipped_naming_what_needs_one(fake_url: str) -> None:
    run = run_doctor({"OKTA_ORG_URL": fake_url})
    assert run.status == 0, run.output  # a warning (plain http) does not fail by default
    assert run.level("api_token") == "SKIP"
    assert "CreateSession" in run.detail("api_token")
    assert run_doctor({"OKTA_ORG_URL": fake_url}, "--strict").status == 1


def test_i15_43_an_unreachable_org_fails_and_skips_what_needs_it() -> None:
    org = f"http://127.0.0.1:{free_port()}"  # nobody listens there
    run = run_doctor({"OKTA_ORG_URL": org, "OKTA_API_TOKEN": API_TOKEN})
    assert run.status == 1
    assert run.level("org_url") == "FAIL"
    assert "cannot connect" in run.detail("org_url")
    assert run.level("okta_clock") == "SKIP" and run.level("api_token") == "SKIP"
    assert API_TOKEN not in run.output


def test_i15_44_an_untrusted_certificate_is_reported_as_a_tls_failure(tls_url: str) -> None:
    run = run_doctor({"OKTA_ORG_URL": tls_url, "OKTA_API_TOKEN": API_TOKEN})  # CA not trusted
    assert run.status == 1
    assert run.level("org_url") == "FAIL"
    assert "TLS failed: the certificate is not trusted" in run.detail("org_url")
    assert API_TOKEN not in run.output


def test_i15_45_a_certificate_for_another_host_is_reported_as_a_tls_failure(
    fake_url: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from pathlib import Path
    from urllib.parse import urlsplit

    from tests.support.tls_proxy import make_certificates

    other = make_certificates(Path(tmp_path_factory.mktemp("other")), hosts=("okta.example",))
    port = urlsplit(fake_url).port
    assert port is not None
    with TlsProxy(port, other) as proxy:
        run = run_doctor(
            {"OKTA_ORG_URL": f"https://127.0.0.1:{proxy.port}", "SSL_CERT_FILE": str(other.ca)}
        )
    assert run.level("org_url") == "FAIL"
    assert "TLS failed: the certificate is not trusted" in run.detail("org_url")
    assert "mismatch" in run.detail("org_url")


def _skewed(seconds: float) -> Callable[[], float]:
    return lambda: time.time() + seconds


@pytest.mark.parametrize(
    ("skew", "max_skew", "level", "words"),
    [
        (40, "5", "WARN", "ahead of ours: a session can be served up to"),
        (-40, "5", "WARN", "behind ours: every cache lifetime is cut by"),
        (90, "5", "FAIL", "more than cache_ttl (60 s)"),
        (20, "10", "WARN", "(more than 10 s)"),
        (20, "30", "OK", "(warns above 30 s)"),
    ],
)
def test_i15_46_a_skewed_okta_clock_is_reported_with_its_size(
    skew: float, max_skew: str, level: str, words: str
) -> None:
    with serve_fake_okta(FakeOkta(api_token=API_TOKEN, clock=_skewed(skew))) as url:
        run = run_doctor({"OKTA_ORG_URL": url, "OKTA_CACHE_TTL": "60"}, "--max-skew", max_skew)
    assert run.level("okta_clock") == level, run.output
    detail = run.detail("okta_clock")
    assert words in detail
    assert run.status == (1 if level == "FAIL" else 0)
    if level != "OK":
        measured = re.search(r"is (\d+) s (ahead|behind)", detail)
        assert measured is not None
        assert abs(int(measured.group(1)) - abs(skew)) <= 2  # Date has whole seconds


async def _not_okta(scope: dict[str, object], receive: object, send: object) -> None:
    """An app that answers every path with a 200 HTML page (a proxy's login page)."""
    assert scope["type"] == "http"
    headers = [(b"content-type", b"text/html")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"<html>sign in</html>"})


def test_i15_47_an_answer_other_than_okta_s_404_is_a_warning_saying_why() -> None:
    with serve_asgi(_not_okta) as url:
        run = run_doctor({"OKTA_ORG_URL": url})
    assert run.level("org_url") == "WARN"
    assert "HTTP 200 text/html, not Okta's JSON 404" in run.detail("org_url")
    # an Okta that is rate-limiting: said so, and the token left unjudged
    fake = FakeOkta(api_token=API_TOKEN, rate_limit=1)
    with serve_fake_okta(fake) as url:
        assert httpx.get(url + "/api/v1/sessions/me").status_code == 404  # the window's one
        limited = run_doctor({"OKTA_ORG_URL": url, "OKTA_API_TOKEN": API_TOKEN})
    assert limited.level("org_url") == "WARN"
    assert "rate-limiting us (HTTP 429)" in limited.detail("org_url")
    assert limited.level("api_token") == "WARN"
    assert "rate limited (HTTP 429 E0000047)" in limited.detail("api_token")
