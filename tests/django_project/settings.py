"""Settings for the Django adapter's tests; test_django.py passes them to ``settings.configure``.

``OKTA_SESSION`` here is a placeholder: each test points ``ORG_URL`` at its fake Okta.
"""

from __future__ import annotations

import os
import tempfile

SECRET_KEY = "tests-only-not-secret-tests-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
ROOT_URLCONF = "django_project.urls"
# Django's auth, sessions and admin, for request.user from the Okta session (test_django_auth.py,
# which also sets the MIDDLEWARE and AUTHENTICATION_BACKENDS those tests need).
# The test database is a file, not Django's default shared in-memory one: Django never
# closes an in-memory SQLite connection (closing would drop the data), so each thread
# that served a request (a real server, asgiref's) would leave one to the garbage
# collector, which Python 3.13 reports as a ResourceWarning (an error here).
_TEST_DATABASE = os.path.join(tempfile.gettempdir(), f"okta-session-mw-tests-{os.getpid()}.sqlite3")
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": ":memory:",
        "TEST": {"NAME": _TEST_DATABASE},
    }
}
USE_TZ = True
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "okta_session_mw.integrations.django",  # last: test_readme.py adds it to the rest
]
MIDDLEWARE = [
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "okta_session_mw.integrations.django.OktaSessionMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,  # the admin's templates
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "okta_session_mw.integrations.django.context_processors.okta_session",
            ],
        },
    },
]
OKTA_SESSION = {"ORG_URL": "https://example.okta.com"}
