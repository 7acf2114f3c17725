"""One HTTP request's ASGI exchange on the loopback server: ``receive``, ``send`` and the
response they gather (``Exchange``), with the ASGI types and ``DropConnection``."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, Protocol

from okta_session_mw.testing.http11 import HTTPRequest

__all__ = ["ASGIApp", "DropConnection", "Exchange", "Head", "Message", "Scope"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class DropConnection(Exception):
    """Raise it from an app to make the server close the connection without answering."""



class Exchange:
    """One request's ASGI ``receive`` and ``send``: the response is kept whole, unless the
    app sends its body in several parts, which are written as they come (a trickling
    peer), after a head that says ``Connection: close``."""

    def __init__(self, request: HTTPRequest, writer: asyncio.StreamWriter, head: Head) -> None:
        self.request, self.writer, self.head = request, writer, head
        self.raw_path = request.target.partition("?")[0]
        self.status = 500
        self.headers: list[tuple[bytes, bytes]] = []
        self.chunks: list[bytes] = []
        self.started = self.complete = self.request_read = self.streaming = False
        self.done = asyncio.Event()

    async def receive(self) -> Message:
        if not self.request_read:
            self.request_read = True
            return {"type": "http.request", "body": self.request.body, "more_body": False}
        await self.done.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start" and not self.started:
            self.started = True
            self.status = int(message["status"])
            self.headers = [(bytes(k).lower(), bytes(v)) for k, v in message.get("headers", [])]
        elif message["type"] == "http.response.body":
            if not self.started or self.complete:
                raise RuntimeError("ASGI body sent before the start or after the end")
            chunk = bytes(message.get("body", b""))
            self.complete = not message.get("more_body", False)
            if not self.complete and not self.streaming and not self.chunks:
                self.streaming = True
                head, _ = self.head(self.request, self.status, self.headers, None, keep_alive=False)
                self.writer.write(head)
            if not self.streaming:
                self.chunks.append(chunk)
                return
            if self.request.method != "HEAD":
                self.writer.write(chunk)
            try:
                await self.writer.drain()
            except ConnectionError:
                raise DropConnection from None


class Head(Protocol):
    """``LoopbackServer._head``: a response head and whether the connection stays open."""

    def __call__(
        self,
        request: HTTPRequest,
        status: int,
        headers: list[tuple[bytes, bytes]],
        length: int | None,
        *,
        keep_alive: bool,
    ) -> tuple[bytes, bool]: ...
