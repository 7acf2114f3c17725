"""The parse threads work in a forked child too (``engine/parse_threads.py``; review 2).

``_PARSERS`` was a ``ThreadPoolExecutor`` made at import. In a process forked after the
pool has run a parse (gunicorn ``--preload``, a ``multiprocessing`` fork worker), the
child inherits an executor whose threads do not exist and whose idle semaphore says they
do: no thread is ever started, and every large answer in the child times out ("no
thread free to read Okta's answer"), for the life of the child.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from okta_session_mw.testing import FakeOkta

_CHILD = textwrap.dedent(
    """
    import asyncio, os, sys, time
    from okta_session_mw import SessionService
    from okta_session_mw.testing import FakeOkta, serve_fake_okta
    from tests.support.apps import make_config
    from tests.support.okta_users import API_TOKEN, LOGIN, PASSWORD

    fake = FakeOkta(api_token=API_TOKEN)
    fake.add_user(LOGIN, PASSWORD)
    with serve_fake_okta(fake):
        sid = fake.create_session(LOGIN)
        # a valid session padded with a large unknown member: parsed on a parse thread
        import json, httpx
        me = fake.base_url + "/api/v1/sessions/me"
        body = httpx.get(me, headers={"Cookie": f"sid={sid}"}).json()
        body["padding"] = "x" * 70_000
        fake.inject(body=json.dumps(body).encode(), path_prefix="/api/v1/sessions/me")

        async def one(label):
            service = SessionService(make_config(fake, timeout=1.0))
            started = time.monotonic()
            resolution = await service.aresolve(f"sid={sid}")
            await service.aclose()
            return resolution.session is not None, time.monotonic() - started

        print("parent", asyncio.run(one("parent")), flush=True)
        pid = os.fork()
        if pid == 0:
            ok, took = asyncio.run(one("child"))
            print("child", ok, round(took, 2), flush=True)
            os._exit(0 if ok else 3)
        _, status = os.waitpid(pid, 0)
        sys.exit(os.waitstatus_to_exitcode(status))
    """
)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork only")
def test_i11_02_the_parse_threads_work_in_a_forked_child() -> None:
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    done = subprocess.run(
        [sys.executable, "-c", _CHILD],
        cwd=root,
        env={**os.environ, "PYTHONPATH": root},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, (
        "a large answer in a forked child never got a parse thread:\n"
        + done.stdout
        + done.stderr[-800:]
    )


async def test_i11_02_a_large_answer_is_read_in_the_requests_context(okta: FakeOkta) -> None:
    """The flow's step after PARSE (parsing, then counting the call) runs on a parse
    thread, but in the request's context: a stats hook or log filter that reads a
    context variable sees the request's value there as on the loop (review 2)."""
    import contextvars
    import json

    import httpx

    from okta_session_mw import SessionService
    from okta_session_mw.engine.stats import SessionStats
    from tests.support.apps import make_config
    from tests.support.okta_users import LOGIN

    request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
    seen: dict[str, str] = {}
    stats = SessionStats(on_event=lambda name, _: seen.setdefault(name, request_id.get()))
    sid = okta.create_session(LOGIN)
    assert okta.base_url is not None
    body = httpx.get(okta.base_url + "/api/v1/sessions/me", headers={"Cookie": f"sid={sid}"})
    padded = {**body.json(), "padding": "x" * 70_000}  # over 64 KiB: read on a parse thread
    okta.inject(body=json.dumps(padded).encode(), path_prefix="/api/v1/sessions/me")
    service = SessionService(make_config(okta), stats=stats)
    request_id.set("req-42")
    try:
        assert (await service.aresolve(f"sid={sid}")).session is not None
    finally:
        await service.aclose()
    assert seen["okta_call.get_current_session"] == "req-42"
