"""HTTP/1.1 on the wire for the loopback server: read one request, write a response head.

Only what a test server needs: ``Content-Length`` bodies (a chunked upload is answered
411), keep-alive by the HTTP/1.1 rules (HTTP/1.0 always closes), strict header lines.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from http import HTTPStatus

__all__ = ["NO_BODY_STATUSES", "BadRequest", "HTTPRequest", "encode_head", "read_request"]

NO_BODY_STATUSES = frozenset({204, 304})


class BadRequest(Exception):
    """The request cannot be read; ``status`` is the answer to give before closing."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


@dataclass(frozen=True, slots=True)
class HTTPRequest:
    method: str
    target: str
    version: str
    headers: list[tuple[bytes, bytes]]
    body: bytes
    keep_alive: bool


async def read_request(reader: asyncio.StreamReader) -> HTTPRequest | None:
    """The next request on a connection, or ``None`` when the client closed it cleanly."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if exc.partial.strip():
            raise BadRequest(400) from None
        return None
    except asyncio.LimitOverrunError:
        raise BadRequest(431) from None
    request_line, *header_lines = head[:-4].decode("latin-1").split("\r\n")
    parts = request_line.split(" ")
    if len(parts) != 3 or not parts[1].startswith("/"):
        raise BadRequest(400)
    method, target, version = parts
    if version not in ("HTTP/1.1", "HTTP/1.0"):
        raise BadRequest(505)
    headers: list[tuple[bytes, bytes]] = []
    for line in header_lines:
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            raise BadRequest(400)
        headers.append((name.lower().encode("latin-1"), value.strip().encode("latin-1")))
    names = [name for name, _ in headers]
    if b"transfer-encoding" in names:
        raise BadRequest(411)  # chunked uploads are out of scope: ask for a length
    lengths = {value for name, value in headers if name == b"content-length"}
    if len(lengths) > 1 or not all(value.isdigit() for value in lengths):
        raise BadRequest(400)
    length = int(lengths.pop()) if lengths else 0
    body = await reader.readexactly(length) if length else b""
    tokens = {
        token.strip().lower()
        for name, value in headers
        if name == b"connection"
        for token in value.split(b",")
    }
    keep_alive = version == "HTTP/1.1" and b"close" not in tokens
    return HTTPRequest(method.upper(), target, version, headers, body, keep_alive)


def encode_head(status: int, headers: list[tuple[bytes, bytes]]) -> bytes:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Unknown"
    lines = [f"HTTP/1.1 {status} {phrase}".encode("latin-1")]
    lines.extend(name + b": " + value for name, value in headers)
    return b"\r\n".join(lines) + b"\r\n\r\n"
