"""A fake Okta in its own process, so that it never competes with the app for the GIL.

``python -m benchmarks.serve_okta --sessions 100 --latency 0.005`` serves the fake on a
free loopback port, opens the sessions, and prints one JSON line
``{"base_url": ..., "cookies": [...]}``. Then, for each line ``stats`` on its standard
input, it prints ``{"me_calls": ..., "connections": ...}`` (counted since start); it
exits when its standard input closes. ``RemoteOkta`` is the caller's side.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from types import TracebackType
from typing import Any

from benchmarks.load_tools import REPO_ROOT
from benchmarks.okta_fixture import bench_config, me_calls, served_okta
from okta_session_mw import OktaSessionConfig

__all__ = ["RemoteOkta", "main"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, default=1)
    parser.add_argument("--latency", type=float, default=0.0)
    args = parser.parse_args(argv)
    with served_okta(latency=args.latency) as okta:
        cookies = [okta.new_session_cookie() for _ in range(args.sessions)]
        print(json.dumps({"base_url": okta.base_url, "cookies": cookies}), flush=True)
        for line in sys.stdin:
            if line.strip() == "stats":
                stats = {"me_calls": me_calls(okta.fake), "connections": okta.counter.connections}
                print(json.dumps(stats), flush=True)


class RemoteOkta:
    """Start ``serve_okta`` in a child process; ``stats()`` asks it for its counts."""

    def __init__(self, *, sessions: int, latency: float = 0.0) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "benchmarks.serve_okta",
             "--sessions", str(sessions), "--latency", str(latency)],
            cwd=REPO_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        hello = self._read()
        self.base_url: str = hello["base_url"]
        self.cookies: list[str] = hello["cookies"]

    def _read(self) -> dict[str, Any]:
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            raise RuntimeError("the fake Okta process ended early")
        data: dict[str, Any] = json.loads(line)
        return data

    def stats(self) -> dict[str, int]:
        assert self._process.stdin is not None
        self._process.stdin.write("stats\n")
        self._process.stdin.flush()
        return {k: int(v) for k, v in self._read().items()}

    def config(self, **overrides: Any) -> OktaSessionConfig:
        return bench_config(self.base_url, **overrides)

    def close(self) -> None:
        try:
            self._process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.communicate()

    def __enter__(self) -> RemoteOkta:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


if __name__ == "__main__":
    main()
