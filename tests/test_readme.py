"""Every ```python block of the README runs, as written, against the fake Okta.

Each block is executed in a fresh namespace with ``OKTA_ORG_URL`` (and ``OKTA_API_TOKEN``,
``OKTA_SECRET_KEY``) naming a fake Okta served on loopback, the way a reader would set
them. A block whose section this module knows is then driven through its framework's
test client; any other block must at least run. A block that adds to a file of yours
(Django's ``settings.py`` and ``urls.py``) gets that file's names (``INSTALLED_APPS``...)
as they stand before it.
"""

from __future__ import annotations

import asyncio
import importlib.util
import re
import secrets
import sys
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import django_project
import pytest
from starlette.testclient import TestClient

from okta_session_mw import OktaSessionConfig
from okta_session_mw.testing import FakeOkta, serve_fake_okta

django_project.configure()

ROOT = Path(__file__).resolve().parents[1]
LOGIN = "ada@example.com"
_FENCE = re.compile(r"^```python\n(.*?)^```$", re.DOTALL | re.MULTILINE)
_HEADING = re.compile(r"^## (.+)$", re.MULTILINE)


def readme_blocks() -> list[tuple[str, str]]:
    """``(section heading, code)`` for each python block, in README order."""
    text = (ROOT / "README.md").read_text()
    blocks = []
    for match in _FENCE.finditer(text):
        headings = _HEADING.findall(text, 0, match.start())
        blocks.append((headings[-1] if headings else "", match[1]))
    return blocks


def _block_id(index: int, heading: str) -> str:
    words = heading.lower().split(" (")[0].split(": the")[0]
    return f"{index}-{re.sub(r'[^a-z0-9]+', '-', words).strip('-')}"


BLOCKS = readme_blocks()


def section_blocks(prefix: str) -> list[str]:
    """The code of every block under the section whose heading starts with ``prefix``."""
    found = [code for heading, code in BLOCKS if heading.startswith(prefix)]
    assert found, f"the README has no python block under '## {prefix}...'"
    return found


def run(code: str, **names: Any) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "readme_snippet", **names}
    exec(compile(code, "README.md", "exec"), namespace)
    return namespace


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOkta]:
    okta = FakeOkta(api_token="readme-token")
    okta.add_user(LOGIN, "pw", first_name="Ada", last_name="Lovelace")
    with serve_fake_okta(okta) as base_url:
        monkeypatch.setenv("OKTA_ORG_URL", base_url)
        monkeypatch.setenv("OKTA_API_TOKEN", "readme-token")
        monkeypatch.setenv("OKTA_SECRET_KEY", secrets.token_urlsafe(32))
        yield okta


