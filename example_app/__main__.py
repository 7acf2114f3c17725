"""``python -m example_app [--port N]``: run the example on http://127.0.0.1:8000.

Without ``OKTA_ORG_URL`` and ``OKTA_API_TOKEN`` it starts the fake Okta on a free loopback
port, in this process, with the demo users (printed at start), the admin page, and the
fake's event hook pointed at the app (with a secret made for this run). With
both set it uses that real org instead (no fake, no admin page). Any other ``OKTA_*``
setting (``OKTA_CACHE_TTL``, ``OKTA_REFRESH_THRESHOLD``...) applies in both cases.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import socket
import sys
from collections.abc import Mapping, Sequence
from typing import Any

import uvicorn

from example_app.app import create_app
from example_app.demo import DEMO_ADMINS, DEMO_USERS, make_fake_okta, make_hook_secret
from okta_session_mw import ConfigError, OktaSessionConfig
from okta_session_mw.testing import FakeOkta, serve_fake_okta

__all__ = ["app_settings", "demo_settings", "main", "real_org"]

HOST = "127.0.0.1"
DEFAULT_PORT = 8000
PORT_ENV = "EXAMPLE_APP_PORT"

APP_DEFAULTS = {
    "OKTA_EXEMPT_PATHS": "/static,/healthz",
    "OKTA_POST_LOGOUT_REDIRECT": "/?signed_out=1",
}
"""The example's own defaults; the environment overrides them."""


def real_org(environ: Mapping[str, str]) -> bool:
    """True when the environment names a real org; SystemExit when it half does."""
    given = [name for name in ("OKTA_ORG_URL", "OKTA_API_TOKEN") if environ.get(name, "").strip()]
    if len(given) == 1:
        missing = "OKTA_API_TOKEN" if given == ["OKTA_ORG_URL"] else "OKTA_ORG_URL"
        raise SystemExit(
            f"example_app: {given[0]} is set but {missing} is not. Set both to use a real "
            "Okta org (the API token is needed for CreateSession), or neither to use the fake."
        )
    return len(given) == 2


def app_settings(environ: Mapping[str, str], **overrides: Any) -> OktaSessionConfig:
    """The app's config: its defaults, then ``OKTA_*`` from ``environ``, then ``overrides``."""
    return OktaSessionConfig.from_env({**APP_DEFAULTS, **environ}, **overrides)


def demo_settings(
    environ: Mapping[str, str], fake: FakeOkta, **overrides: Any
) -> OktaSessionConfig:
    """The app's config on the served ``fake``: its URL and API token, and a fresh secret
    for its event hook; then ``overrides``."""
    assert fake.base_url is not None, "serve the fake first"
    return app_settings(
        environ,
        **{
            "org_url": fake.base_url,
            "api_token": fake.api_token,
            "event_hook_secrets": (make_hook_secret(),),
            **overrides,
        },
    )


def _port(argv: Sequence[str] | None, environ: Mapping[str, str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m example_app", description=__doc__.split("\n\n")[0] if __doc__ else None
    )
    parser.add_argument(
        "--port",
        type=int,
        default=int(environ.get(PORT_ENV, DEFAULT_PORT)),
        help=f"port on {HOST} (default {DEFAULT_PORT}, or ${PORT_ENV})",
    )
    port: int = parser.parse_args(argv).port
    if not 0 < port < 65536:
        parser.error(f"--port must be between 1 and 65535, got {port}")
    return port


def _check_port_free(port: int) -> None:
    with socket.socket() as probe:
        try:
            probe.bind((HOST, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise SystemExit(
                    f"example_app: port {port} is in use; pass --port {port + 1} "
                    f"(or set {PORT_ENV})"
                ) from None
            raise


def _serve(config: OktaSessionConfig, port: int, fake: FakeOkta | None = None) -> None:
    app = create_app(config, fake=fake)
    server = uvicorn.Server(uvicorn.Config(app, host=HOST, port=port, log_level="info"))
    server.run()


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    env = dict(os.environ if environ is None else environ)
    port = _port(argv, env)
    _check_port_free(port)
    url = f"http://{HOST}:{port}"
    try:
        if real_org(env):
            config = app_settings(env)
            print(f"Acme Portal (okta-session-mw example) on your Okta org {config.org_url}")
            print(f"  Open:  {url}   (sign in with a password-only user of that org)")
            print("  The admin page is shown only on the fake Okta. Ctrl-C stops.", flush=True)
            _serve(config, port)
            return 0
        fake = make_fake_okta()
        with serve_fake_okta(fake) as okta_url:
            config = demo_settings(env, fake)
            width = max(len(u.login) for u in DEMO_USERS)
            print("Acme Portal (okta-session-mw example) on a fake Okta")
            print(f"  Fake Okta:   {okta_url}  (in this process, loopback only)")
            for i, user in enumerate(DEMO_USERS):
                label = "Demo users:" if i == 0 else ""
                print(f"  {label:<12} {user.login:<{width}}  password: {user.password}")
            print(f"  Open:        {url}")
            print(f"  Admin:       {url}/admin  (sign in as {', '.join(sorted(DEMO_ADMINS))})")
            print(
                f"  Event hook:  {url}{config.event_hook_path}  (the fake Okta's, registered "
                "on the admin page's first use)"
            )
            print(
                "Set OKTA_ORG_URL and OKTA_API_TOKEN to use a real Okta org instead. Ctrl-C stops.",
                flush=True,
            )
            _serve(config, port, fake)
    except ConfigError as exc:
        print(f"example_app: bad setting: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(main())
