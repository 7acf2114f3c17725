"""A hostile peer for attack tests: a TCP server on loopback that answers at once with
a head, then one byte at a time, each within any per-read timeout, for ever."""

from __future__ import annotations

import socket
import threading
import time

__all__ = ["DripServer"]


class DripServer:
    """Answers every connection with ``head`` at once, then one byte of ``drip`` every
    ``every`` seconds, for ever (until the peer goes or the server stops)."""

    def __init__(self, head: bytes, drip: bytes = b" ", every: float = 0.3) -> None:
        self.head, self.drip, self.every = head, drip, every
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> DripServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._listener.close()
        self._thread.join(5)

    def _serve(self) -> None:
        self._listener.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=self._drip, args=(conn,), daemon=True).start()

    def _drip(self, conn: socket.socket) -> None:
        with conn:
            try:
                conn.settimeout(5)
                conn.recv(65536)  # the request (or Redis command)
                conn.sendall(self.head)
                while not self._stop.is_set():
                    time.sleep(self.every)
                    conn.sendall(self.drip)
            except OSError:
                return
