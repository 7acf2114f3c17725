"""The same variants under a real server: uvicorn, one worker each, loaded over loopback.

Each variant runs in its own process (``serve_variant.py``) so that no two share a GIL;
the load generator (``load_tools.py``) is another process, sending the browser request
of ``browser_request.py``. The bare app is served twice, by two identical servers, so
the table shows how far two servers that run the same code differ on this machine: the
noise any other ratio lives in. Rounds are interleaved (each round loads every server
once, in a rotated order); each round's figure of a variant is divided by the same
round's bare figure, and the median of those paired ratios is shown, with their range.
After the load, each server reports the Okta calls its fake saw, so the hit variant is
known to have run on cache hits. The issue's target (a hit keeps 0.96x of the bare
app's req/s) is judged by instruction count (``served_instructions.py``); these are
the wall-clock figures beside it.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import select
import statistics
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn

from benchmarks.asgi_apps import LABELS, SERVED
from benchmarks.browser_request import client_headers
from benchmarks.load_tools import REPO_ROOT, LoadResult, run_load, tool_name
from benchmarks.table import Row, Section, ms

__all__ = ["VARIANTS", "run"]

TITLE = "uvicorn + load generator on loopback: requests per second, p99 latency"

VARIANTS = {
    "bare": LABELS["bare"],
    "bare_again": "the same bare app, a second server (noise check)",
    **{key: LABELS[key] for key in SERVED[1:]},
}
"""The servers, by key; ``bare_again`` serves the ``bare`` variant."""


@dataclass
class _Server:
    key: str
    process: subprocess.Popen[str]
    url: str = ""
    cookie: str = ""
    results: list[LoadResult] = field(default_factory=list)
    report: dict[str, Any] = field(default_factory=dict)


def _read_line(process: subprocess.Popen[str], timeout: float) -> str:
    assert process.stdout is not None
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    line = process.stdout.readline() if ready else ""
    if not line:
        raise RuntimeError(f"benchmark server did not start: {process.args!r}")
    return line


@contextlib.contextmanager
def _servers(keys: list[str]) -> Iterator[list[_Server]]:
    servers = [
        _Server(
            key,
            subprocess.Popen(
                [sys.executable, "-m", "benchmarks.serve_variant", key.removesuffix("_again")],
                cwd=REPO_ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            ),
        )
        for key in keys
    ]
    try:
        for server in servers:
            hello = json.loads(_read_line(server.process, 60))
            server.url = f"http://127.0.0.1:{hello['port']}/"
            server.cookie = hello["cookie"]
        yield servers
    finally:
        for server in servers:
            try:
                out, _ = server.process.communicate(timeout=20)  # closes stdin: stop
            except subprocess.TimeoutExpired:
                server.process.kill()
                out, _ = server.process.communicate()
            lines = out.strip().splitlines()
            server.report = json.loads(lines[-1]) if lines else {}


def _warm_up(server: _Server, requests: int) -> None:
    with httpx.Client(headers=client_headers(server.cookie)) as client:
        for _ in range(requests):
            client.get(server.url).raise_for_status()


def run(
    *,
    seconds: float = 5,
    rounds: int = 3,
    connections: int = 50,
    tool: str = "auto",
    warm_up: int = 300,
) -> Section:
    """Load each variant ``rounds`` times for ``seconds``; ``tool``: auto, wrk or httpx.

    ``warm_up`` requests go to each server first (the hit variant's one miss among them).
    """
    tool = tool_name(tool)
    with _servers(list(VARIANTS)) as servers:
        for server in servers:
            _warm_up(server, warm_up)
        for round_ in range(rounds):
            shift = round_ % len(servers)
            for server in servers[shift:] + servers[:shift]:
                server.results.append(
                    run_load(
                        tool, server.url, server.cookie, connections=connections, seconds=seconds
                    )
                )
    section = Section(TITLE, _rows(servers, ratios=tool == "wrk"))
    parser = "httptools" if importlib.util.find_spec("httptools") else "h11"
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"
    by = (
        "Debian's wrk (1 thread)"
        if tool == "wrk"
        else "the httpx fallback in a separate process (wrk not installed: scripts/test "
        "installs Debian's wrk; the Python client saturates before the server, so no ratio "
        "is printed)"
    )
    section.notes.append(
        f"uvicorn {uvicorn.__version__} ({parser}, {loop}), 1 worker per variant; load by {by}, "
        f"{connections} connections, {seconds:g} s x {rounds} rounds interleaved; each "
        "figure is the median over rounds, each ratio the median of the rounds' "
        "variant/bare ratios (their range in brackets); p99 likewise"
    )
    hit = next(s for s in servers if s.key == "okta_hit")
    calls = hit.report.get("okta_calls")
    section.notes.append(
        f"Okta calls seen by the hit variant's fake over its whole life: {calls} "
        f"(1 = the warm-up's miss); its counters: {hit.report.get('counts')}"
    )
    return section


NO_RATIO = "no ratio: the Python load client saturates before the server (install wrk)"


def _ratios(server: _Server, bare: _Server, field: str) -> list[float]:
    """``server``'s figure over the bare server's, round by round (paired)."""
    return [
        getattr(mine, field) / getattr(base, field)
        for mine, base in zip(server.results, bare.results, strict=True)
    ]


def _rows(servers: list[_Server], *, ratios: bool) -> list[Row]:
    """One row per server; ``ratios`` only when a load generator that can load the
    server (wrk) drove it: the Python client's figures are its own limit, not the app's."""
    bare = next(s for s in servers if s.key == "bare")
    rows = []
    for server in servers:
        rps = statistics.median(r.rps for r in server.results)
        p99 = statistics.median(r.p99 for r in server.results)
        errors = sum(r.errors for r in server.results)
        result = f"{rps:,.0f} req/s, p99 {ms(p99)}" + (f", {errors} errors" if errors else "")
        if server.key == "bare":
            rows.append(Row(VARIANTS[server.key], result, "1.00x (baseline)" if ratios else ""))
            continue
        if not ratios:
            rows.append(Row(VARIANTS[server.key], result, NO_RATIO))
            continue
        paired = _ratios(server, bare, "rps")
        share = statistics.median(paired)
        p99_share = statistics.median(_ratios(server, bare, "p99"))
        vs = f"{share:.3f}x req/s ({min(paired):.3f}-{max(paired):.3f}x); p99 {p99_share:.2f}x"
        target = ""
        if server.key == "bare_again":
            spread = max(abs(1 - r) for r in paired)
            target = f"noise: identical servers differ by up to {spread:.1%}"
        elif server.key == "okta_hit":
            target = "at least 0.96x: judged by instructions (served_callgrind)"
        rows.append(Row(VARIANTS[server.key], result, vs, target))
    return rows
