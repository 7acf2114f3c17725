"""An event-hook endpoint for tests of the fake Okta's deliveries: a small Starlette app on
a real loopback socket that records every request and answers as the test scripts it.

Each ``POST`` takes the next of ``answers``: a status, ``SLOW`` (answers only after any
timeout a test sets) or ``HOLD`` (waits until ``release()``); once they run out, 200. The
verification ``GET`` is answered per ``verify``: ``"echo"`` (right), ``"wrong"`` (another
value), ``"text"`` (not JSON) or ``"status500"``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from okta_session_mw.testing import serve_asgi

__all__ = ["HOLD", "SLOW", "HookReceiver", "Received"]

SLOW = "slow"
HOLD = "hold"
_SLOW_SECONDS = 30.0  # cancelled when the receiver stops
_HOLD_SECONDS = 10.0


@dataclass(frozen=True)
class Received:
    method: str
    headers: dict[str, str]  # lower-case names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class HookReceiver:
    def __init__(self, *, answers: Iterable[int | str] = (), verify: str = "echo") -> None:
        self._answers = list(answers)
        self._verify = verify
        self._received: list[Received] = []
        self._changed = threading.Condition()
        self._released = threading.Event()
        self.app = Starlette(routes=[Route("/hook", self._endpoint, methods=["GET", "POST"])])

    @property
    def received(self) -> list[Received]:
        with self._changed:
            return list(self._received)

    @property
    def posts(self) -> list[Received]:
        return [r for r in self.received if r.method == "POST"]

    def wait_for_posts(self, count: int, timeout: float = 10.0) -> list[Received]:
        """Return once ``count`` POSTs arrived (``AssertionError`` after ``timeout``)."""
        with self._changed:
            arrived = self._changed.wait_for(
                lambda: sum(r.method == "POST" for r in self._received) >= count, timeout
            )
        assert arrived, f"fewer than {count} deliveries arrived: {len(self.posts)}"
        return self.posts

    def release(self) -> None:
        self._released.set()

    @contextlib.contextmanager
    def serve(self) -> Iterator[str]:
        """Serve on a free loopback port; yields the hook's URL."""
        try:
            with serve_asgi(self.app) as base_url:
                yield f"{base_url}/hook"
        finally:
            self.release()

    async def _endpoint(self, request: Request) -> Response:
        body = await request.body()
        with self._changed:
            self._received.append(Received(request.method, dict(request.headers), body))
            answer = self._answers.pop(0) if request.method == "POST" and self._answers else 200
            self._changed.notify_all()
        if request.method == "GET":
            return self._verification(request.headers.get("x-okta-verification-challenge", ""))
        if answer == SLOW:
            await asyncio.sleep(_SLOW_SECONDS)
        elif answer == HOLD:
            for _ in range(int(_HOLD_SECONDS / 0.01)):
                if self._released.is_set():
                    break
                await asyncio.sleep(0.01)
        return Response(status_code=200 if isinstance(answer, str) else answer)

    def _verification(self, challenge: str) -> Response:
        if self._verify == "status500":
            return JSONResponse({"verification": challenge}, status_code=500)
        if self._verify == "text":
            return PlainTextResponse(challenge)
        echoed = challenge if self._verify == "echo" else challenge[::-1] + "x"
        return JSONResponse({"verification": echoed})
