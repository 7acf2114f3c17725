"""A Django project for the Django adapter's tests (settings, views, URLs).

``configure()`` sets Django up from ``settings.py`` with ``settings.configure`` (no
``DJANGO_SETTINGS_MODULE``), so the rest of the suite runs as if Django were absent.
"""

from __future__ import annotations

import django
from django.conf import settings as django_settings


def configure() -> None:
    """Configure Django once per process from this project's settings."""
    if django_settings.configured:
        return
    # (importing the submodule binds `settings` on this package: hence django_settings)
    from . import settings as project

    values = {name: getattr(project, name) for name in dir(project) if name.isupper()}
    django_settings.configure(**values)
    django.setup()
