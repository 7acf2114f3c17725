"""Serve one ASGI variant with uvicorn, in its own process, for the load benchmark.

``python -m benchmarks.serve_variant VARIANT`` starts a fake Okta (for the Okta
variants' one cache miss), then uvicorn on a free loopback port, and prints one JSON
line ``{"port": ..., "cookie": ...}`` once it listens. Each line ``mark`` on its standard
input makes it call ``time.sleep(0)`` (where callgrind, run with
``--dump-before=time_sleep``, writes its counters) and answer ``marked``. When its
standard input closes, it shuts down and prints a last JSON line with the Okta calls the
fake saw and the middleware's counters, so the caller can tell that the load really ran
on cache hits.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import threading
import time

import uvicorn

from benchmarks.asgi_apps import asgi_variants, starlette_session_cookie
from benchmarks.okta_fixture import me_calls, served_okta
from okta_session_mw import SessionService

__all__ = ["main"]


def _announce(server: uvicorn.Server, cookie: str) -> None:
    deadline = time.monotonic() + 120  # slow under valgrind
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1] if server.started else None
    print(json.dumps({"port": port, "cookie": cookie}), flush=True)


def _obey(server: uvicorn.Server) -> None:
    for line in sys.stdin:  # ends once the parent closes our stdin
        if line.strip() == "mark":
            time.sleep(0)
            print("marked", flush=True)
    server.should_exit = True


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("variant")
    args = parser.parse_args(argv)
    with served_okta() as okta:
        service = SessionService(okta.config())
        variants = asgi_variants(
            service, okta.new_session_cookie(), asyncio.run(starlette_session_cookie())
        )
        variant = next(v for v in variants if v.key == args.variant)
        server = uvicorn.Server(
            uvicorn.Config(
                variant.app,
                host="127.0.0.1",
                port=0,
                log_level="warning",
                access_log=False,
                lifespan="on",
            )
        )
        threading.Thread(target=_announce, args=(server, variant.cookie), daemon=True).start()
        threading.Thread(target=_obey, args=(server,), daemon=True).start()
        server.run()
        counts = {k: v for k, v in service.stats.snapshot().items() if k.startswith("resolve.")}
        print(json.dumps({"okta_calls": me_calls(okta.fake), "counts": counts}), flush=True)


if __name__ == "__main__":
    main()
