"""A failed Okta call is freed with its request (behaviour 7's bounds; found by review 2).

``call_okta`` kept the error in a local (``failure = exc``) of the frame that the
error's own traceback holds: a reference cycle. So every failed Okta call (a 404 for a
made-up cookie included) keeps its frames, the ``httpx.Response`` and, for an answer
that is not a Session, the whole parsed body (``raise ... from exc`` in
``answer_bodies.parse_session``: ``Session.from_okta``'s frame holds ``data``) alive
until the cyclic garbage collector's next full pass, not until the request ends.
``max_response_bytes`` bounds a body on the wire, not this: a megabyte of floats is
about 8 MB parsed. Measured here with the fake in another process, 100 concurrent
lookups answered with such a body peaked at 1.1 GB RSS (95 parsed bodies alive at once,
with 4 parse threads), 300 at 1.9 GB; with a body of one long string, 245 / 636 MB.
"""

from __future__ import annotations

import gc

import httpx

from okta_session_mw import SessionService
from okta_session_mw.testing import FakeOkta
from tests.support.apps import make_config

FLOATS = b'{"x":[' + b",".join([b"1.5"] * 250_000) + b"]}"  # 1 MB on the wire


def _parsed_bodies_alive() -> int:
    return sum(1 for o in gc.get_objects() if type(o) is dict and list(o) == ["x"])


def test_i11_01_a_failed_answer_does_not_outlive_its_request(okta: FakeOkta) -> None:
    service = SessionService(make_config(okta, new_cookie_lookups_per_minute=10_000))
    service.resolve("sid=warm-up")
    okta.inject(body=FLOATS, path_prefix="/api/v1/sessions/me")
    gc.collect()
    gc.disable()  # what a busy process sees between two full collections
    try:
        for n in range(5):
            assert service.resolve(f"sid=made-up-{n}").unavailable
        bodies = _parsed_bodies_alive()
        # type(), not isinstance: a lazy object (Django's storages) would evaluate itself
        responses = sum(type(o) is httpx.Response for o in gc.get_objects())
    finally:
        gc.enable()
        service.close()
    assert bodies == 0, (
        f"{bodies} parsed 1 MB answers (~8 MB each) and {responses} responses still alive "
        "after their 5 requests ended: held only by reference cycles"
    )
