"""What ``instructions.py`` runs under callgrind: each ASGI variant, ``n`` requests.

``python -m benchmarks.callgrind_target N`` sets up the variants of ``asgi_apps.py``
(the hit variant's session fetched from a served fake Okta), checks and warms each up
(``asgi_overhead.prepare``: an access-token variant that accepts a bad token stops it),
then runs each for ``N`` requests. Before each variant, and once at the end, it calls
``time.sleep(0)``: callgrind, started with ``--dump-before=time_sleep``, writes its
counters there, so dump ``k + 2`` holds variant ``k`` alone. It prints the variants' keys
(a JSON list), in the order run.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from benchmarks.asgi_apps import asgi_variants, starlette_session_cookie
from benchmarks.asgi_overhead import prepare, time_batch
from benchmarks.jwt_apps import make_tokens
from benchmarks.okta_fixture import served_okta
from okta_session_mw import SessionService

__all__ = ["main"]


def main(argv: list[str] | None = None) -> list[str]:
    n = int((argv if argv is not None else sys.argv[1:])[0])
    tokens = make_tokens()
    with served_okta() as okta:
        service = SessionService(okta.config())
        loop = asyncio.new_event_loop()
        try:
            variants = asgi_variants(
                service,
                okta.new_session_cookie(),
                loop.run_until_complete(starlette_session_cookie()),
                tokens,
            )
            loop.run_until_complete(prepare(variants, tokens))  # RuntimeError: not measured
            for variant in variants:
                loop.run_until_complete(time_batch(variant.app, variant.scope(), 50))
            for variant in variants:
                time.sleep(0)  # callgrind dumps here: the previous part ends
                loop.run_until_complete(time_batch(variant.app, variant.scope(), n))
            time.sleep(0)
        finally:
            loop.run_until_complete(service.aclose())
            loop.close()
    keys = [v.key for v in variants]
    print(json.dumps(keys), flush=True)
    return keys


if __name__ == "__main__":
    main()
