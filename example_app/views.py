"""The pages: home, sign-in, profile, ``/api/me`` and a health check.

Sign-in is the "set the session cookie yourself" path: the form's username and password
go to Okta's ``POST /api/v1/authn`` for a one-time ``sessionToken``, then
``login_with_session_token`` exchanges it (CreateSession) and sets the ``sid`` cookie.
From then on the middleware resolves that cookie on every request, from its cache
for ``cache_ttl`` seconds at a time.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response

from example_app.activity import SeenSession, SessionActivity
from example_app.forms import CSRF_FIELD, form_allowed, safe_next
from example_app.templating import display_name, render
from okta_session_mw import (
    AsyncOktaSessionClient,
    OktaAuthError,
    OktaAuthnIncompleteError,
    OktaRateLimitError,
    OktaSessionError,
    Session,
    SignInThrottledError,
    Source,
    get_resolution,
    login_with_session_token,
    optional_okta_session,
    require_okta_session,
)

__all__ = ["router"]

logger = logging.getLogger("example_app")
router = APIRouter()

ActiveSession = Annotated[Session, Depends(require_okta_session)]
MaybeSession = Annotated[Session | None, Depends(optional_okta_session)]


def _observe(request: Request, session: Session) -> tuple[SeenSession, bool]:
    """Note this sight of ``session``; also whether this request asked Okta for it."""
    from_okta = get_resolution(request).source is Source.MISS
    activity: SessionActivity = request.app.state.activity
    return activity.observe(session, from_okta=from_okta), from_okta


@router.get("/", include_in_schema=False)
async def home(request: Request) -> Response:
    return render(
        request, "home.html", {"signed_out": request.query_params.get("signed_out") == "1"}
    )


@router.get("/login", include_in_schema=False)
async def login_form(request: Request, session: MaybeSession) -> Response:
    next_path = safe_next(request.query_params.get("next"))
    if session is not None:
        return RedirectResponse(next_path, status_code=303)
    return _login_page(request, next_path)


def _login_page(
    request: Request,
    next_path: str,
    *,
    error: str | None = None,
    username: str = "",
    status: int = 200,
) -> Response:
    demo_users = [(u.login, u.password) for u in request.app.state.demo_users]
    context: dict[str, Any] = {
        "next": next_path,
        "error": error,
        "username": username,
        "demo_users": demo_users,
    }
    return render(request, "login.html", context, status=status)


@router.post("/login", include_in_schema=False)
async def login_submit(
    request: Request,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next_field: Annotated[str, Form(alias="next")] = "/profile",
    csrf_token: Annotated[str, Form(alias=CSRF_FIELD)] = "",
) -> Response:
    next_path = safe_next(next_field)
    if not await form_allowed(request, csrf_token):
        return render(
            request,
            "error.html",
            {"title": "Request refused", "message": "This form did not come from this site."},
            status=403,
        )
    username = username.strip()
    if not username or not password:
        return _login_page(
            request,
            next_path,
            error="Enter your username and password.",
            username=username,
            status=400,
        )
    client: AsyncOktaSessionClient = request.app.state.authn_client
    try:
        session_token = await client.authenticate(username, password)
        response = RedirectResponse(next_path, status_code=303)
        session = await login_with_session_token(request, response, session_token)
    except OktaAuthError:
        error, status = "Wrong username or password.", 401
    except OktaAuthnIncompleteError as exc:
        error, status = (
            (
                f"Okta needs another step for this account ({exc}); this example signs in "
                "with a password only."
            ),
            403,
        )
    except SignInThrottledError:  # held back to keep Okta's rate limit for signed-in users
        error, status = "Too many sign-ins right now; try again shortly.", 503
    except OktaRateLimitError:
        error, status = "Okta is rate-limiting sign-ins; try again in a minute.", 429
    except OktaSessionError as exc:
        logger.warning("sign-in failed: %s", type(exc).__name__)
        error, status = "Okta could not be reached; try again shortly.", 502
    else:
        request.app.state.activity.observe(session, from_okta=True)
        return response
    return _login_page(request, next_path, error=error, username=username, status=status)


@router.get("/profile", include_in_schema=False)
async def profile(request: Request, session: ActiveSession) -> Response:
    seen, from_okta = _observe(request, session)
    config = request.app.state.config
    context = {
        "session": session,
        "name": display_name(session),
        "seen": seen,
        "from_okta": from_okta,
        "cache_ttl": config.cache_ttl,
        "refresh_threshold": config.refresh_threshold,
    }
    return render(request, "profile.html", context)


@router.get("/api/me")
async def api_me(request: Request, session: ActiveSession) -> JSONResponse:
    """The session as JSON (401 without one). The session id is left out: it is the
    ``sid`` cookie's value, which the cookie keeps out of reach of scripts (HttpOnly)."""
    seen, from_okta = _observe(request, session)
    body = session.to_okta()
    for private in ("id", "_links"):
        body.pop(private, None)
    body["name"] = display_name(session)
    body["app"] = {
        "servedFrom": "okta" if from_okta else "cache",
        "lastCheckedWithOkta": seen.checked_at.isoformat() if seen.checked_at else None,
        "lastRefreshed": seen.refreshed_at.isoformat() if seen.refreshed_at else None,
    }
    return JSONResponse(body, headers={"cache-control": "no-store"})


@router.get("/healthz", include_in_schema=False)
async def healthz() -> PlainTextResponse:
    return PlainTextResponse("ok")
