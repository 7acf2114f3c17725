"""The cookie names check: the names the middleware forwards to Okta.

The configuration already refuses names that are not valid cookie tokens; what is left
to an operator's eye is whether they are Okta's (Okta sets ``sid`` on Classic Engine
orgs and ``idx`` on Identity Engine ones; any other name is forwarded in vain) and,
worse, whether one is the app's own cookie, which would then be sent to Okta on every
lookup (behaviour 1: only Okta's cookies travel).
"""

from __future__ import annotations

from okta_session_mw.config import OktaSessionConfig
from okta_session_mw.doctor.findings import Finding
from okta_session_mw.web.csrf import csrf_cookie_name

__all__ = ["check_cookie_names"]

_OKTA_NAMES = ("sid", "idx")
_APP_COOKIES = frozenset(
    {"session", "sessionid", "csrftoken", "jsessionid", "phpsessid", "connect.sid", "_csrf"}
)


def check_cookie_names(config: OktaSessionConfig) -> Finding:
    names = config.cookie_names
    shown = ", ".join(names)
    own = {"session", csrf_cookie_name(config).lower()}
    app_cookies = [n for n in names if n.lower() in _APP_COOKIES | own]
    if app_cookies:
        return Finding.fail(
            "cookie_names",
            f"{', '.join(app_cookies)} is an app's own cookie (a framework's session or "
            "CSRF cookie): it would be sent to Okta on every lookup; use sid and/or idx",
        )
    strange = [n for n in names if n not in _OKTA_NAMES]
    if strange:
        return Finding.warn(
            "cookie_names",
            f"{shown}: {', '.join(strange)} is not a cookie Okta sets (sid, idx); "
            "fine only if a proxy renames Okta's cookie to it",
        )
    if len(names) == 1:
        engine = "Classic Engine" if names[0] == "sid" else "Identity Engine"
        return Finding.ok("cookie_names", f"{shown} only (an Okta {engine} org's cookie)")
    return Finding.ok("cookie_names", f"{shown} (Okta's Classic and Identity Engine cookies)")
