"""A ``redis-server`` started in Redis Cluster mode or as a Sentinel, for checks that read
``INFO server``'s ``redis_mode`` (neither holds a usable cache: no slots are assigned,
and the Sentinel watches a primary that does not exist)."""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import redis

from okta_session_mw.testing.redis_server import find_redis_server, free_port

__all__ = ["redis_in_mode"]


@contextlib.contextmanager
def redis_in_mode(mode: str, directory: Path) -> Iterator[str]:
    """``redis://127.0.0.1:PORT`` of a server in ``mode`` ("cluster" or "sentinel")."""
    executable = find_redis_server()
    assert executable is not None, "redis-server is needed"
    port = free_port()
    if mode == "cluster":
        args = [executable, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
        args += ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"]
        # the bus port defaults to port + 10000, past 65535 for a high free port
        args += ["--cluster-port", str(free_port())]
        args += ["--dir", str(directory)]
    else:
        conf = directory / "sentinel.conf"
        conf.write_text(
            f"port {port}\nbind 127.0.0.1\nsentinel monitor nothing 127.0.0.1 {free_port()} 1\n"
        )
        args = [executable, str(conf), "--sentinel"]
    process = subprocess.Popen(args, cwd=directory, stdout=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        _wait_until_it_answers(url, process)
        yield url
    finally:
        process.terminate()
        process.wait(10)


def _wait_until_it_answers(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 10
    while True:
        try:
            with redis.Redis.from_url(url, socket_connect_timeout=0.2) as client:
                client.ping()
                return
        except redis.exceptions.ConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise
            time.sleep(0.02)
