"""Where the service's flows run (``engine/colours.py``): one async runner per event loop,
forgotten with its loop."""

from __future__ import annotations

import asyncio
import gc

from okta_session_mw import SessionService
from okta_session_mw.testing import FakeOkta
from tests.support.apps import make_config


def test_i11_02_a_finished_event_loop_leaves_no_runner_behind(okta: FakeOkta) -> None:
    """Each short-lived loop (``asyncio.run``, asgiref's ``async_to_sync``: one loop per
    request) gets its runner and client; when the loop ends, both go (review 2: the
    runner's guard referred to the loop, so its weak key never let the entry go)."""
    service = SessionService(make_config(okta, new_cookie_lookups_per_minute=10_000))
    try:
        for n in range(20):  # a miss each: the lookup needs this loop's runner
            asyncio.run(service.aresolve(f"sid=unknown-{n}"))
        gc.collect()
        kept = len(service._async.loops)
    finally:
        service.close()
    assert kept == 0, f"{kept} finished event loops (each with its runner and client) kept"
