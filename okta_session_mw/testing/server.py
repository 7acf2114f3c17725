"""A small HTTP/1.1 server that runs an ASGI app on loopback in a background thread.

Why not uvicorn: the runtime dependencies stay starlette, httpx, itsdangerous and
cachetools, and a fake that can *really* drop a connection needs a hook into the server
(:class:`DropConnection`). Scope: what tests need. asyncio streams, keep-alive (the
wire format is in ``http11.py``), each response buffered and sent with a
``Content-Length``, and a stop that closes every open connection within ``grace``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import formatdate
from urllib.parse import unquote

from okta_session_mw.testing.asgi_exchange import (
    ASGIApp,
    DropConnection,
    Exchange,
    Scope,
)
from okta_session_mw.testing.http11 import (
    NO_BODY_STATUSES,
    BadRequest,
    HTTPRequest,
    encode_head,
    read_request,
)

__all__ = ["ASGIApp", "DropConnection", "LoopbackServer", "serve_asgi"]

logger = logging.getLogger("okta_session_mw.testing")



@dataclass(eq=False, slots=True)
class _Connection:
    task: asyncio.Task[None]
    busy: bool = False


class LoopbackServer:
    """Serve ``app`` on ``host:port`` (port 0: a free one) from a background thread.

    ``start()`` returns once the socket listens; ``stop()`` stops listening, closes idle
    keep-alive connections at once, lets requests in progress finish for up to ``grace``
    seconds, then closes whatever is left and joins the thread. Also a context manager.
    """

    def __init__(
        self, app: ASGIApp, *, host: str = "127.0.0.1", port: int = 0, grace: float = 0.25
    ) -> None:
        self._app = app
        self._host = host
        self._port = port
        self._grace = grace
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_requested: asyncio.Event | None = None
        self._startup_error: BaseException | None = None
        self._stopping = False
        self._connections: set[_Connection] = set()

    @property
    def port(self) -> int:
        """The port listened on (the one chosen, once started with port 0)."""
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://{self._host}:{self._port}"

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("server already started")
        ready = threading.Event()
        self._stopping = False
        self._thread = threading.Thread(
            target=self._run, args=(ready,), name="okta-fake-http", daemon=True
        )
        self._thread.start()
        ready.wait()
        if self._startup_error is not None:
            self._thread.join()
            self._thread = None
            raise self._startup_error

    def stop(self) -> None:
        thread, loop, event = self._thread, self._loop, self._stop_requested
        if thread is None:
            return
        if loop is not None and event is not None:
            with contextlib.suppress(RuntimeError):  # the loop already ended
                loop.call_soon_threadsafe(event.set)
        thread.join()
        self._thread = self._loop = self._stop_requested = None

    def __enter__(self) -> LoopbackServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _run(self, ready: threading.Event) -> None:
        self._startup_error = None
        try:
            asyncio.run(self._main(ready))
        except BaseException as exc:  # reported to start(); never lost in the thread
            self._startup_error = exc
        finally:
            ready.set()

    async def _main(self, ready: threading.Event) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop_requested = asyncio.Event()
        server = await asyncio.start_server(
            self._on_connect, self._host, self._port, backlog=1024, reuse_address=True
        )
        self._port = server.sockets[0].getsockname()[1]
        ready.set()
        try:
            await self._stop_requested.wait()
        finally:
            self._stopping = True
            server.close()
            await self._close_connections()
            with contextlib.suppress(asyncio.TimeoutError):  # a client that never reads
                await asyncio.wait_for(server.wait_closed(), self._grace)

    async def _close_connections(self) -> None:
        busy = [conn.task for conn in self._connections if conn.busy]
        for conn in list(self._connections):
            if not conn.busy:
                conn.task.cancel()
        if busy:
            await asyncio.wait(busy, timeout=self._grace)
        # Repeat: a connection accepted just before close() registers itself one step later.
        for _ in range(3):
            tasks = [conn.task for conn in self._connections]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await asyncio.sleep(0)  # let the closed transports run connection_lost

    async def _on_connect(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        conn = _Connection(task)
        self._connections.add(conn)
        try:
            keep_alive = True
            while keep_alive and not self._stopping:
                request = await read_request(reader)
                if request is None:
                    break
                conn.busy = True
                keep_alive = await self._respond(request, writer)
                conn.busy = False
        except BadRequest as exc:
            headers = [(b"content-length", b"0"), (b"connection", b"close")]
            writer.write(encode_head(exc.status, headers))
            with contextlib.suppress(ConnectionError):
                await writer.drain()
        except (DropConnection, ConnectionError, EOFError):
            pass  # close without a word: what a dropped connection is
        except asyncio.CancelledError:
            # Only stop() cancels these tasks. Ending normally matters: Python 3.11's
            # start_server callback calls task.exception() and logs a cancelled task.
            pass
        finally:
            self._connections.discard(conn)
            writer.close()

    async def _respond(self, request: HTTPRequest, writer: asyncio.StreamWriter) -> bool:
        """Run the app for one request and write its response; ``False``: close after it."""
        exchange = Exchange(request, writer, self._head)
        try:
            await self._app(self._scope(request, writer), exchange.receive, exchange.send)
        except DropConnection:
            raise
        except Exception:
            logger.exception("ASGI app failed on %s %s", request.method, exchange.raw_path)
        finally:
            exchange.done.set()
        if exchange.streaming:
            return False  # sent with "Connection: close": the end of the body is the close
        keep_alive = request.keep_alive and exchange.complete and not self._stopping
        status, headers, chunks = exchange.status, exchange.headers, exchange.chunks
        if not exchange.complete:
            status, headers, chunks = 500, [(b"content-type", b"text/plain")], [b"Server Error"]
        body = b"".join(chunks)
        head, keep_alive = self._head(request, status, headers, len(body), keep_alive=keep_alive)
        if request.method == "HEAD" or status in NO_BODY_STATUSES:
            body = b""
        writer.write(head + body)
        await writer.drain()
        return keep_alive

    def _scope(self, request: HTTPRequest, writer: asyncio.StreamWriter) -> Scope:
        raw_path, _, query = request.target.partition("?")
        return {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": request.version.removeprefix("HTTP/"),
            "method": request.method,
            "scheme": "http",
            "path": unquote(raw_path),
            "raw_path": raw_path.encode("latin-1"),
            "query_string": query.encode("latin-1"),
            "root_path": "",
            "headers": request.headers,
            "client": tuple(writer.get_extra_info("peername") or ("", 0))[:2],
            "server": (self._host, self._port),
        }

    @staticmethod
    def _head(
        request: HTTPRequest,
        status: int,
        headers: list[tuple[bytes, bytes]],
        length: int | None,
        *,
        keep_alive: bool,
    ) -> tuple[bytes, bool]:
        """The response head with ``Content-Length``, ``Date`` and ``Connection`` filled
        in, and whether the connection stays open after it."""
        headers = list(headers)
        names = {name for name, _ in headers}
        sized = length is not None and status not in NO_BODY_STATUSES
        if sized and b"content-length" not in names:
            headers.append((b"content-length", str(length).encode()))
        if b"date" not in names:
            headers.append((b"date", formatdate(usegmt=True).encode()))
        if any(n == b"connection" and v.lower() == b"close" for n, v in headers):
            keep_alive = False
        elif not keep_alive:
            headers.append((b"connection", b"close"))
        return encode_head(status, headers), keep_alive


@contextlib.contextmanager
def serve_asgi(app: ASGIApp, *, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve ``app`` over real HTTP for the ``with`` block; yields ``"http://host:port"``."""
    server = LoopbackServer(app, host=host, port=port)
    server.start()
    try:
        yield server.base_url
    finally:
        server.stop()
