"""Where the doctor's configuration comes from: the same place the app reads it.

* the environment (default): ``OktaSessionConfig.from_env()``, the ``OKTA_*`` variables;
* ``--django-settings MODULE``: ``settings.OKTA_SESSION``, read as the Django adapter reads
  it (the ``secret_key`` derived from Django's ``SECRET_KEY`` when not set);
* ``--flask-app MODULE:NAME``: the app's ``OktaSession`` extension's configuration, else its
  ``app.config["OKTA_*"]`` keys (``NAME`` may be an app factory taking no argument).

A configuration that cannot be built is a finding, not a traceback; the raw settings'
secrets are handed to the output's redactor either way.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from okta_session_mw.config import OktaSessionConfig
from okta_session_mw.doctor.output import secrets_of_config, secrets_of_env
from okta_session_mw.errors import ConfigError

__all__ = ["LoadedConfig", "load_config"]


@dataclass(slots=True)
class LoadedConfig:
    source: str
    config: OktaSessionConfig | None = None
    error: str | None = None
    secrets: list[str] = field(default_factory=list)


def load_config(
    *, django_settings: str | None = None, flask_app: str | None = None
) -> LoadedConfig:
    if django_settings is not None:
        return _from_django(django_settings)
    if flask_app is not None:
        return _from_flask(flask_app)
    return _built("environment (OKTA_*)", os.environ, "OKTA_", OktaSessionConfig.from_env)


def _built(source: str, values: Mapping[str, Any], prefix: str, build: Any) -> LoadedConfig:
    loaded = LoadedConfig(source, secrets=secrets_of_env(values, prefix))
    try:
        loaded.config = build()
    except ConfigError as exc:
        loaded.error = str(exc)
        return loaded
    loaded.secrets += secrets_of_config(loaded.config)
    return loaded


def _from_django(module: str) -> LoadedConfig:
    os.environ["DJANGO_SETTINGS_MODULE"] = module
    try:
        import django
        from django.conf import settings

        django.setup()
        values = getattr(settings, "OKTA_SESSION", None)
    except Exception as exc:  # a settings module that fails to load
        return LoadedConfig(
            f"Django settings {module}", error=f"cannot load: {type(exc).__name__}: {exc}"
        )
    source = f"Django settings {module} (OKTA_SESSION)"
    if not isinstance(values, Mapping):
        return LoadedConfig(source, error="settings.OKTA_SESSION is not set (or not a dict)")
    from okta_session_mw.integrations.django.settings import build_config

    return _built(source, values, "", lambda: build_config(values))


def _from_flask(target: str) -> LoadedConfig:
    module_name, _, name = target.partition(":")
    source = f"Flask app {target}"
    try:
        found = getattr(importlib.import_module(module_name), name or "app")
        from flask import Flask

        app = found if isinstance(found, Flask) else found()
    except Exception as exc:  # an app that fails to import or build
        return LoadedConfig(source, error=f"cannot load: {type(exc).__name__}: {exc}")
    from okta_session_mw.integrations.flask import EXTENSION_KEY

    extension = app.extensions.get(EXTENSION_KEY)
    if extension is not None:
        config = extension.service_for(app).config
        return LoadedConfig(
            f"{source} (its OktaSession)", config, secrets=secrets_of_config(config)
        )
    return _built(
        f"{source} (app.config OKTA_*)",
        app.config,
        "OKTA_",
        lambda: OktaSessionConfig.from_mapping(app.config, prefix="OKTA_"),
    )
