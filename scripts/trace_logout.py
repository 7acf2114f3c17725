"""How much of the library one logout runs: files and functions entered (a profile hook).

``python scripts/trace_logout.py`` serves the fake Okta on loopback, signs a browser in
through a Starlette app with the middleware and ``logout_route``, lets one request cache
its session, then traces one ``POST /logout`` (the browser's own, CSRF token included)
and prints the library's files and functions it entered, with their counts. The figures
are the ones issue 11's closing note compares before and after the engine's redesign.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections import Counter
from pathlib import Path

# This checkout's package, whatever the virtualenv's editable install points at.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from okta_session_mw import (
    OktaSessionConfig,
    OktaSessionMiddleware,
    logout_csrf_token,
    logout_route,
)
from okta_session_mw.testing import FakeOkta, serve_fake_okta

ROOT = Path(__file__).resolve().parent.parent
OURS = (str(ROOT / "okta_session_mw"), str(ROOT / "integrations"))


def _ours(filename: str) -> str | None:
    real = os.path.realpath(filename)
    for top in OURS:
        if real.startswith(top + os.sep):
            return os.path.relpath(real, ROOT)
    return None


async def _main() -> None:
    fake = FakeOkta(api_token="t")
    fake.add_user("ada@example.com", "pw")
    session_id = fake.create_session("ada@example.com")
    with serve_fake_okta(fake) as base_url:
        config = OktaSessionConfig(org_url=base_url, secret_key="k" * 32, api_token="t")

        async def token(request: Request) -> PlainTextResponse:
            return PlainTextResponse(logout_csrf_token(request))

        app = Starlette(routes=[Route("/token", token), logout_route(config)])
        asgi = OktaSessionMiddleware(app, config=config)
        transport = httpx.ASGITransport(app=asgi)
        cookies = {"sid": session_id}
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as web:
            csrf = (await web.get("/token", cookies=cookies)).text  # caches the session
            entered: Counter[tuple[str, str]] = Counter()

            def hook(frame, event, arg):  # type: ignore[no-untyped-def]
                if event == "call":
                    where = _ours(frame.f_code.co_filename)
                    if where is not None:
                        entered[(where, frame.f_code.co_qualname)] += 1

            sys.setprofile(hook)
            try:
                reply = await web.post(
                    "/logout",
                    cookies=cookies,
                    data={"csrf_token": csrf},
                    headers={"origin": "http://testserver"},
                )
            finally:
                sys.setprofile(None)
    assert reply.status_code in (204, 303), reply.status_code
    assert fake.session(session_id) is None or not fake.session(session_id).active
    files = sorted({where for where, _ in entered})
    plain = [n for _, n in entered if not n.endswith(("<genexpr>", "<listcomp>", "<lambda>"))]
    print(
        f"one logout (HTTP {reply.status_code}): {len(files)} files, {len(entered)} functions"
        f" ({len(plain)} without comprehensions and lambdas)"
    )
    for where in files:
        names = sorted(name for w, name in entered if w == where)
        print(f"  {where}: {', '.join(names)}")


if __name__ == "__main__":
    asyncio.run(_main())
