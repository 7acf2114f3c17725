"""The Okta Event Hook views (behaviour 15): translation only.

``event_hook_view`` answers Okta's verification ``GET`` and its ``POST`` deliveries:
``web/event_hook.py`` decides (the secret header ``EVENT_HOOK_HEADER``, one of
``EVENT_HOOK_SECRETS``; the size bound; the verification answer) and the service ends
what a delivery names in the cache. The adapter's URLconf serves it at
``event-hook`` (``include`` it under ``okta/``: ``/okta/event-hook``, the default
``EVENT_HOOK_PATH``; reverse it as ``okta_session:event_hook``), or mount either view
at a path of your own and set ``EVENT_HOOK_PATH`` to it: while ``EVENT_HOOK_SECRETS``
is set, ``manage.py check`` warns (``okta_session.W003``) when the URLconf does not
send ``EVENT_HOOK_PATH`` to one of them. Give Okta that URL.

Both views are exempt from ``CsrfViewMiddleware``: the secret header authenticates
every call, and Okta has no CSRF cookie. Without the secret, 401; under WSGI that
answer comes before the body is read, but under ASGI Django reads the whole body
before any view runs (bounded by nothing of ours), so there only the parsing is
spared.

``event_hook_view`` is sync: it serves WSGI and ASGI projects alike (Django runs it
in a thread under ASGI). ``aevent_hook_view`` is the same view for ASGI projects that
want no thread hop (``path("okta/event-hook", aevent_hook_view)``); under WSGI it
falls back to the sync one.
"""

from __future__ import annotations

from typing import Any, Final

from asgiref.sync import sync_to_async
from django.http import HttpRequest, HttpResponseBase

from okta_session_mw.engine.service import SessionService
from okta_session_mw.web.event_hook import read_bounded
from okta_session_mw.web.reply import Reply

from .debug import service_filter
from .middleware import on_server_loop
from .responses import render_reply
from .service import get_service

__all__ = ["EVENT_HOOK_VIEW_MARK", "aevent_hook_view", "event_hook_view"]

EVENT_HOOK_VIEW_MARK: Final = "okta_session_event_hook"
"""The attribute both views carry: the system check finds them at ``EVENT_HOOK_PATH``."""


def _screen(service: SessionService, request: HttpRequest) -> Reply | None:
    """The answer due before the body is read (or None: read it)."""
    if not hasattr(request, "exception_reporter_filter"):  # no OktaSessionMiddleware
        report_filter = service_filter(service)  # error pages hide the secret header
        if report_filter is not None:
            target: Any = request  # Django's request takes new attributes; its stubs say not
            target.exception_reporter_filter = report_filter
    length = request.META.get("CONTENT_LENGTH") or None  # a WSGI server may set it empty
    return service.event_hook.screen(request.method or "GET", request.headers, length)


def event_hook_view(request: HttpRequest) -> HttpResponseBase:
    """GET: Okta's one-time verification; POST: a delivery, whose events' sessions and
    users are ended in the cache (every worker's, with Redis). 401 without the secret."""
    service = get_service()
    early = _screen(service, request)
    if early is not None:  # refused, or the verification: the body is never read
        return render_reply(early)
    return render_reply(service.end_pushed(read_bounded(request.read)))


async def aevent_hook_view(request: HttpRequest) -> HttpResponseBase:
    """``event_hook_view`` as an async view (ASGI projects: no thread for the cache)."""
    if not on_server_loop(request):  # an async view under WSGI: the sync path, in a thread
        return await sync_to_async(event_hook_view)(request)
    service = get_service()
    early = _screen(service, request)
    if early is not None:
        return render_reply(early)
    body = read_bounded(request.read)  # under ASGI Django has read it already: no I/O waits here
    return render_reply(await service.aend_pushed(body))


# Django's own decorator is not async-aware before Django 5.0; the flag is all it sets.
event_hook_view.csrf_exempt = True  # type: ignore[attr-defined]
aevent_hook_view.csrf_exempt = True  # type: ignore[attr-defined]
setattr(event_hook_view, EVENT_HOOK_VIEW_MARK, True)
setattr(aevent_hook_view, EVENT_HOOK_VIEW_MARK, True)
