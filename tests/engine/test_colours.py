"""Where the service's flows run (``engine/colours.py``): one async runner per event loop,
forgotten with its loop."""

from __future__ import annotations

import asyncio
import gc

import httpx

from okta_session_mw import SessionService
from okta_session_mw.testing import FakeOkta
from tests.support.apps import make_config
from tests.support.okta_users import LOGIN


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


async def test_i11_02_a_logout_whose_request_is_cancelled_still_evicts(okta: FakeOkta) -> None:
    """A logout or revoke runs in a task of its own: when the request is cancelled while
    CloseCurrentSession is in flight (Django's ASGI handler cancels a view whose client
    went away, as timeout middleware does), Okta still closes the session and the cache
    no longer serves it (behaviour 13; review 2)."""
    assert okta.base_url is not None
    sid = okta.create_session(LOGIN)
    service = SessionService(make_config(okta, timeout=2.0))
    try:
        assert (await service.aresolve(f"sid={sid}")).session is not None  # cached
        okta.inject(latency=0.3, path_prefix="/api/v1/sessions/me", times=1)
        logging_out = asyncio.ensure_future(service.alogout(f"sid={sid}"))
        await asyncio.sleep(0.15)  # the DELETE is on its way to Okta
        logging_out.cancel()  # the browser went away: the server cancels the view
        await asyncio.gather(logging_out, return_exceptions=True)
        await asyncio.sleep(0.4)  # Okta has closed the session by now
        async with httpx.AsyncClient() as http:
            me = await http.get(
                okta.base_url + "/api/v1/sessions/me", headers={"Cookie": f"sid={sid}"}
            )
        assert me.status_code == 404  # ended at Okta
        after = await service.aresolve(f"sid={sid}")
    finally:
        await service.aclose()
    assert after.session is None, (
        f"the session Okta closed is still served ({after.source.value}) after its "
        "logout was cancelled mid-call"
    )
