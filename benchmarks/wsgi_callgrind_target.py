"""What ``wsgi_instructions.py`` runs under callgrind: the Flask and Django variants.

``python -m benchmarks.wsgi_callgrind_target N`` builds the variants of ``flask_apps.py``
and ``django_apps.py`` (the hit variants' session fetched from a served fake Okta), warms
each up (its first call is the hit variant's one miss), then runs each for ``N``
requests, calling ``time.sleep(0)`` before each and after the last, as
``callgrind_target.py`` does. It prints the keys run (``flask:bare``, ...), as JSON.
"""

from __future__ import annotations

import json
import sys
import time

from benchmarks.okta_fixture import API_TOKEN, served_okta
from benchmarks.wsgi_call import WsgiVariant, call_wsgi, time_wsgi, wsgi_environ

__all__ = ["main"]


def _run(prefix: str, variants: list[WsgiVariant], n: int, keys: list[str]) -> None:
    for variant in variants:
        for _ in range(2):
            call_wsgi(variant.app, wsgi_environ(variant.cookie))
        time_wsgi(variant.app, wsgi_environ(variant.cookie), 50)
    for variant in variants:
        time.sleep(0)  # callgrind dumps here: the previous part ends
        time_wsgi(variant.app, wsgi_environ(variant.cookie), n)
        keys.append(f"{prefix}:{variant.key}")
    time.sleep(0)  # the last loop ends here, before the next framework's set-up


def main(argv: list[str] | None = None) -> list[str]:
    n = int((argv if argv is not None else sys.argv[1:])[0])
    from benchmarks.django_apps import django_settings, django_variants
    from benchmarks.flask_apps import flask_variants

    keys: list[str] = []
    with served_okta() as okta:
        variants, close = flask_variants(okta.config(), okta.new_session_cookie())
        try:
            _run("flask", variants, n, keys)
        finally:
            close()
        settings = {"ORG_URL": okta.base_url, "API_TOKEN": API_TOKEN, "CACHE_TTL": 3600.0}
        with django_settings(settings):
            _run("django", django_variants(okta.new_session_cookie()), n, keys)
    print(json.dumps(keys), flush=True)
    return keys


if __name__ == "__main__":
    main()
