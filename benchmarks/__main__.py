"""``python -m benchmarks``: run every measurement in one process and print one table.

``--quick`` uses tiny sizes (the smoke test and CI use it: it checks that the code runs,
its figures mean little); ``--only NAME`` runs one section (repeatable);
``--markdown`` prints the table for the README.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from benchmarks import (
    asgi_overhead,
    flood,
    instructions,
    memory,
    miss_path,
    push_revocation,
    refresh_ahead,
    served_instructions,
    uvicorn_load,
    wsgi_instructions,
    wsgi_overhead,
)
from benchmarks.table import Row, Section, render
from okta_session_mw import __version__

__all__ = ["SECTIONS", "main", "run_sections"]


@dataclass(frozen=True, slots=True)
class Benchmark:
    run: Callable[..., Section | list[Section]]
    full: dict[str, Any]
    quick: dict[str, Any]


def _redis_workers(**kwargs: Any) -> Section:
    """``redis_workers.run`` (Okta calls per session with 1-8 workers), if Redis is here."""
    if shutil.which("redis-server") is None:
        title = "Okta calls per session per minute, in-process cache vs Redis"
        return Section(title, [Row("Redis", "not available: redis-server is not installed")])
    from benchmarks import redis_workers

    return redis_workers.run(**kwargs)


def _cluster_gate(**kwargs: Any) -> Section:
    """``cluster_gate.run`` (a 429 and the concurrency cap over 8 workers), if Redis is here."""
    if shutil.which("redis-server") is None:
        title = "Okta's budget across workers (429 and the concurrency cap)"
        return Section(title, [Row("Redis", "not available: redis-server is not installed")])
    from benchmarks import cluster_gate

    return cluster_gate.run(**kwargs)


PUSH_QUICK: dict[str, Any] = {
    "workers": (1, 2), "sessions": 20, "ends": 5, "steady": 0.5, "spacing": 0.02,
    "handler_rounds": {1: 5, 50: 1},
}  # fmt: skip
"""``push``'s ``--quick`` sizes (the full run: 1 and 4 workers, 1,000 sessions, 100 ends)."""

SECTIONS: dict[str, Benchmark] = {
    "asgi": Benchmark(
        asgi_overhead.run, {"iterations": 20_000, "rounds": 5}, {"iterations": 300, "rounds": 2}
    ),
    "callgrind": Benchmark(instructions.run, {"iterations": 1_000}, {"iterations": 20}),
    "uvicorn": Benchmark(
        uvicorn_load.run, {"seconds": 4, "rounds": 5}, {"seconds": 0.5, "rounds": 1, "warm_up": 20}
    ),
    "served_callgrind": Benchmark(
        served_instructions.run, {"requests": 1_000}, {"requests": 10, "warm_up": 5}
    ),
    "miss": Benchmark(miss_path.run, {}, {"requests": 100, "cookies": 10, "concurrency": 10}),
    "memory": Benchmark(memory.run, {"sizes": (1_000, 10_000, 100_000)}, {"sizes": (200, 1_000)}),
    "wsgi": Benchmark(
        wsgi_overhead.run, {"iterations": 10_000, "rounds": 5}, {"iterations": 200, "rounds": 2}
    ),
    "wsgi_callgrind": Benchmark(wsgi_instructions.run, {"iterations": 1_000}, {"iterations": 20}),
    "flood": Benchmark(flood.run, {}, {"limit": 40, "cached": 4, "flood": 100}),
    "redis": Benchmark(
        _redis_workers, {}, {"workers": (1, 2), "sessions": 5, "seconds": 2.0, "ttl": 1.0}
    ),
    "push": Benchmark(push_revocation.run, {}, PUSH_QUICK),
    "cluster_gate": Benchmark(
        _cluster_gate, {}, {"workers": 3, "cookies": 3, "burst": 30, "latency": 0.01}
    ),
    "refresh_ahead": Benchmark(
        refresh_ahead.run,
        {},
        {"seconds": 1.0, "ttl": 0.5, "cookies": 5, "concurrency": 4, "workers": 2},
    ),
}


def run_sections(
    names: list[str], *, quick: bool, overrides: dict[str, dict[str, Any]] | None = None
) -> list[Section]:
    """Run the named benchmarks in order; ``overrides`` adds keyword arguments per name."""
    sections: list[Section] = []
    for name in names:
        bench = SECTIONS[name]
        kwargs = {**(bench.quick if quick else bench.full), **(overrides or {}).get(name, {})}
        started = time.perf_counter()
        print(f"running {name} ...", file=sys.stderr, flush=True)
        result = bench.run(**kwargs)
        print(f"  {name}: {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
        sections.extend(result if isinstance(result, list) else [result])
    return sections


def _machine() -> str:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"okta-session-mw {__version__}, Python {platform.python_version()}, "
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, "
        f"load average {load}"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tiny sizes: checks, not figures")
    parser.add_argument(
        "--only", action="append", choices=list(SECTIONS), metavar="NAME",
        help=f"run only this section (repeatable): {', '.join(SECTIONS)}",
    )  # fmt: skip
    parser.add_argument(
        "--load-tool", choices=("auto", "wrk", "httpx"), default="auto",
        help="load generator for the uvicorn section (default: wrk when installed)",
    )  # fmt: skip
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args(argv)
    names = args.only or list(SECTIONS)
    header = _machine()
    sections = run_sections(
        names, quick=args.quick, overrides={"uvicorn": {"tool": args.load_tool}}
    )
    command = "python -m benchmarks " + " ".join(argv if argv is not None else sys.argv[1:])
    print(f"{command.strip()}\n{header}; at the end: {_machine().rsplit(', ', 1)[-1]}")
    if args.quick:
        print("--quick: tiny sizes, to check the code runs; these figures mean little")
    print(render(sections, markdown=args.markdown))


if __name__ == "__main__":
    main()