@pytest.fixture
def myapp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> types.ModuleType:
    """The Starlette quickstart saved as ``myapp.py``, importable as ``myapp``."""
    (tmp_path / "myapp.py").write_text(section_blocks("Quickstart: Starlette")[0])
    monkeypatch.syspath_prepend(str(tmp_path))
    spec = importlib.util.spec_from_file_location("myapp", tmp_path / "myapp.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "myapp", module)
    spec.loader.exec_module(module)
    return module


def me_calls(fake: FakeOkta) -> int:
    return len(fake.calls_to("GET", "/api/v1/sessions/me"))


# -- what each known section's blocks must do once run ---------------------------------------


def check_starlette(fake: FakeOkta, myapp: types.ModuleType) -> None:
    cookie = {"cookie": fake.cookie_header(fake.create_session(LOGIN))}
    for app in (myapp.create_app(), myapp.create_app(OktaSessionConfig(org_url=fake.base_url))):
        with TestClient(app, base_url="http://127.0.0.1") as client:
            assert client.get("/profile").status_code == 401
            assert client.get("/profile", headers=cookie).json() == {"login": LOGIN}
    with TestClient(myapp.create_app(), base_url="http://127.0.0.1") as client:
        out = client.post("/logout", headers={**cookie, "origin": "http://127.0.0.1"})
        assert out.status_code == 204
    assert fake.sessions == []


def check_fastapi(fake: FakeOkta) -> None:
    (code,) = section_blocks("Quickstart: FastAPI")
    namespace = run(code)
    cookie = {"cookie": fake.cookie_header(fake.create_session(LOGIN))}
    with TestClient(namespace["app"], base_url="http://127.0.0.1") as client:
        assert client.get("/api/me").status_code == 401
        assert client.get("/api/me", headers=cookie).json() == {"login": LOGIN}
    assert namespace["api_only"].redirect is False


def check_fastapi_docs(fake: FakeOkta) -> None:
    (code,) = section_blocks("FastAPI's `/docs`")
    app = run(code)["app"]
    schema = app.openapi()
    assert schema["paths"]["/api/orders"]["get"]["security"] == [{"okta_sid": []}, {"okta_idx": []}]
    assert "security" not in schema["paths"]["/health"]["get"]
    assert schema["components"]["securitySchemes"]["okta_sid"]["in"] == "cookie"
    cookie = {"cookie": fake.cookie_header(fake.create_session(LOGIN))}
    with TestClient(app, base_url="http://127.0.0.1") as client:
        assert client.get("/api/orders").status_code == 401
        assert client.get("/api/orders", headers=cookie).json() == {"login": LOGIN}


def check_litestar(fake: FakeOkta, monkeypatch: pytest.MonkeyPatch) -> None:
    from litestar.testing import TestClient as LitestarTestClient

    (code,) = section_blocks("Litestar")
    module = types.ModuleType("myapp")  # saved as myapp.py: Litestar reads its handlers' module
    monkeypatch.setitem(sys.modules, "myapp", module)
    exec(compile(code, "README.md", "exec"), module.__dict__)
    sid = fake.create_session(LOGIN)
    cookie = {"cookie": fake.cookie_header(sid)}
    base = "http://127.0.0.1"
    with LitestarTestClient(app=module.app, base_url=base) as client:
        assert client.get("/profile").status_code == 401
        browser = client.get("/profile", headers={"accept": "text/html"}, follow_redirects=False)
        assert browser.headers["location"] == "/login?next=%2Fprofile"
        assert client.get("/profile", headers=cookie).json() == {"login": LOGIN}
        assert client.post("/logout", headers={**cookie, "origin": base}).status_code == 204
    assert fake.session(sid) is None


def check_quart(fake: FakeOkta) -> None:
    (code,) = section_blocks("Quart")
    app = run(code)["app"]
    sid = fake.create_session(LOGIN)
    cookie = {"cookie": fake.cookie_header(sid)}

    async def drive() -> None:
        async with app.test_app() as test_app:
            client = test_app.test_client()
            assert (await client.get("/profile")).status_code == 401
            response = await client.get("/profile", headers=cookie)
            assert await response.get_json() == {"login": LOGIN}
            out = await client.post("/logout", headers={**cookie, "origin": "http://localhost"})
            assert out.status_code == 204

    asyncio.run(drive())
    assert fake.session(sid) is None


def check_flask(fake: FakeOkta) -> None:
    (code,) = section_blocks("Quickstart: Flask")
    namespace = run(code)
    cookie = fake.cookie_header(fake.create_session(LOGIN))
    client = namespace["app"].test_client(use_cookies=False)  # the Cookie header as given
    try:
        assert client.get("/profile").status_code == 401
        assert client.get("/profile", headers={"Cookie": cookie}).get_json() == {"login": LOGIN}
    finally:
        namespace["okta"].close()


def check_django(fake: FakeOkta, settings: Any) -> None:
    from django.test import Client

    from okta_session_mw.integrations.django import reset_service

    settings_code, urls_code, views_code = section_blocks("Quickstart: Django")
    ours = ("okta_session_mw.integrations.django",)
    installed = [a for a in settings.INSTALLED_APPS if not a.startswith(ours)]
    middleware = [m for m in settings.MIDDLEWARE if not m.startswith(ours)]
    added = run(settings_code, INSTALLED_APPS=installed, MIDDLEWARE=middleware)
    assert added["INSTALLED_APPS"] == list(settings.INSTALLED_APPS)  # the suite's own project
    assert added["OKTA_SESSION"]["ORG_URL"] == fake.base_url
    views = run(views_code)
    urls = types.ModuleType("readme_urls")
    from django.urls import path

    urls.urlpatterns = [  # type: ignore[attr-defined]
        *run(urls_code, urlpatterns=[])["urlpatterns"],
        path("profile/", views["profile"]),
    ]
    sys.modules["readme_urls"] = urls
    try:
        settings.MIDDLEWARE = added["MIDDLEWARE"]
        settings.OKTA_SESSION = added["OKTA_SESSION"]
        settings.ROOT_URLCONF = "readme_urls"
        reset_service()
        client = Client()
        assert client.get("/profile/").status_code == 401
        sid = fake.create_session(LOGIN)
        client.cookies["sid"] = sid
        assert client.get("/profile/").json() == {"login": LOGIN}
        out = client.post("/okta/logout/", headers={"Origin": "http://testserver"})
        assert out.status_code == 204
        assert fake.session(sid) is None
    finally:
        reset_service()
        del sys.modules["readme_urls"]


STARTPROJECT_MIDDLEWARE = [  # what `django-admin startproject` writes, with the quickstart's
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "okta_session_mw.integrations.django.OktaSessionMiddleware",
]


def check_django_auth(fake: FakeOkta, settings: Any) -> None:
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import path

    from okta_session_mw.integrations.django import reset_service

    settings_code, views_code, backend_code = section_blocks("Django: `request.user`")
    okta_settings = {"ORG_URL": fake.base_url}
    added = run(settings_code, MIDDLEWARE=list(STARTPROJECT_MIDDLEWARE), OKTA_SESSION=okta_settings)
    backends = types.ModuleType("readme_backends")
    exec(compile(backend_code, "README.md", "exec"), vars(backends))
    urls = types.ModuleType("readme_urls")
    urls.urlpatterns = [path("whoami/", run(views_code)["whoami"])]  # type: ignore[attr-defined]
    sys.modules["readme_urls"], sys.modules["readme_backends"] = urls, backends
    try:
        settings.MIDDLEWARE = added["MIDDLEWARE"]
        settings.AUTHENTICATION_BACKENDS = added["AUTHENTICATION_BACKENDS"]
        settings.OKTA_SESSION = added["OKTA_SESSION"]
        settings.ROOT_URLCONF = "readme_urls"
        reset_service()
        client = Client()
        assert client.get("/whoami/").status_code == 302  # to settings.LOGIN_URL
        client.cookies["sid"] = sid = fake.create_session(LOGIN)
        assert client.get("/whoami/").json() == {"username": LOGIN}  # created: CREATE_USERS
        fake.revoke(sid)
        reset_service()  # forget the cached answer: the next request asks Okta
        assert client.get("/whoami/").status_code == 302
        get_user_model().objects.all().delete()
        settings.AUTHENTICATION_BACKENDS = ["readme_backends.OktaBackend"]
        client.cookies["sid"] = fake.create_session(LOGIN)
        assert client.get("/whoami/").json() == {"username": LOGIN}  # created again
        assert get_user_model().objects.get().email == LOGIN  # by the subclass's hook
    finally:
        reset_service()
        del sys.modules["readme_urls"], sys.modules["readme_backends"]


def check_flask_login(fake: FakeOkta) -> None:
    (code,) = section_blocks("Flask-Login")
    namespace = run(code)
    client = namespace["app"].test_client()
    try:
        assert client.get("/profile", headers={"Accept": "application/json"}).status_code == 401
        client.set_cookie("sid", sid := fake.create_session(LOGIN))
        assert client.get("/profile").get_json() == {"login": LOGIN}
        assert client.post("/logout", headers={"Origin": "http://localhost"}).status_code == 204
        assert fake.session(sid) is None
        assert client.get("/profile", headers={"Accept": "application/json"}).status_code == 401
    finally:
        namespace["okta"].close()


def check_redis(fake: FakeOkta) -> None:
    (code,) = section_blocks("Many workers")
    config = run(code)["config"]  # builds the config only: nothing dials redis.internal
    assert config.cache_url == "redis://redis.internal:6379/0"
    assert config.cache_prefix == "myapp:okta:"


def check_client(fake: FakeOkta) -> None:
    (code,) = section_blocks("The client")
    namespace = run(code)
    sid = fake.create_session(LOGIN)
    session = asyncio.run(namespace["current_session"](fake.cookie_header(sid)))
    assert session.login == LOGIN
    namespace["end_session"](sid)
    assert fake.session(sid) is None


def check_testing(fake: FakeOkta, myapp: types.ModuleType) -> None:
    (code,) = section_blocks("Testing your app")
    tests = {name: f for name, f in run(code).items() if name.startswith("test_")}
    assert tests, "the testing example defines no test"
    for test in tests.values():
        test()


def check_observability(fake: FakeOkta) -> None:
    from prometheus_client import REGISTRY

    (code,) = section_blocks("Observability")
    namespace = run(code)
    service = namespace["service"]
    cookie = fake.cookie_header(fake.create_session(LOGIN))
    before = REGISTRY.get_sample_value("okta_session_events_total", {"name": "resolve.miss"})
    try:
        assert service.resolve(cookie).session.login == LOGIN
        assert service.resolve(cookie).session.login == LOGIN
    finally:
        service.close()
    misses = REGISTRY.get_sample_value("okta_session_events_total", {"name": "resolve.miss"})
    assert (misses or 0) - (before or 0) == 1
    assert REGISTRY.get_sample_value("okta_session_events_total", {"name": "resolve.hit"})
    assert service.stats.snapshot()["resolve.hit"] >= 1


def check_opentelemetry(fake: FakeOkta) -> None:
    (code,) = section_blocks("OpenTelemetry")
    namespace = run(code)
    service, spans, reader = namespace["service"], namespace["spans"], namespace["reader"]
    cookie = fake.cookie_header(fake.create_session(LOGIN))
    try:
        assert service.resolve(cookie).session.login == LOGIN
        assert service.resolve(cookie).session.login == LOGIN
        metrics = {
            metric.name: {tuple(p.attributes.values()): p for p in metric.data.data_points}
            for resource in reader.get_metrics_data().resource_metrics
            for scope in resource.scope_metrics
            for metric in scope.metrics
        }
    finally:
        namespace["telemetry"].uninstrument()
        service.close()
    [span] = spans.get_finished_spans()
    assert span.name == "GET /api/v1/sessions/me"
    lookups = metrics["okta_session_mw.session.lookups"]
    assert (lookups[("miss",)].value, lookups[("hit",)].value) == (1, 1)
    [duration] = metrics["http.client.request.duration"].values()
    assert duration.count == 1


CHECKS: dict[str, Callable[..., None]] = {
    "Quickstart: Starlette": check_starlette,
    "Quickstart: FastAPI": check_fastapi,
    "FastAPI's `/docs`": check_fastapi_docs,
    "Litestar": check_litestar,
    "Quart": check_quart,
    "Quickstart: Flask": check_flask,
    "Quickstart: Django": check_django,
    "Django: `request.user`": check_django_auth,
    "Flask-Login": check_flask_login,
    "Many workers": check_redis,
    "The client": check_client,
    "Testing your app": check_testing,
    "Observability": check_observability,
    "OpenTelemetry": check_opentelemetry,
}


def _check_for(heading: str) -> Callable[..., None] | None:
    return next((c for prefix, c in CHECKS.items() if heading.startswith(prefix)), None)


SECTIONS = list(dict.fromkeys(heading for heading, _ in BLOCKS))


NEEDS_DATABASE = ("Django: `request.user`",)
"""Sections whose check uses Django's database (its users and sessions)."""


def _section_param(index: int, heading: str) -> Any:
    marks = [pytest.mark.django_db] if heading.startswith(NEEDS_DATABASE) else []
    return pytest.param(heading, id=_block_id(index, heading), marks=marks)


@pytest.mark.parametrize("heading", [_section_param(i, h) for i, h in enumerate(SECTIONS)])
def test_i10_21_readme_python_blocks_run_as_written(
    heading: str, fake: FakeOkta, request: pytest.FixtureRequest
) -> None:
    """A known section's blocks run together and drive what they built, as a reader
    would put them together; a section this module does not know must at least run."""
    check = _check_for(heading)
    if check is None:
        for code in section_blocks(heading):
            run(code)
        return
    wanted = check.__code__.co_varnames[: check.__code__.co_argcount]
    check(*(fake if name == "fake" else request.getfixturevalue(name) for name in wanted))


def test_i10_21_every_known_section_still_has_its_blocks() -> None:
    """A renamed section would make its check silently vanish; this says so instead."""
    for prefix in CHECKS:
        assert any(h.startswith(prefix) for h in SECTIONS), prefix
