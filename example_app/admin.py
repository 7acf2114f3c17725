"""The admin page, mounted only when the app runs on the fake Okta.

Only a signed-in administrator (``demo.DEMO_ADMINS``: Ada) may open it; anonymous
visitors are sent to sign-in and other users get 403. It lists the fake org's live
sessions and revokes one with ``SessionService.arevoke``: RevokeSession through the admin
API (the ``api_token``), then the middleware's cache entry for that session is evicted,
so its browser is sent to sign-in on its next request instead of when the cache entry
would have expired. It also shows what reached the fake Okta, which is how you can see
the cache at work.

Its other buttons act at the fake Okta itself, not through the app (``admin_okta.py``):
the app then hears of the end only through Okta's Event Hook, whose deliveries the page
lists (``okta_hook.py`` registers the hook, on the page's first use).

A session id *is* the ``sid`` cookie's value: whoever reads one can use it. So the page
never carries one, not even in a hidden field. Each session is shown by a fingerprint
and revoked by a handle, both a keyed HMAC of the id (keyed with the app's
``secret_key``): they tell rows apart but cannot be turned back into an id.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from example_app.demo import DEMO_ADMINS
from example_app.forms import CSRF_FIELD, form_allowed
from example_app.okta_hook import delivery_rows
from example_app.templating import render
from okta_session_mw import (
    OktaSessionConfig,
    OktaSessionError,
    Session,
    get_service,
    require_okta_session,
)
from okta_session_mw.testing import FakeOkta, FakeSession, FakeUser, RecordedCall

__all__ = ["FINGERPRINT_LENGTH", "router", "session_fingerprint", "session_handle"]

logger = logging.getLogger("example_app")
router = APIRouter(prefix="/admin")

RECENT_CALLS = 15
FINGERPRINT_LENGTH = 8
"""Hex digits of the handle shown on the page (32 bits: enough to tell rows apart)."""
_SESSION_PATH = re.compile(r"^(/api/v1/sessions/)([^/]+)(.*)$")
_NOTICES = {
    "revoked": "Session revoked at Okta and evicted from the middleware's cache.",
    "gone": "That session had already ended.",
    "ended": "Session ended at Okta. Okta's event hook told the app (see the deliveries), "
    "so its browser is signed out on its next page.",
    "cleared": "The user's sessions were cleared at Okta; the event hook told the app.",
    "suspended": "User suspended at Okta: their sessions ended, and the event hook told the app.",
    "pending": "Done at Okta, but the event hook's delivery has not been answered yet.",
    "unhooked": "Done at Okta, but no event hook is registered (see below): the app sees "
    "the end only when its cache entry expires.",
    "undelivered": "Done at Okta, but the app refused or missed the event hook's delivery "
    "(see below): it sees the end only when its cache entry expires.",
    "none": "Nothing to end: no live session, or the user is not active (or is an admin).",
}
_REFUSED = {"title": "Request refused", "message": "This form did not come from this site."}
_NOT_ADMIN = {
    "title": "Administrators only",
    "message": "The admin page is for the demo's administrator: " + ", ".join(sorted(DEMO_ADMINS)),
}


def session_handle(config: OktaSessionConfig, session_id: str) -> str:
    """An opaque, stable name for ``session_id`` on this app: HMAC-SHA256 keyed with the
    app's ``secret_key``. The revoke form sends it back instead of the id."""
    message = b"example-admin-session:" + session_id.encode()
    return hmac.new(config.secret_key_bytes, message, hashlib.sha256).hexdigest()


def session_fingerprint(config: OktaSessionConfig, session_id: str) -> str:
    """What the page shows of a session id: the first digits of its handle."""
    return session_handle(config, session_id)[:FINGERPRINT_LENGTH]


AdminSession = Annotated[Session, Depends(require_okta_session)]


def _refusal(request: Request, session: Session) -> Response | None:
    """403 unless ``session`` is an administrator's."""
    if session.login in DEMO_ADMINS:
        return None
    return render(request, "error.html", _NOT_ADMIN, status=403)


