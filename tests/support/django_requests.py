"""What the Django tests send: the Accept header of a browser, the Origin of a same-site
form post, and the fake Okta's lookup path (to count the lookups that reached it)."""

from __future__ import annotations

__all__ = ["API", "HTML", "ME", "REFRESH", "SAME_ORIGIN"]

ME = "/api/v1/sessions/me"
REFRESH = ME + "/lifecycle/refresh"
HTML = {"Accept": "text/html,application/xhtml+xml"}
API = {"Accept": "application/json"}
SAME_ORIGIN = {"Origin": "http://testserver"}
