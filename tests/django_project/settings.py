"""Settings for the Django adapter's tests; test_django.py passes them to ``settings.configure``.

``OKTA_SESSION`` here is a placeholder: each test points ``ORG_URL`` at its fake Okta.
"""

from __future__ import annotations

SECRET_KEY = "tests-only-not-secret-tests-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
ROOT_URLCONF = "django_project.urls"
DATABASES: dict[str, dict[str, str]] = {}
USE_TZ = True
INSTALLED_APPS = ["okta_session_mw.integrations.django"]
MIDDLEWARE = [
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "okta_session_mw.integrations.django.OktaSessionMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "OPTIONS": {
            "context_processors": [
                "okta_session_mw.integrations.django.context_processors.okta_session",
            ],
        },
    },
]
OKTA_SESSION = {"ORG_URL": "https://example.okta.com"}