def _call_row(config: OktaSessionConfig, call: RecordedCall) -> dict[str, Any]:
    match = _SESSION_PATH.match(call.path)
    path = call.path
    if match and match[2] != "me":
        path = f"{match[1]}#{session_fingerprint(config, match[2])}{match[3]}"
    return {"method": call.method, "path": path, "status": call.status}


def fake_okta(request: Request) -> FakeOkta:
    fake: FakeOkta | None = request.app.state.fake
    assert fake is not None, "the admin router is mounted only on the fake"
    return fake


def _session_row(config: OktaSessionConfig, live: FakeSession, current: Session) -> dict[str, Any]:
    return {
        "session": live,
        "handle": session_handle(config, live.id),
        "fingerprint": session_fingerprint(config, live.id),
        "this_browser": live.id == current.id,
    }


def _user_row(user: FakeUser, sessions: list[FakeSession]) -> dict[str, Any]:
    return {
        "user": user,
        "sessions": sum(1 for s in sessions if s.user_id == user.id),
        "admin": user.login in DEMO_ADMINS,
    }


@router.get("", include_in_schema=False)
async def admin_page(request: Request, current: AdminSession) -> Response:
    if (refused := _refusal(request, current)) is not None:
        return refused
    config: OktaSessionConfig = request.app.state.config
    fake = fake_okta(request)
    sessions = sorted(fake.sessions, key=lambda s: s.created_at, reverse=True)
    calls = fake.calls
    hook = await request.app.state.okta_hook.ensure(request)
    stats = get_service(request).stats.snapshot()
    context = {
        "users": [_user_row(u, sessions) for u in fake.users],
        "hook": hook,
        "deliveries": delivery_rows(fake),
        "sessions": [_session_row(config, s, current) for s in sessions],
        "calls": [_call_row(config, c) for c in reversed(calls[-RECENT_CALLS:])],
        "total_calls": len(calls),
        "stats": {
            "Cache hits": stats.get("resolve.hit", 0),
            "Lookups at Okta": stats.get("okta_call.get_current_session", 0),
            "Refreshes": stats.get("okta_call.refresh_current_session", 0),
            "Stale answers served": stats.get("resolve.stale", 0),
        },
        "notice": _NOTICES.get(request.query_params.get("notice", "")),
        "error": request.query_params.get("error") == "1",
    }
    return render(request, "admin.html", context)


async def refuse_admin_form(request: Request, csrf_token: str) -> Response | None:
    """What to answer instead of acting on an admin form, if anything: 403 for a form from
    elsewhere or a user who is not an administrator (anonymous: ``require_okta_session``
    sends a browser to sign-in, anything else gets 401)."""
    if not await form_allowed(request, csrf_token):
        return render(request, "error.html", _REFUSED, status=403)
    return _refusal(request, require_okta_session(request))


def live_session_id(request: Request, handle: str) -> str | None:
    """The id of the live session whose handle a form sent, if any (compared in constant
    time: the handle stands for a secret)."""
    config: OktaSessionConfig = request.app.state.config
    return next(
        (
            s.id
            for s in fake_okta(request).sessions
            if hmac.compare_digest(session_handle(config, s.id).encode(), handle.encode())
        ),
        None,
    )


@router.post("/revoke", include_in_schema=False)
async def revoke(
    request: Request,
    handle: Annotated[str, Form(alias="session")] = "",
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "",
) -> Response:
    """Revoke the live session whose handle the form sent (the id never leaves the app)."""
    if (refused := await refuse_admin_form(request, csrf_token)) is not None:
        return refused
    current = require_okta_session(request)
    session_id = live_session_id(request, handle)
    if session_id is None:
        return RedirectResponse("/admin?notice=gone", status_code=303)
    try:
        found = await get_service(request).arevoke(session_id)
    except OktaSessionError as exc:
        logger.warning("revoke failed: %s", type(exc).__name__)
        return RedirectResponse("/admin?error=1", status_code=303)
    request.app.state.activity.forget(session_id)
    if current is not None and session_id == current.id:  # your own: you are signed out now
        return RedirectResponse("/?signed_out=1", status_code=303)
    return RedirectResponse(f"/admin?notice={'revoked' if found else 'gone'}", status_code=303)
