"""The fake org most tests use: the API token it accepts and its one user.

The ``okta`` fixture (tests/conftest.py) builds that org; tests sign ``LOGIN`` in with
``PASSWORD`` and give ``API_TOKEN`` to the config (``make_config`` in apps.py does).
"""

from __future__ import annotations

__all__ = ["API_TOKEN", "LOGIN", "PASSWORD"]

API_TOKEN = "00-test-api-token-do-not-log"
LOGIN = "ann@example.com"
PASSWORD = "correct horse"
