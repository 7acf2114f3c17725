"""Each ASGI variant served by uvicorn under callgrind: CPU instructions per served request.

Requests per second on a shared two-core machine move by ten per cent from one run to
the next; the instructions a server spends per request do not. Here each variant's
server (``serve_variant.py``) runs under callgrind; a client in this process sends a
warm-up (the hit variant's one miss is in it), the server is told to ``mark``, then
``requests`` requests go over one keep-alive connection, then another ``mark``: the
dump written at the second mark holds exactly those requests (h11 parsing, asyncio,
Starlette, the middleware). At equal instructions per cycle, the requests per second a
variant can serve, relative to the bare app, is ``bare instructions / its instructions``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx

from benchmarks.asgi_apps import LABELS, SERVED
from benchmarks.browser_request import client_headers
from benchmarks.instructions import dump_totals
from benchmarks.load_tools import REPO_ROOT
from benchmarks.table import Row, Section, verdict

__all__ = ["SERVED_TARGET", "run", "served_rows"]

SERVED_TARGET = 0.96
"""Issue 12: a served hit keeps at least this share of the bare app's requests/s."""

TITLE = "uvicorn under callgrind: CPU instructions per served request"


def _ask(process: subprocess.Popen[str], command: str) -> str:
    assert process.stdin is not None
    assert process.stdout is not None
    process.stdin.write(command + "\n")
    process.stdin.flush()
    return process.stdout.readline().strip()


def _served(valgrind: str, key: str, requests: int, warm_up: int, directory: Path) -> float:
    process = subprocess.Popen(
        [valgrind, "--tool=callgrind", "--dump-before=time_sleep", "--dump-instr=no",
         f"--callgrind-out-file={directory}/cg.out",
         sys.executable, "-m", "benchmarks.serve_variant", key],
        cwd=REPO_ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        hello = json.loads(process.stdout.readline())
        url = f"http://127.0.0.1:{hello['port']}/"
        headers = client_headers(hello["cookie"])
        with httpx.Client(headers=headers, timeout=120) as client:
            for _ in range(warm_up):
                client.get(url).raise_for_status()
            _ask(process, "mark")
            for _ in range(requests):
                client.get(url).raise_for_status()
            _ask(process, "mark")
    finally:
        process.communicate(timeout=300)
    totals = dump_totals(directory, "cg.out")
    return totals[max(totals)] / requests  # the dump written at the second mark


def run(*, requests: int = 1_000, warm_up: int = 100) -> Section:
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        return Section(TITLE, [Row("callgrind", "not available: valgrind is not installed")])
    per: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for key in SERVED:
            directory = Path(tmp, key)
            directory.mkdir()
            per[key] = _served(valgrind, key, requests, warm_up, directory)
    return Section(TITLE, served_rows(per), [
        f"uvicorn (1 worker) under valgrind's callgrind, {requests:,} sequential requests "
        "(the browser request of benchmarks/browser_request.py) over one keep-alive "
        "connection from httpx, after a warm-up; the count covers the whole server process; "
        "deterministic, unlike the req/s above. The req/s ratio is bare instructions / the "
        "variant's instructions: the requests/s those counts imply at equal instructions "
        "per cycle",
    ])  # fmt: skip


def served_rows(per: dict[str, float]) -> list[Row]:
    """Instructions per served request of each ``SERVED`` variant, as a req/s ratio."""
    bare = per["bare"]
    rows = [Row(LABELS["bare"], f"{bare:,.0f} instr/req", "1.00x (baseline)")]
    for key in SERVED[1:]:
        share = bare / per[key]
        target = ""
        if key == "okta_hit":
            target = f"at least {SERVED_TARGET:.2f}x bare req/s: {verdict(share >= SERVED_TARGET)}"
        rows.append(
            Row(
                LABELS[key],
                f"{per[key]:,.0f} instr/req ({per[key] - bare:+,.0f})",
                f"req/s at equal IPC: {share:.3f}x",
                target,
            )
        )
    return rows
