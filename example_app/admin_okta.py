"""The admin page's actions *at the fake Okta*, as an admin in Okta's console would act.

Unlike the page's "Revoke" (``SessionService.arevoke``, through this app), these call the
fake Okta directly: end one session (``fake.revoke``), clear a user's sessions
(``fake.revoke_user_sessions``), suspend a user (``fake.suspend_user``). The app hears of
it only through Okta's Event Hook, which posts the System Log event to this app's
``event_hook_route``; the middleware then ends the cached session at once, so the
browser is signed out on its next page however long ``cache_ttl`` is. Each action waits
(in a worker thread, so the server can take the delivery) until the fake has delivered,
so the page it returns to lists the delivery.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from example_app.admin import fake_okta, live_session_id, refuse_admin_form
from example_app.demo import DEMO_ADMINS
from example_app.forms import CSRF_FIELD
from example_app.okta_hook import DELIVERY_WAIT, HookRegistration
from okta_session_mw import require_okta_session
from okta_session_mw.testing import FakeOkta

__all__ = ["router"]

logger = logging.getLogger("example_app")
router = APIRouter(prefix="/admin/okta")

CsrfField = Annotated[str, Form(alias=CSRF_FIELD)]


async def _act(request: Request, action: Callable[[FakeOkta], bool], notice: str) -> Response:
    """Make sure the hook is registered, do ``action`` at the fake, wait for its deliveries
    and go back to the admin page (``notice`` when ``action`` ended something), or home
    when it ended the admin's own session."""
    fake = fake_okta(request)
    own_session = require_okta_session(request).id
    registration: HookRegistration = request.app.state.okta_hook
    await registration.ensure(request)
    since = fake.now()
    if not action(fake):
        return RedirectResponse("/admin?notice=none", status_code=303)
    try:
        delivered = await run_in_threadpool(fake.wait_for_deliveries, DELIVERY_WAIT)
    except TimeoutError:
        logger.warning("event hook deliveries still pending after %s s", DELIVERY_WAIT)
        notice = "pending"
    else:
        deliveries = [d for d in delivered if d.started_at >= since]
        if not deliveries:
            notice = "unhooked"
        elif not any(delivery.ok for delivery in deliveries):
            notice = "undelivered"
    if fake.session(own_session) is None:  # yours too: you are signed out now
        return RedirectResponse("/?signed_out=1", status_code=303)
    return RedirectResponse(f"/admin?notice={notice}", status_code=303)


@router.post("/end", include_in_schema=False)
async def end_session(
    request: Request,
    handle: Annotated[str, Form(alias="session")] = "",
    csrf_token: CsrfField = "",
) -> Response:
    """End the session whose handle the form sent, at the fake Okta (``user.session.end``)."""
    if (refused := await refuse_admin_form(request, csrf_token)) is not None:
        return refused
    session_id = live_session_id(request, handle)
    if session_id is None:
        return RedirectResponse("/admin?notice=gone", status_code=303)
    request.app.state.activity.forget(session_id)
    return await _act(request, lambda fake: fake.revoke(session_id), "ended")


@router.post("/clear", include_in_schema=False)
async def clear_sessions(
    request: Request, user_id: Annotated[str, Form()] = "", csrf_token: CsrfField = ""
) -> Response:
    """End all of a user's sessions at the fake Okta (``user.session.clear``)."""
    if (refused := await refuse_admin_form(request, csrf_token)) is not None:
        return refused
    return await _act(request, lambda fake: bool(fake.revoke_user_sessions(user_id)), "cleared")


@router.post("/suspend", include_in_schema=False)
async def suspend_user(
    request: Request, user_id: Annotated[str, Form()] = "", csrf_token: CsrfField = ""
) -> Response:
    """Suspend a user at the fake Okta (``user.lifecycle.suspend``): sessions end, sign-in
    is refused until the demo restarts. The demo's administrators cannot be suspended
    (nobody could open this page again)."""
    if (refused := await refuse_admin_form(request, csrf_token)) is not None:
        return refused

    def suspend(fake: FakeOkta) -> bool:
        user = next((u for u in fake.users if u.id == user_id), None)
        if user is None or user.status != "ACTIVE" or user.login in DEMO_ADMINS:
            return False
        fake.suspend_user(user.id)
        return True

    return await _act(request, suspend, "suspended")
