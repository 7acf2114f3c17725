"""Protected views: ``@okta_session_required`` and ``OktaSessionRequiredMixin``.

Both pick the sync or the async path once (at decoration time, or from the view
class) and share one deny path: ``web.access``'s ``passes`` and ``refusal`` decide (303
to login with a safe return path for a browser, JSON 401 for an API call, 503 while Okta is
unreachable) and ``render_reply`` turns its ``Reply`` into an ``HttpResponse``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection
from typing import Any, TypeVar

from asgiref.sync import iscoroutinefunction
from django.http import HttpRequest, HttpResponseBase
from django.views import View

from okta_session_mw.engine.resolution import Resolution
from okta_session_mw.okta.session import SessionStatus
from okta_session_mw.web.access import passes, refusal
from okta_session_mw.web.view_guard import session_required

from .middleware import aresolution_for, pending_service, resolution_for
from .responses import render_reply

__all__ = ["OktaSessionRequiredMixin", "denial", "okta_session_required"]

F = TypeVar("F", bound=Callable[..., Any])


def denial(
    request: HttpRequest,
    resolution: Resolution,
    statuses: Collection[SessionStatus] | None = None,
) -> HttpResponseBase | None:
    """None if the request may see a protected view, else the response to send instead."""
    config = pending_service(request).config
    if passes(resolution, config, statuses):  # the usual case: no headers read
        return None
    reply = refusal(
        resolution,
        config,
        headers=request.headers,
        path=request.path,  # decoded, SCRIPT_NAME included: the core encodes it once
        query=request.META.get("QUERY_STRING", ""),
    )
    return render_reply(reply)


@session_required
def okta_session_required(view: F, statuses: Collection[SessionStatus] | None) -> F:
    """Let a view run only for an accepted Okta session (sync or async view).

    ``statuses`` overrides ``ACCEPTED_STATUSES`` for this view, e.g.
    ``@okta_session_required(statuses={SessionStatus.ACTIVE, SessionStatus.MFA_REQUIRED})``.
    For a method, use ``method_decorator(okta_session_required)`` or the mixin.
    """
    if iscoroutinefunction(view):

        @functools.wraps(view)
        async def async_view(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            denied = denial(request, await aresolution_for(request), statuses)
            return denied if denied is not None else await view(request, *args, **kwargs)

        return async_view  # type: ignore[return-value]

    @functools.wraps(view)
    def sync_view(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        denied = denial(request, resolution_for(request), statuses)
        return denied if denied is not None else view(request, *args, **kwargs)

    return sync_view  # type: ignore[return-value]


class OktaSessionRequiredMixin(View):
    """Class-based views: put it first, ``class Profile(OktaSessionRequiredMixin, TemplateView)``.

    ``okta_session_statuses`` overrides ``ACCEPTED_STATUSES`` for the view. Works for
    sync and async views alike.
    """

    okta_session_statuses: Collection[SessionStatus] | None = None

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if self.view_is_async:
            return self._adispatch(request, *args, **kwargs)
        denied = denial(request, resolution_for(request), self.okta_session_statuses)
        return denied if denied is not None else super().dispatch(request, *args, **kwargs)

    async def _adispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        resolution = await aresolution_for(request)
        denied = denial(request, resolution, self.okta_session_statuses)
        if denied is not None:
            return denied
        handler: Any = super().dispatch(request, *args, **kwargs)  # a coroutine: async view
        return await handler
