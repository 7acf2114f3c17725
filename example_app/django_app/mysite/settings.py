"""Settings of the Django quickstart. Run it with::

    cd example_app/django_app
    OKTA_ORG_URL=https://example.okta.com OKTA_API_TOKEN=... python manage.py runserver

Only the last three blocks are about okta-session-mw; the rest is a bare Django project
(no database: the Okta session is the login).
"""

from __future__ import annotations

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "django-insecure-quickstart-only-change-me")
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
ALLOWED_HOSTS = ["localhost", "127.0.0.1"]
ROOT_URLCONF = "mysite.urls"
WSGI_APPLICATION = "mysite.wsgi.application"
DATABASES: dict[str, dict[str, str]] = {}
USE_TZ = True
TIME_ZONE = "UTC"

INSTALLED_APPS = [
    "okta_session_mw.integrations.django",  # `manage.py check` reports bad OKTA_SESSION
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "okta_session_mw.integrations.django.OktaSessionMiddleware",  # request.okta_session
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                # okta_logout_csrf_token and okta_csrf_field for the logout form
                "okta_session_mw.integrations.django.context_processors.okta_session",
            ],
        },
    },
]

# Any OktaSessionConfig field, in upper case (CACHE_TTL, EXEMPT_PATHS, CACHE_URL, ...).
OKTA_SESSION = {
    "ORG_URL": os.environ.get("OKTA_ORG_URL", ""),
    "API_TOKEN": os.environ.get("OKTA_API_TOKEN"),  # only for the login page (CreateSession)
    "LOGIN_URL": "/login/",
}
