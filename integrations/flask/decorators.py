"""``@okta_session_required`` for Flask views (sync or async: run through ``ensure_sync``).

It shares the core's deny path (``web.access``): a redirect to login with a safe return
path for a browser, JSON 401 for an API call, 503 while Okta is unreachable.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection
from typing import Any, TypeVar, cast

from flask import current_app, request

from okta_session_mw.okta.session import SessionStatus
from okta_session_mw.web.access import passes, refusal
from okta_session_mw.web.view_guard import session_required

from .per_request import lower_headers, resolution
from .responses import render_reply
from .service import get_service

__all__ = ["okta_session_required"]

F = TypeVar("F", bound=Callable[..., Any])


@session_required
def okta_session_required(view: F, statuses: Collection[SessionStatus] | None) -> F:
    """Protect a view: a browser is redirected to login (with a safe return path), an
    API call gets 401 JSON, 503 while Okta is unreachable. ``statuses`` overrides the
    config's accepted ones (e.g. to let ``MFA_REQUIRED`` through)."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        made, config = resolution(), get_service().config
        if passes(made, config, statuses):  # the usual case: no headers read
            return current_app.ensure_sync(view)(*args, **kwargs)
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
