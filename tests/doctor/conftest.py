"""Fixtures of the doctor's tests: a fake Okta served over plain HTTP and, through a TLS
proxy with a test CA, over https; both once per module (the doctor only reads)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from okta_session_mw.testing import FakeOkta, serve_fake_okta
from tests.support.okta_users import API_TOKEN
from tests.support.tls_proxy import Certificates, TlsProxy, make_certificates


@pytest.fixture(scope="module")
def fake_url() -> Iterator[str]:
    """A fake Okta (accepting ``API_TOKEN``) on plain http, loopback."""
    with serve_fake_okta(FakeOkta(api_token=API_TOKEN)) as url:
        yield url


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(Path(tmp_path_factory.mktemp("tls")))


@pytest.fixture(scope="module")
def tls_url(fake_url: str, certificates: Certificates) -> Iterator[str]:
    """The same fake behind TLS: ``https://127.0.0.1:PORT`` (trusted with ``SSL_CERT_FILE``)."""
    port = urlsplit(fake_url).port
    assert port is not None
    with TlsProxy(port, certificates) as proxy:
        yield f"https://127.0.0.1:{proxy.port}"
