"""A throwaway ``redis-server`` on a free loopback port, for this project's tests and yours.

::

    with RedisServer() as server:            # or RedisServer(unix_socket=True)
        config = OktaSessionConfig(org_url=..., cache_url=server.url, secret_key=...)
        ...
        server.kill()       # Redis dies (SIGKILL), as in an outage
        server.start()      # back on the same port, empty
        server.pause()      # Redis hangs (SIGSTOP): connections open, no answers
        server.resume()

No persistence (no RDB, no AOF), its own temporary directory, stopped (and the
directory removed) on exit. Needs Debian's ``redis-server`` (``apt-get install
redis-server``) or any ``redis-server`` on ``PATH``; otherwise ``RedisServerMissing``.
Standard library only: readiness is checked with a raw ``PING``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from okta_session_mw.testing.started import Started

__all__ = ["RedisServer", "RedisServerMissing", "find_redis_server", "free_port"]

INSTALL_HINT = (
    "redis-server is not installed: run scripts/test (it installs Debian's package), or "
    "`apt-get install redis-server`, or put a redis-server on PATH"
)


_NOT_STARTED = (
    "RedisServer: start() it (or use `with RedisServer() as server:`) before reading its url; "
    "its port is chosen at the first start"
)


class RedisServerMissing(RuntimeError):
    """No ``redis-server`` executable was found."""


def find_redis_server() -> str | None:
    """Path of ``redis-server`` (``$REDIS_SERVER`` first, then ``PATH``, then Debian's)."""
    candidates = [os.environ.get("REDIS_SERVER"), shutil.which("redis-server")]
    candidates.append("/usr/bin/redis-server")
    for path in candidates:
        if path and os.access(path, os.X_OK):
            return path
    return None


def free_port() -> int:
    """A loopback TCP port free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class RedisServer(Started):
    """One ``redis-server`` process; ``port=0`` picks a free port at the first start.

    ``args`` go after ours (``--cluster-enabled yes``, ``--replicaof host port``);
    ``config`` is written to ``redis.conf`` in the server's directory at its first start
    and given first (Sentinel needs a file it can rewrite, and keeps it across restarts).
    Making one does no I/O: nothing is dialled, bound or spawned before ``start()``."""

    def __init__(
        self,
        *,
        port: int = 0,
        unix_socket: bool = False,
        executable: str | None = None,
        startup_timeout: float = 10.0,
        args: Sequence[str] = (),
        config: str | None = None,
    ) -> None:
        self.executable = executable or find_redis_server()
        self.args = tuple(args)
        self.config = config
        self.port = port
        self.unix_socket = unix_socket
        self.startup_timeout = startup_timeout
        self._dir: str | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def socket_path(self) -> str | None:
        return None if self._dir is None or not self.unix_socket else f"{self._dir}/redis.sock"

    @property
    def url(self) -> str:
        """``redis://127.0.0.1:PORT/0``, or ``unix:///tmp/.../redis.sock`` with ``unix_socket``.

        Known once the server was started: before, ``port=0`` has no port yet, and a
        ``redis://127.0.0.1:0`` URL would make redis-py dial its default port, 6379, where
        another Redis (maybe one with data) may listen. So this raises instead."""
        if not self._chosen:
            raise RuntimeError(_NOT_STARTED)
        if self.socket_path is not None:
            return f"unix://{self.socket_path}"
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def _chosen(self) -> bool:
        """True once a port (and, with ``unix_socket``, a socket path) is settled."""
        return self.port != 0 and (self._dir is not None or not self.unix_socket)

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def start(self) -> None:
        """Start (again, on the same port once one was chosen) and wait for ``PING``."""
        if self.running:
            return
        if self.executable is None:
            raise RedisServerMissing(INSTALL_HINT)
        if self._dir is None:
            self._dir = tempfile.mkdtemp(prefix="okta-session-mw-redis-")
        fixed = self.port != 0  # a restart keeps the port its clients know
        for _ in range(1 if fixed else 3):
            if not fixed:
                self.port = free_port()
            if self._launch():
                return
        raise RuntimeError(f"redis-server did not start on port {self.port}: {self.log()[-300:]}")

    def _launch(self) -> bool:
        assert self.executable is not None
        assert self._dir is not None
        args = [self.executable]
        if self.config is not None:
            conf = Path(self._dir, "redis.conf")
            if not conf.exists():
                conf.write_text(self.config)
            args.append(str(conf))
        args += ["--bind", "127.0.0.1", "--port", str(self.port)]
        args += ["--save", "", "--appendonly", "no", "--dir", self._dir]
        args += ["--daemonize", "no", "--loglevel", "warning", "--logfile", "redis.log"]
        if self.socket_path is not None:
            args += ["--unixsocket", self.socket_path, "--unixsocketperm", "700"]
        args += self.args
        self._process = subprocess.Popen(  # noqa: S603 - a fixed executable, our own arguments
            args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                self._process = None
                return False  # most likely the port was taken meanwhile
            if self.ping():
                return True
            time.sleep(0.02)
        self.kill()
        raise RuntimeError(f"redis-server did not answer PING within {self.startup_timeout} s")

    def ping(self, timeout: float = 0.5) -> bool:
        """True when the server answers ``PING`` now (False, dialling nothing, before a start)."""
        if not self._chosen:
            return False
        try:
            if self.socket_path is not None:
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            else:
                sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            with sock:
                sock.settimeout(timeout)
                sock.connect(self.socket_path or ("127.0.0.1", self.port))
                sock.sendall(b"PING\r\n")
                return sock.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def log(self) -> str:
        """What the server logged (warnings and worse)."""
        if self._dir is None:
            return ""
        path = Path(self._dir, "redis.log")
        return path.read_text(errors="replace") if path.exists() else ""

    def kill(self) -> None:
        """SIGKILL, as in a crash: its data is gone (there is no persistence)."""
        self._signal_and_wait(signal.SIGKILL)

    def pause(self) -> None:
        """SIGSTOP: the port stays open but nothing answers (a hung Redis)."""
        if self._process is not None:
            self._process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        if self._process is not None:
            self._process.send_signal(signal.SIGCONT)

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 5 s)."""
        self.resume()
        self._signal_and_wait(signal.SIGTERM)

    def close(self) -> None:
        """Stop the server and remove its directory."""
        self.stop()
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def _signal_and_wait(self, sig: signal.Signals) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(sig)
        if sig is not signal.SIGKILL:
            process.send_signal(signal.SIGCONT)
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            if self._process is not None and self._process.poll() is None:
                self._process.kill()
                self._process.wait(timeout=5)
