"""``@okta_session_required`` for Flask views (sync or async: run through ``ensure_sync``).

It shares the core's deny path (``web.access``): a redirect to login with a safe return
path for a browser, JSON 401 for an API call, 503 while Okta is unreachable. A passing
request reads no proxy but the app once: the service is the pending resolution's, and
a plain view is called as Flask's own ``ensure_sync`` would hand it back (an app that
overrides ``ensure_sync`` still gets every view through it).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection
from inspect import iscoroutinefunction
from typing import Any, TypeVar, cast

from flask import Flask, current_app, request
from werkzeug.local import LocalProxy

from okta_session_mw.okta.session import SessionStatus
from okta_session_mw.web.access import passes, refusal
from okta_session_mw.web.view_guard import session_required

from .per_request import lower_headers, pending_resolution
from .responses import render_reply

__all__ = ["okta_session_required"]

F = TypeVar("F", bound=Callable[..., Any])

_current_app = cast("LocalProxy[Flask]", current_app)._get_current_object
_FLASK_ENSURE_SYNC = Flask.ensure_sync


@session_required
def okta_session_required(view: F, statuses: Collection[SessionStatus] | None) -> F:
    """Protect a view: a browser is redirected to login (with a safe return path), an
    API call gets 401 JSON, 503 while Okta is unreachable. ``statuses`` overrides the
    config's accepted ones (e.g. to let ``MFA_REQUIRED`` through)."""

    is_async = iscoroutinefunction(view)  # asked once, not per request

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        pending = pending_resolution()
        made, config = pending.resolve(), pending.service.config
        if passes(made, config, statuses):  # the usual case: no headers read
            ensure_sync = _current_app().ensure_sync
            if is_async or getattr(ensure_sync, "__func__", None) is not _FLASK_ENSURE_SYNC:
                return ensure_sync(view)(*args, **kwargs)
            return view(*args, **kwargs)  # what Flask's own ensure_sync gives a plain view
        return render_reply(
            refusal(
                made,
                config,
                headers=lower_headers(),
                path=request.script_root + request.path,
                query=request.query_string.decode("latin-1"),
            )
        )

    return cast(F, wrapper)
