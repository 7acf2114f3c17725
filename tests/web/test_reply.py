"""``reply``: the framework-neutral answer and the views adapters take of it."""

from __future__ import annotations

import json

import pytest

from okta_session_mw.web.reply import Reply, json_reply


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_i11_05_location_of_a_redirect(status: int) -> None:
    assert Reply(status, (("cache-control", "no-store"), ("location", "/bye"))).location == "/bye"


@pytest.mark.parametrize("status", [200, 204, 299, 400, 503])
def test_i11_05_no_location_outside_3xx_even_with_the_header(status: int) -> None:
    assert Reply(status, (("location", "/bye"),)).location is None


def test_i11_05_a_redirect_without_a_location_header_has_none() -> None:
    assert Reply(303, (("set-cookie", "a=b"),)).location is None


def test_i11_05_media_type_is_content_type_and_left_out_of_other_headers() -> None:
    reply = Reply(
        200,
        (("set-cookie", "a=1"), ("content-type", "text/plain"), ("x-one", "1"),
         ("set-cookie", "b=2")),
    )  # fmt: skip
    assert reply.media_type == "text/plain"
    assert reply.other_headers == (("set-cookie", "a=1"), ("x-one", "1"), ("set-cookie", "b=2"))
    bare = Reply(204, (("set-cookie", "a=1"),))
    assert bare.media_type is None
    assert bare.other_headers == bare.headers


def test_i11_05_json_reply_is_a_small_uncached_json_error() -> None:
    reply = json_reply(429, "slow_down", "Too many.", (("retry-after", "3"),))
    assert reply.status == 429
    assert json.loads(reply.body) == {"error": "slow_down", "message": "Too many."}
    assert reply.headers == (
        ("content-type", "application/json"), ("cache-control", "no-store"),
        ("retry-after", "3"),
    )  # fmt: skip


def test_i11_05_reply_repr_shows_header_names_not_values() -> None:
    reply = Reply(303, (("location", "/"), ("set-cookie", "sid=s3cr3t")), b"sid=s3cr3t")
    assert repr(reply) == "Reply(303, headers=[location, set-cookie], 10 bytes)"
