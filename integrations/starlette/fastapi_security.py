"""FastAPI's OpenAPI declaration of the Okta cookies (issue 15.2): what ``/docs`` shows.

``RequireOktaSession`` (``protect.py``) lists one ``OktaSessionCookie`` per configured
cookie name (``sid``, ``idx``) as sub-dependencies in the signature FastAPI reads, so
``app.openapi()`` names an apiKey-in-cookie scheme for each under
``components.securitySchemes`` and every protected operation's ``security`` lists
them as alternatives (either cookie will do). The schemes only declare: the cookie is
the middleware's to read and check, and the dependency decides on what the
middleware resolved, as without FastAPI.

Imported only when FastAPI reads that signature (``protect.py`` asks for it lazily),
so a Starlette-only app never imports FastAPI.
"""

from __future__ import annotations

import functools
import inspect
import re

from fastapi import Security
from fastapi.openapi.models import APIKey, APIKeyIn
from fastapi.security.base import SecurityBase
from starlette.requests import HTTPConnection

__all__ = ["OktaSessionCookie", "dependency_signature", "scheme_name"]

_NOT_IN_A_COMPONENT_NAME = re.compile(r"[^A-Za-z0-9._-]")
"""OpenAPI's components keys match ``^[a-zA-Z0-9.\\-_]+$``; a cookie name may hold more."""

_DESCRIPTION = (
    "The browser's Okta session cookie `{name}` (`sid`: Okta Classic Engine, `idx`: "
    "Identity Engine), which OktaSessionMiddleware checks against Okta's Session API. "
    "Okta sets it at sign-in when the app shares Okta's host, or the app sets it after "
    "CreateSession; either cookie will do."
)


def scheme_name(cookie_name: str) -> str:
    """The ``components.securitySchemes`` key for ``cookie_name``: ``okta_sid``, ``okta_idx``."""
    return "okta_" + _NOT_IN_A_COMPONENT_NAME.sub("_", cookie_name)


class OktaSessionCookie(SecurityBase):
    """An apiKey-in-cookie scheme for one Okta cookie; it declares and never reads.

    FastAPI's own ``APIKeyCookie`` would read the cookie and refuse on its own terms (a
    401 of its own when it is missing); here the middleware has already read it, and
    the decision (303, 401, 503) is ``RequireOktaSession``'s.
    """

    def __init__(self, cookie_name: str) -> None:
        self.model = APIKey.model_validate(  # by alias: "in" is a Python keyword
            {
                "in": APIKeyIn.cookie,
                "name": cookie_name,
                "description": _DESCRIPTION.format(name=cookie_name),
            }
        )
        self.scheme_name = scheme_name(cookie_name)

    async def __call__(self) -> None:
        """Nothing to give: the session is the dependency's (and the middleware's)."""


@functools.lru_cache(maxsize=64)
def _scheme(cookie_name: str) -> OktaSessionCookie:
    """One scheme object per cookie name, shared by every dependency that names it."""
    return OktaSessionCookie(cookie_name)


@functools.lru_cache(maxsize=64)
def dependency_signature(cookie_names: tuple[str, ...]) -> inspect.Signature:
    """The signature FastAPI reads for ``RequireOktaSession.__call__``: the connection
    (an ``HTTPConnection``, so WebSocket routes work too), then one keyword-only
    sub-dependency per cookie scheme, which FastAPI passes as ``None``."""
    connection = inspect.Parameter(
        "request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=HTTPConnection
    )
    schemes = [
        inspect.Parameter(
            f"_okta_cookie_{index}",
            inspect.Parameter.KEYWORD_ONLY,
            default=Security(_scheme(name)),
            annotation=None,
        )
        for index, name in enumerate(cookie_names)
    ]
    return inspect.Signature([connection, *schemes])
