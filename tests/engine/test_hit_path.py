"""The hit path (``ServiceCore.prepare`` on a cached session): no parsing, no lock, no
new object; and every header the slice leaves to the full reading still resolves as
the full reading says."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from okta_session_mw import Resolution, SessionService, Source
from okta_session_mw.engine.service_core import Lookup
from okta_session_mw.testing import FakeOkta
from tests.support.apps import make_config
from tests.support.okta_users import LOGIN


class NoLock:
    """Stands in for a lock the hit path must not take."""

    def __enter__(self) -> None:
        raise AssertionError("the hit path took a lock")

    def __exit__(self, *exc: object) -> None:
        return None

    acquire = release = __enter__


@pytest.fixture
def sync_service(okta: FakeOkta) -> Iterator[SessionService]:
    service = SessionService(make_config(okta, cache_ttl=3600.0), clock=okta.now)
    yield service
    service.close()


def resolved(service: SessionService, header: str) -> Resolution:
    ready = service.prepare(header, "/", "127.0.0.1")
    return service.finish(ready) if isinstance(ready, Lookup) else ready


def test_i12_01_a_hit_neither_parses_nor_locks_nor_allocates(
    okta: FakeOkta, sync_service: SessionService, monkeypatch: pytest.MonkeyPatch
) -> None:
    session_id = okta.create_session(LOGIN)
    header = f"_ga=GA1.1.5; sid={session_id}; theme=dark"
    assert resolved(sync_service, header).source is Source.MISS
    first = sync_service.prepare(header, "/", "127.0.0.1")

    def no_parsing(*args: object) -> None:
        raise AssertionError("the hit path parsed the header")

    monkeypatch.setattr("okta_session_mw.engine.service_core.extract_okta_cookies", no_parsing)
    monkeypatch.setattr(sync_service.cache, "_lock", NoLock())
    again = sync_service.prepare(header, "/", "127.0.0.1")
    assert isinstance(again, Resolution) and again.source is Source.HIT
    assert again is first  # the entry's own answer: nothing built per request
    assert again.session is not None and again.session.id == session_id


@pytest.mark.parametrize(
    ("header", "source"),
    [
        ('sid="{sid}"; theme=dark', Source.HIT),  # quoted: the full reading unquotes it
        ("theme=dark;   sid={sid} ", Source.HIT),  # blanks the slice does not strip
        ("sid ={sid}", Source.HIT),  # a blank before '=': the slice gives up
        ("sidecar=1; sid={sid}", Source.HIT),  # the name inside another cookie's name
        ("sid={sid}; sid={sid}", Source.NO_COOKIE),  # twice: ambiguous, so none
        ("sid={sid}\x00", Source.NO_COOKIE),  # a character no Okta cookie has
    ],
)
def test_i12_01_headers_the_slice_leaves_to_the_full_reading(
    okta: FakeOkta, sync_service: SessionService, header: str, source: Source
) -> None:
    session_id = okta.create_session(LOGIN)
    assert resolved(sync_service, f"sid={session_id}").source is Source.MISS
    calls = len(okta.calls)
    assert resolved(sync_service, header.format(sid=session_id)).source is source
    assert len(okta.calls) == calls  # the same cookie: its cached answer, no Okta call


def test_i12_02_a_session_served_from_the_cache_outlives_sign_ins_between_its_requests(
    okta: FakeOkta,
) -> None:
    service = SessionService(make_config(okta, cache_ttl=3600.0, cache_maxsize=2), clock=okta.now)
    try:
        busy = f"sid={okta.create_session(LOGIN)}"
        assert resolved(service, busy).source is Source.MISS
        for _ in range(6):
            assert resolved(service, busy).source is Source.HIT  # the hit path marks it
            assert resolved(service, f"sid={okta.create_session(LOGIN)}").source is Source.MISS
    finally:
        service.close()
