"""Attacks on ``request.user`` from the Okta session (issue 15.1 with 15.4): Django's
own ``SECRET_KEY`` rotation, through Django's test client against the fake Okta.

Django rotates ``SECRET_KEY`` with ``SECRET_KEY_FALLBACKS`` and keeps every login
(the session's auth hash is checked against each fallback, the key cycled, the data
kept). The Okta binding in the
Django session is ``salted_hmac`` under the current ``SECRET_KEY`` only, so after a
rotation no stored binding matches: the middleware logs every Okta user out and in
again, and ``auth.logout`` flushes the Django session, losing what the app kept there.
"""

from __future__ import annotations

import django_project
import pytest
from django.test import Client
from pytest_django.fixtures import Settings as SettingsWrapper

from okta_session_mw.testing import FakeOkta
from okta_session_mw.testing.pytest_plugin import DEMO_LOGIN
from tests.integrations.django.test_django_auth import _user, _who, site  # noqa: F401

django_project.configure()

pytestmark = pytest.mark.django_db


def test_attack_50_rotating_djangos_secret_key_flushes_every_okta_users_session(
    site: FakeOkta,  # noqa: F811
    settings: SettingsWrapper,
) -> None:
    _user()
    client = Client()
    client.cookies["sid"] = site.create_session(DEMO_LOGIN)
    assert _who(client)["authenticated"]
    session = client.session
    session["cart"] = "three books"
    session.save()
    old = settings.SECRET_KEY
    settings.SECRET_KEY = "rotated-" + old  # Django's documented rotation
    settings.SECRET_KEY_FALLBACKS = [old]
    assert _who(client)["authenticated"]
    assert client.session.get("cart") == "three books", "the Django session was flushed"
