"""The fake Okta on ASGI: Okta's headers around every reply, and the test's faults.

Every request is recorded first, then meets the injected faults, then the rate limit,
then its operation (``fake_app.route``). Every answer carries ``Date``,
``X-Okta-Request-Id`` and the ``X-Rate-Limit-*`` headers; every error is Okta's JSON
error body (okta-sessions.md s3).
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import TYPE_CHECKING

from okta_session_mw.testing.asgi_exchange import DropConnection, Receive, Scope, Send
from okta_session_mw.testing.fake_app import _error, _json, _Reply, _Request, route
from okta_session_mw.testing.fake_json import error_body_for_status, http_date, okta_id
from okta_session_mw.testing.fake_rate_limit import RateLimitState
from okta_session_mw.testing.fake_records import RecordedCall, parse_cookie_header

if TYPE_CHECKING:
    from okta_session_mw.testing.fake_okta import FakeOkta

__all__ = ["handle"]

_GARBAGE = (
    b"<!DOCTYPE html><html><head><title>Service Unavailable</title></head>"
    b"<body><h1>Service Unavailable</h1><p>The upstream server is unavailable.</p></body></html>"
)


async def handle(fake: FakeOkta, scope: Scope, receive: Receive, send: Send) -> None:
    """Answer one ASGI connection scope for ``fake``."""
    if scope["type"] == "lifespan":
        await _lifespan(receive, send)
        return
    if scope["type"] != "http":
        raise RuntimeError(f"the fake Okta serves HTTP only, not {scope['type']!r}")
    body = await _read_body(receive)
    headers: dict[str, str] = {}
    for raw_name, raw_value in scope["headers"]:
        name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
        joiner = "; " if name == "cookie" else ", "
        headers[name] = headers[name] + joiner + value if name in headers else value
    cookies = parse_cookie_header([headers.get("cookie", "")])
    host = headers.get("host") or "{}:{}".format(*(scope.get("server") or ("localhost", 80)))
    request = _Request(
        scope["method"], scope["path"], f"{scope.get('scheme', 'http')}://{host}",
        headers, cookies, body,
    )  # fmt: skip
    call = RecordedCall(
        request.method, request.path, scope.get("query_string", b"").decode("latin-1"),
        headers, cookies, headers.get("authorization"), body,
    )  # fmt: skip
    fake._record(call)
    try:
        await _answer(fake, request, call, send)
    finally:
        fake._finished()


async def _answer(fake: FakeOkta, request: _Request, call: RecordedCall, send: Send) -> None:
    """The reply to one recorded request: the test's faults, the rate limit, the route."""
    faults = fake._take_faults(request.path)
    if faults.latency:
        await asyncio.sleep(faults.latency)
    if faults.drop_connection:
        raise DropConnection
    allowed, rate = fake._take_rate(request.method, request.path)
    if faults.body is not None:
        reply = _Reply(faults.status or 200, faults.body, "application/json")
    elif faults.garbage_body:
        reply = _Reply(faults.status or 200, _GARBAGE, "text/html; charset=utf-8")
    elif faults.status is not None:
        reply = _json(*error_body_for_status(faults.status))
    elif not allowed:
        reply = _error("E0000047")
    else:
        reply = route(fake, request)
    if faults.content_encoding:
        encoding = (b"content-encoding", faults.content_encoding.encode())
        reply = dataclasses.replace(reply, headers=(*reply.headers, encoding))
    await _send(send, reply, fake, rate, faults.trickle)
    fake._answered(call, reply.status)


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks)  # the client went away; answer what arrived
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _send(
    send: Send, reply: _Reply, fake: FakeOkta, rate: RateLimitState, trickle: float = 0.0
) -> None:
    headers = [
        (b"date", http_date(fake.now()).encode()),
        (b"x-okta-request-id", okta_id("", 27).encode()),
        *rate.headers(),
        *reply.headers,
    ]
    if reply.content_type is not None:
        headers.append((b"content-type", reply.content_type.encode()))
    if reply.status != 204:
        headers.append((b"content-length", str(len(reply.content)).encode()))
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    if not (trickle and reply.content):
        await send({"type": "http.response.body", "body": reply.content})
        return
    for index in range(len(reply.content)):
        chunk = reply.content[index : index + 1]
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await asyncio.sleep(trickle)
    await send({"type": "http.response.body", "body": b""})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
