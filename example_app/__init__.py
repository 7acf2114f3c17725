"""The example app: a small FastAPI site that trusts the browser's Okta session.

Run it with ``scripts/run`` (or ``python -m example_app``): without ``OKTA_ORG_URL`` and
``OKTA_API_TOKEN`` it starts the library's fake Okta on loopback with demo users.
``create_app(config, fake=...)`` builds the app for tests and other hosts.

It uses only okta-session-mw's public API; each file is small enough to read as a
recipe: ``views.py`` (pages, sign-in, ``/api/me``), ``admin.py`` (revoke, fake only),
``admin_okta.py`` (ending sessions at the fake Okta itself), ``okta_hook.py`` (the fake's
event hook to the app's ``event_hook_route``), ``activity.py`` (what the profile page
says about caching and refresh).
"""

from __future__ import annotations

from example_app.app import create_app

__all__ = ["create_app"]
