"""Who may see a protected view, and what everyone else gets: a neutral answer.

The decision (behaviours 6, 7, 8) is made here once, with no framework in it; each
adapter renders the ``Reply`` it returns (``status``, ``headers``, ``body``) in its own
response type. Return paths are same-site relative paths only (no open redirect).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from urllib.parse import quote, urlencode

from okta_session_mw.config import OktaSessionConfig
from okta_session_mw.engine.resolution import Resolution
from okta_session_mw.okta.session import SessionStatus
from okta_session_mw.web.reply import Reply, json_reply

__all__ = [
    "check_access",
    "is_safe_path",
    "passes",
    "refusal",
    "safe_return_path",
    "wants_html",
]

_PATH_SAFE = "/!$&'()*+,;=:@-._~"  # RFC 3986 pchar and "/", unreserved left as they are
_QUERY_SAFE = _PATH_SAFE + "?%"  # a raw query string: its %XX escapes stay


def wants_html(headers: Mapping[str, str]) -> bool:
    """True for a browser navigation, False for an API/XHR/fetch() call.

    ``headers`` has lower-case names. Signals, strongest first: ``X-Requested-With``
    (jQuery-style XHR), ``Sec-Fetch-Mode``/``Sec-Fetch-Dest`` (every current browser:
    ``fetch()`` is ``cors``/``same-origin`` with dest ``empty``, a navigation is
    ``navigate``/``document``), then ``Accept``. Anything unclear is treated as an API
    client: a JSON 401 never loops, a redirect to a login page can.
    """
    if headers.get("x-requested-with", "").lower() == "xmlhttprequest":
        return False
    mode = headers.get("sec-fetch-mode", "").lower()
    if mode:
        return mode == "navigate" or headers.get("sec-fetch-dest", "").lower() in (
            "document",
            "iframe",
        )
    accept = headers.get("accept", "").lower()
    return "text/html" in accept or "application/xhtml+xml" in accept


def is_safe_path(target: str) -> bool:
    """A same-site absolute path: ``/x`` but not ``//host``, ``/\\host`` or ``http:``.

    Printable ASCII only (no space, control character or backslash): it goes into a
    ``Location`` header, which is Latin-1 on the wire, and browsers and proxies disagree
    about what the rest means. Percent-encode anything else.
    """
    return (
        target.startswith("/")
        and not target.startswith("//")
        and target.isascii()
        and target.isprintable()
        and " " not in target
        and "\\" not in target
    )


def safe_return_path(path: str, query: str = "", fallback: str = "/") -> str:
    """The path to come back to after login, or ``fallback`` if it is not safe.

    ``path`` is the decoded request path the frameworks give (``/café``): once it
    passes the same-site test it is percent-encoded again; ``query`` is the raw query
    string (its escapes are kept)."""
    raw = path + ("?" + query if query else "")
    if not raw.startswith("/") or raw.startswith("//") or "\\" in raw or not raw.isprintable():
        return fallback  # judged before encoding: ``%5C`` or ``%0D`` must not sneak through
    target = quote(path, safe=_PATH_SAFE) + ("?" + quote(query, safe=_QUERY_SAFE) if query else "")
    return target if is_safe_path(target) else fallback


def login_redirect_url(config: OktaSessionConfig, return_to: str) -> str:
    sep = "&" if "?" in config.login_url else "?"
    return config.login_url + sep + urlencode({config.login_return_param: return_to})


def passes(
    resolution: Resolution,
    config: OktaSessionConfig,
    statuses: Collection[SessionStatus] | None = None,
) -> bool:
    """True when the request may see a protected view: a session with an accepted
    status. Adapters ask this first; only a refused request needs its headers read."""
    session = resolution.session
    allowed = config.accepted_statuses if statuses is None else statuses
    return session is not None and session.status in allowed


def refusal(
    resolution: Resolution,
    config: OktaSessionConfig,
    *,
    headers: Mapping[str, str],
    path: str,
    query: str = "",
    redirect: bool = True,
) -> Reply:
    """What to answer a request that does not ``pass``: 503 while Okta is unreachable
    with nothing cached (not a login redirect: no redirect loops in an outage), a 303 to
    login for a browser (``redirect=False``: never), else a JSON 401."""
    if resolution.session is None and resolution.unavailable:
        return json_reply(503, "okta_unavailable", "Okta could not be reached; try again shortly.",
                     (("retry-after", "5"),))
    if redirect and wants_html(headers):
        location = login_redirect_url(config, safe_return_path(path, query))
        return Reply(303, (("location", location), ("cache-control", "no-store")), b"")
    return json_reply(401, "okta_session_required", "An active Okta session is required.",
                 (("www-authenticate", 'OktaSession realm="okta"'),))


def check_access(
    resolution: Resolution,
    config: OktaSessionConfig,
    *,
    headers: Mapping[str, str],
    path: str,
    query: str = "",
    statuses: Collection[SessionStatus] | None = None,
    redirect: bool = True,
) -> Reply | None:
    """None when the request may proceed, else the ``Reply`` to send (``passes`` then
    ``refusal``; adapters call the two themselves so a passing request reads no headers).
    A session whose status is not accepted (MFA_REQUIRED by default) counts as none."""
    if passes(resolution, config, statuses):
        return None
    return refusal(resolution, config, headers=headers, path=path, query=query, redirect=redirect)
