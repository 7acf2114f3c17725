"""Workers that share Okta's budget through one real Redis (issue 14.2, 14.3): the fake
Okta they ask and the configuration each one starts with, for the shared-gate tests and
the attacks on the gate (``tests/cache/test_i14_shared_gate.py``,
``tests/test_i14_gate_poison.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from okta_session_mw import OktaSessionConfig
from okta_session_mw.testing import FakeOkta, serve_fake_okta
from tests.support.apps import make_config

__all__ = ["LOGIN", "LOOKUPS", "OPTIONS", "SECRET", "gate_config", "served_okta"]

SECRET = "workers-share-this-secret-0123456789"
LOGIN = "ann@example.com"
LOOKUPS = "GET /api/v1/sessions/me"
OPTIONS = "?socket_timeout=2&socket_connect_timeout=2"  # a loaded CI box: not "Redis down"


@contextmanager
def served_okta() -> Iterator[FakeOkta]:
    """A fake Okta with a bucket per endpoint (a 429 closes one of them) and ``LOGIN``."""
    fake = FakeOkta(rate_limit=100_000, rate_limit_buckets="endpoint")
    fake.add_user(LOGIN, "correct horse")
    with serve_fake_okta(fake):
        yield fake


def gate_config(okta: FakeOkta, url: str, **settings: object) -> OktaSessionConfig:
    """A worker's configuration: the Redis at ``url``, the secret every worker shares
    (unless ``settings`` name another), no per-address allowance for new cookies (the
    tests' cookies all come from loopback)."""
    chosen: dict[str, object] = {"secret_key": SECRET, "new_cookie_lookups_per_minute": 0}
    chosen.update(settings)
    return make_config(okta, cache_url=url + OPTIONS, **chosen)
