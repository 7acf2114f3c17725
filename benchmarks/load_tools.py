"""Drive a served app with a load generator in another process: ``wrk``, else ``httpx_load``.

Both give a ``LoadResult``. ``wrk`` (Debian's package) is preferred: it is C and costs
the server little CPU; the fallback is this package's ``httpx_load`` in a separate
Python process. Both send the browser request of ``browser_request.py``.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from benchmarks.browser_request import wrk_header_args

__all__ = ["REPO_ROOT", "LoadResult", "run_load", "tool_name"]

REPO_ROOT = Path(__file__).resolve().parent.parent

_UNITS = {"us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0}


@dataclass(frozen=True, slots=True)
class LoadResult:
    requests: int
    errors: int
    rps: float
    p50: float
    p99: float


def tool_name(tool: str = "auto") -> str:
    """``"wrk"`` when asked for or available, else ``"httpx"``."""
    if tool == "auto":
        return "wrk" if shutil.which("wrk") else "httpx"
    if tool not in ("wrk", "httpx"):
        raise ValueError(f"unknown load tool {tool!r}")
    return tool


def run_load(tool: str, url: str, cookie: str, *, connections: int, seconds: float) -> LoadResult:
    """Load ``url`` for ``seconds`` with ``connections`` keep-alive connections (``wrk``
    counts whole seconds: at least one)."""
    if tool == "wrk":
        return _wrk(url, cookie, connections=connections, seconds=seconds)
    command = [
        sys.executable, "-m", "benchmarks.httpx_load", url,
        "--cookie", cookie, "--connections", str(connections), "--seconds", str(seconds),
    ]  # fmt: skip
    done = subprocess.run(
        command, cwd=REPO_ROOT, capture_output=True, text=True, check=True, timeout=seconds + 60
    )
    data = json.loads(done.stdout.strip().splitlines()[-1])
    return LoadResult(
        int(data["requests"]), int(data["errors"]), data["rps"], data["p50"], data["p99"]
    )


def _wrk(url: str, cookie: str, *, connections: int, seconds: float) -> LoadResult:
    seconds = max(1, round(seconds))
    command = [
        "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency",
        *wrk_header_args(cookie), url,
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds + 60)
    return parse_wrk(done.stdout)


def parse_wrk(output: str) -> LoadResult:
    """Read requests, errors, requests/s and the 50th/99th percentiles from wrk's report."""
    latency = {
        pct: float(value) * _UNITS[unit]
        for pct, value, unit in re.findall(r"^\s*(50|99)%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.M)
    }
    requests = re.search(r"^\s*(\d+) requests in", output, re.M)
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.M)
    if requests is None or rps is None or set(latency) != {"50", "99"}:
        raise RuntimeError(f"could not read wrk's report:\n{output}")
    errors = sum(int(n) for n in re.findall(r"(?:connect|read|write|timeout) (\d+)", output))
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors += int(non_2xx.group(1)) if non_2xx else 0
    return LoadResult(
        int(requests.group(1)), errors, float(rps.group(1)), latency["50"], latency["99"]
    )
