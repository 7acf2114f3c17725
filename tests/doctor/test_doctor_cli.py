"""The doctor's command line: where it reads the configuration (the environment, Django
settings, a Flask app), the cookie names check, a configuration that cannot be built,
``--help`` and usage errors; each run as the real command."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.support.doctor_runs import run_doctor
from tests.support.okta_users import API_TOKEN


@pytest.mark.parametrize(
    ("names", "level", "words"),
    [
        ("idx", "OK", "idx only (an Okta Identity Engine org's cookie)"),
        ("sid,idx", "OK", "sid, idx (Okta's Classic and Identity Engine cookies)"),
        ("sid,okta_sid", "WARN", "okta_sid is not a cookie Okta sets"),
        ("sid,sessionid", "FAIL", "sessionid is an app's own cookie"),
        ("csrftoken", "FAIL", "csrftoken is an app's own cookie"),
    ],
)
def test_i15_56_cookie_names_are_okta_s_and_never_the_app_s_own(
    fake_url: str, names: str, level: str, words: str
) -> None:
    run = run_doctor({"OKTA_ORG_URL": fake_url, "OKTA_COOKIE_NAMES": names})
    assert run.level("cookie_names") == level, run.output
    assert words in run.detail("cookie_names")
    assert run.status == (1 if level == "FAIL" else 0)


_FLASK_APP = """
from flask import Flask
from okta_session_mw.integrations.flask import OktaSession

def create_app():
    app = Flask(__name__)
    app.config.update(OKTA_ORG_URL={org!r}, OKTA_API_TOKEN={token!r}, OKTA_COOKIE_NAMES="idx")
    return app

app = create_app()
OktaSession(app)
"""

_DJANGO_SETTINGS = """
SECRET_KEY = "django-secret-key-of-the-doctor-tests"
OKTA_SESSION = {{"ORG_URL": {org!r}, "API_TOKEN": {token!r}, "COOKIE_NAMES": ["idx"]}}
"""


@pytest.mark.parametrize(
    ("module", "args", "source"),
    [
        (_FLASK_APP, ("--flask-app", "doctor_target:app"), "doctor_target:app (its OktaSession)"),
        (_FLASK_APP, ("--flask-app", "doctor_target:create_app"), "(app.config OKTA_*)"),
        (_DJANGO_SETTINGS, ("--django-settings", "doctor_target"), "doctor_target (OKTA_SESSION)"),
    ],
)
def test_i15_57_the_configuration_is_read_where_the_app_reads_it(
    fake_url: str, tmp_path: Path, module: str, args: tuple[str, ...], source: str
) -> None:
    code = textwrap.dedent(module).format(org=fake_url, token=API_TOKEN)
    (tmp_path / "doctor_target.py").write_text(code)
    # the environment says otherwise: the app's own settings must win
    env = {"PYTHONPATH": str(tmp_path), "OKTA_ORG_URL": "https://nowhere.invalid"}
    run = run_doctor(env, *args)
    assert run.status == 0, run.output
    assert source in run.detail("config")
    assert run.detail("org_url").startswith(fake_url)
    assert run.level("api_token") == "OK"  # the token came from the app's settings
    assert run.detail("cookie_names").startswith("idx only")
    assert API_TOKEN not in run.output


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({}, "OKTA_ORG_URL: is required"),
        ({"OKTA_ORG_URL": "http://okta.example.com"}, "OKTA_ORG_URL: must use https"),
        ({"OKTA_SECRET_KEY": "short-secret"}, "OKTA_SECRET_KEY: must be at least 16 characters"),
        ({"OKTA_CACHE_URL": "redis://:pw-never-printed@127.0.0.1:1/0"}, "needs one secret_key"),
    ],
)
def test_i15_58_a_configuration_that_cannot_be_built_is_one_fail_line_without_secrets(
    fake_url: str, env: dict[str, str], words: str
) -> None:
    secrets = {"OKTA_API_TOKEN": API_TOKEN}
    full = {"OKTA_ORG_URL": fake_url, **secrets, **env} if env else dict(secrets)
    run = run_doctor(full)
    assert run.status == 1
    assert list(run.lines()) == ["config"]
    assert run.level("config") == "FAIL"
    assert words in run.detail("config")
    for secret in (API_TOKEN, "short-secret", "pw-never-printed"):
        assert secret not in run.output


def test_i15_59_help_documents_the_exit_status_and_a_usage_error_exits_2() -> None:
    shown = run_doctor({}, "--help")
    assert shown.status == 0
    text = " ".join(shown.stdout.split())
    for words in (
        "--django-settings MODULE",
        "--flask-app MODULE:NAME",
        "--max-skew SECONDS",
        "--strict",
        "Exit status: 0 when no check failed (warnings do not fail unless --strict), "
        "1 when one did, 2 for a usage error",
        "never printed",
    ):
        assert words in text
    wrong = run_doctor({}, "--max-skew", "soon")
    assert wrong.status == 2
    assert "invalid float value" in wrong.stderr
