"""The admin page, mounted only when the app runs on the fake Okta.

It lists the fake org's live sessions and revokes one with ``SessionService.arevoke``:
RevokeSession through the admin API (the ``api_token``), then the middleware's cache
entry for that session is evicted, so its browser is sent to sign-in on its next
request instead of when the cache entry would have expired. It also shows what reached
the fake Okta, which is how you can see the cache at work.
"""

from __future__ import annotations

import logging
import re
from typing import Annotated, Any

from fastapi import APIRouter, Form
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from example_app.forms import CSRF_FIELD, form_allowed
from example_app.templating import render
from okta_session_mw import OktaSessionError, get_service, optional_okta_session
from okta_session_mw.testing import FakeOkta, RecordedCall

__all__ = ["router", "short_id"]

logger = logging.getLogger("example_app")
router = APIRouter(prefix="/admin")

RECENT_CALLS = 15
_SESSION_PATH = re.compile(r"^(/api/v1/sessions/)([^/]+)(.*)$")
_NOTICES = {
    "revoked": "Session revoked at Okta and evicted from the middleware's cache.",
    "gone": "That session had already ended.",
}


def short_id(session_id: str) -> str:
    """Enough of an id to tell rows apart; the whole id is the ``sid`` cookie's value."""
    return session_id[:8] + "…" if len(session_id) > 8 else session_id


def _call_row(call: RecordedCall) -> dict[str, Any]:
    match = _SESSION_PATH.match(call.path)
    path = call.path
    if match and match[2] != "me":
        path = match[1] + short_id(match[2]) + match[3]
    return {"method": call.method, "path": path, "status": call.status}


def _fake(request: Request) -> FakeOkta:
    fake: FakeOkta | None = request.app.state.fake
    assert fake is not None, "the admin router is mounted only on the fake"
    return fake


@router.get("", include_in_schema=False)
async def admin_page(request: Request) -> Response:
    fake = _fake(request)
    current = optional_okta_session(request)
    sessions = sorted(fake.sessions, key=lambda s: s.created_at, reverse=True)
    calls = fake.calls
    stats = get_service(request).stats.snapshot()
    context = {
        "sessions": sessions,
        "current_id": current.id if current else None,
        "short_id": short_id,
        "calls": [_call_row(c) for c in reversed(calls[-RECENT_CALLS:])],
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


@router.post("/revoke", include_in_schema=False)
async def revoke(
    request: Request,
    session_id: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "",
) -> Response:
    """Revoke one session; its id travels in the form body, never in a logged URL."""
    if not await form_allowed(request, csrf_token):
        context = {"title": "Request refused", "message": "This form did not come from this site."}
        return render(request, "error.html", context, status=403)
    if not session_id:
        return RedirectResponse("/admin?notice=gone", status_code=303)
    try:
        found = await get_service(request).arevoke(session_id)
    except OktaSessionError as exc:
        logger.warning("revoke failed: %s", type(exc).__name__)
        return RedirectResponse("/admin?error=1", status_code=303)
    request.app.state.activity.forget(session_id)
    return RedirectResponse(f"/admin?notice={'revoked' if found else 'gone'}", status_code=303)
