"""Jinja2 set-up and the context every page shares (who is signed in, CSRF token...)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from fastapi.templating import Jinja2Templates
from starlette.requests import Request
from starlette.responses import Response

from okta_session_mw import (
    AuthenticationMethod,
    OktaSessionConfig,
    Session,
    __version__,
    logout_csrf_token,
    optional_okta_session,
)

__all__ = ["AMR_LABELS", "display_name", "render", "templates"]

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")

AMR_LABELS = {
    "pwd": "Password",
    "mfa": "Multi-factor",
    "otp": "One-time code",
    "sms": "SMS",
    "swk": "Software key",
    "hwk": "Hardware key",
    "kba": "Security question",
    "fpt": "Fingerprint",
    "face": "Face",
    "tel": "Phone call",
    "geo": "Location",
    "sc": "Smart card",
}


def utc_time(value: datetime | None) -> str:
    """``2026-11-01 09:30:05 UTC``; the page's script rewrites it in local time."""
    if value is None:
        return "—"
    return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def iso(value: datetime | None) -> str:
    return "" if value is None else value.astimezone(timezone.utc).isoformat()


def duration(seconds: float) -> str:
    """``30 seconds``, ``5 minutes``, ``1.5 hours``: a setting in words."""
    for unit, size in (("hour", 3600), ("minute", 60)):
        if seconds >= size:
            value = round(seconds / size, 1)
            text = f"{value:g}"
            return f"{text} {unit}" + ("" if text == "1" else "s")
    text = f"{round(seconds, 1):g}"
    return f"{text} second" + ("" if text == "1" else "s")


def epoch(value: float) -> datetime:
    return datetime.fromtimestamp(value, timezone.utc)


def amr_label(method: AuthenticationMethod | str) -> str:
    code = method.value if isinstance(method, AuthenticationMethod) else method
    return AMR_LABELS.get(code, code)


templates.env.filters["utc_time"] = utc_time
templates.env.filters["iso"] = iso
templates.env.filters["amr_label"] = amr_label
templates.env.filters["epoch"] = epoch
templates.env.filters["duration"] = duration


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, *, status: int = 200
) -> Response:
    """Render ``name`` with the shared context; pages are never cached by the browser."""
    config: OktaSessionConfig = request.app.state.config
    user = optional_okta_session(request)
    shared: dict[str, Any] = {
        "user": user,
        "display_name": display_name(user),
        "csrf_token": logout_csrf_token(request),
        "logout_path": config.logout_path,
        "on_fake": request.app.state.fake is not None,
        "org_url": config.org_url,
        "version": __version__,
        "path": request.url.path,
    }
    shared.update(context or {})
    response = templates.TemplateResponse(request, name, shared, status_code=status)
    response.headers["cache-control"] = "no-store"
    return response


def display_name(session: Session | None) -> str:
    """The user's name from the session's ``user`` link (Okta sets it), else the login."""
    if session is None:
        return ""
    link = session.links.get("user")
    if link is not None and link.name:
        return link.name
    return session.login or session.user_id or "you"
