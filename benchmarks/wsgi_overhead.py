"""Flask and Django: the hit-path cost of the Okta adapters against their bare apps.

Same method as the ASGI section: direct WSGI calls in a tight loop, variants
interleaved in rounds, the session primed from a served fake Okta first, and no Okta
call allowed while the loops run. An adapter that cannot be imported gets one row
saying why, instead of figures.
"""

from __future__ import annotations

from collections.abc import Callable

from benchmarks.comparison import overhead_rows
from benchmarks.okta_fixture import API_TOKEN, ServedOkta, me_calls, served_okta
from benchmarks.table import Row, Section
from benchmarks.timing import interleaved
from benchmarks.wsgi_call import WsgiVariant, call_wsgi, time_wsgi, wsgi_environ

__all__ = ["WSGI_TARGETS", "run"]

WSGI_TARGETS = {"okta_hit": 0.25}
"""Issue 12: a hit costs at most a quarter of the framework's own session's added cost."""


def _batcher(variant: WsgiVariant) -> Callable[[int], float]:
    template = wsgi_environ(variant.cookie)
    return lambda n: time_wsgi(variant.app, template, n)


def _measure(
    title: str,
    reference: str,
    reference_note: str,
    okta: ServedOkta,
    variants: list[WsgiVariant],
    iterations: int,
    rounds: int,
) -> Section:
    for variant in variants:
        for _ in range(2):  # the first call of the hit variant is its one miss
            status, _, _ = call_wsgi(variant.app, wsgi_environ(variant.cookie))
            if not status.startswith("200"):
                raise RuntimeError(f"{title} {variant.key}: answered {status}")
    calls = me_calls(okta.fake)
    timings = interleaved({v.key: _batcher(v) for v in variants}, iterations, rounds)
    calls = me_calls(okta.fake) - calls
    labels = [(v.key, v.label) for v in variants]
    section = Section(title, overhead_rows(labels, timings, reference, WSGI_TARGETS))
    section.notes.append(
        f"{iterations:,} requests per variant per round, {rounds} rounds interleaved; best "
        f"round shown (median in brackets); Okta calls during the timed loops: {calls}"
        + ("" if calls == 0 else " (NOT all hits: figures suspect)")
    )
    section.notes.append(reference_note)
    return section


SAME_REQUEST = (
    "every variant gets the same browser request (15 headers; analytics, theme, CSRF and the "
    "framework's session cookies beside Okta's sid; benchmarks/browser_request.py)"
)


def _unavailable(title: str, adapter: str, exc: Exception) -> Section:
    return Section(title, [Row(adapter, f"not available: {type(exc).__name__}: {exc}")])


def flask_section(okta: ServedOkta, iterations: int, rounds: int) -> Section:
    title = "Flask, direct WSGI calls: time per request"
    try:
        from benchmarks.flask_apps import flask_variants
    except ImportError as exc:
        return _unavailable(title, "okta_session_mw.integrations.flask.OktaSession", exc)
    variants, close = flask_variants(okta.config(), okta.new_session_cookie())
    try:
        note = (
            "reference: the bare app given a secret_key, so Flask's own signed-cookie session "
            "verifies and decodes the session cookie (the baseline has none: a NullSession); "
            f"{SAME_REQUEST}"
        )
        return _measure(title, "Flask's session", note, okta, variants, iterations, rounds)
    finally:
        close()


def django_section(okta: ServedOkta, iterations: int, rounds: int) -> Section:
    title = "Django, direct WSGI calls: time per request"
    try:
        from benchmarks.django_apps import django_settings, django_variants
        from okta_session_mw.integrations.django import OktaSessionMiddleware  # noqa: F401
    except ImportError as exc:
        return _unavailable(title, "okta_session_mw.integrations.django.OktaSessionMiddleware", exc)
    okta_settings = {"ORG_URL": okta.base_url, "API_TOKEN": API_TOKEN, "CACHE_TTL": 3600.0}
    with django_settings(okta_settings):
        variants = django_variants(okta.new_session_cookie())
        note = (
            "reference: django.contrib.sessions' SessionMiddleware with the signed_cookies "
            f"backend (no database, no cache), the view reading the session; {SAME_REQUEST}"
        )
        return _measure(title, "SessionMiddleware", note, okta, variants, iterations, rounds)


def run(*, iterations: int = 10_000, rounds: int = 5) -> list[Section]:
    with served_okta() as okta:
        return [
            flask_section(okta, iterations, rounds),
            django_section(okta, iterations, rounds),
        ]
