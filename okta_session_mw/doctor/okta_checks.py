"""The checks that talk to Okta: the org URL over TLS, Okta's clock, the API token.

``probe_org`` asks ``GET /api/v1/sessions/me`` once, with no cookie and no credential:
the cheapest question Okta answers for anyone (404, "no session"), and the very endpoint
the middleware uses, so reaching it proves the path the middleware takes (TLS, proxies,
``SSL_CERT_FILE``: the same httpx defaults as the library's client). Its ``Date`` header
gives Okta's clock. The token check reads a session by a made-up id, which a valid token
may do (``okta.sessions.read``): 404 means the token was accepted, 401 that it was not.

Each call is bounded as a whole (the doctor's ``--deadline``) and reads no more than
``max_response_bytes``: an org answering a byte at a time, or without end, is a ``FAIL``
line, never a doctor that runs for ever.
"""

from __future__ import annotations

import ssl
import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import httpx

from okta_session_mw.config import OktaSessionConfig
from okta_session_mw.doctor.deadline import no_answer_within
from okta_session_mw.doctor.findings import Finding
from okta_session_mw.errors import (
    OktaAPIError,
    OktaAuthenticationError,
    OktaNotFoundError,
    OktaPermissionError,
    OktaRateLimitError,
    OktaSessionError,
    OktaTimeoutError,
)
from okta_session_mw.okta.call_handle import call_within, current_call
from okta_session_mw.okta.clients import OktaSessionClient

__all__ = ["OrgProbe", "check_api_token", "check_clock", "check_org_url", "probe_org"]

_PROBE_PATH = "/api/v1/sessions/me"
_MADE_UP_SESSION_ID = "102doctorNoSuchSession000"


@dataclass(frozen=True, slots=True)
class OrgProbe:
    """What one plain request to the org found: an answer, or why there was none."""

    sent_at: float
    received_at: float
    status: int | None = None
    date: str | None = None
    content_type: str = ""
    tls_version: str | None = None
    error: str | None = None


def probe_org(config: OktaSessionConfig, deadline: float) -> OrgProbe:
    """Ask the org once, the whole answer within ``deadline`` seconds (httpx's timeout
    bounds each read only: an org dripping its answer would hold the doctor for good)."""
    sent = time.time()
    try:
        return call_within(deadline, lambda _: _ask_org(config, sent), None)
    except OktaTimeoutError:  # _ask_org raises nothing: this is the deadline passing
        return OrgProbe(sent, time.time(), error=no_answer_within(deadline))


def _ask_org(config: OktaSessionConfig, sent: float) -> OrgProbe:
    """The request, on the thread ``call_within`` abandons at the deadline (its handle
    sees the connection through httpcore's ``trace`` and shuts it then). The body is
    streamed and read no further than ``max_response_bytes``, what the middleware reads."""
    handle = current_call()
    extensions = {"trace": handle.trace} if handle is not None else {}
    headers = {"Accept": "application/json"}
    try:
        with (
            httpx.Client(timeout=config.timeout, follow_redirects=False) as http,
            http.stream(
                "GET", config.org_url + _PROBE_PATH, headers=headers, extensions=extensions
            ) as response,
        ):
            received = time.time()  # the head, with its Date, is in
            tls_version = _tls_version(response)  # while the connection is open
            if _larger_than(response, config.max_response_bytes):
                error = (
                    f"its answer is larger than max_response_bytes "
                    f"({config.max_response_bytes} bytes): reading stopped there"
                )
                return OrgProbe(sent, time.time(), error=error)
    except httpx.HTTPError as exc:
        return OrgProbe(sent, time.time(), error=_transport_problem(exc, config.timeout))
    except Exception as exc:  # anything else httpx or the socket layer raises
        return OrgProbe(sent, time.time(), error=f"the request failed ({type(exc).__name__})")
    return OrgProbe(
        sent,
        received,
        status=response.status_code,
        date=response.headers.get("date"),
        content_type=response.headers.get("content-type", ""),
        tls_version=tls_version,
    )


def _larger_than(response: httpx.Response, limit: int) -> bool:
    """Read the body as it comes (raw: it is only counted, never decoded), stopping as
    soon as it passes ``limit`` bytes."""
    size = 0
    for chunk in response.iter_raw():
        size += len(chunk)
        if size > limit:
            return True
    return False


def _tls_version(response: httpx.Response) -> str | None:
    stream = response.extensions.get("network_stream")
    if stream is None:
        return None
    ssl_object = stream.get_extra_info("ssl_object")
    return ssl_object.version() if ssl_object is not None else None


def _transport_problem(exc: httpx.HTTPError, timeout: float) -> str:
    """A short cause: a TLS failure named as such, else the kind of network failure."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"TLS failed: the certificate is not trusted ({cause.verify_message})"
        if isinstance(cause, ssl.SSLError):
            return f"TLS failed: {cause.reason or type(cause).__name__}"
        cause = cause.__cause__ or cause.__context__
    if isinstance(exc, httpx.TimeoutException):
        return f"no answer within {timeout:g} s ({type(exc).__name__})"
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect ({exc})"
    return f"the request failed ({type(exc).__name__}: {exc})"


def check_org_url(config: OktaSessionConfig, probe: OrgProbe) -> Finding:
    where = config.org_url
    if probe.error is not None:
        return Finding.fail("org_url", f"{where}: {probe.error}")
    scheme = urlsplit(where).scheme
    looks_like_okta = probe.status == 404 and "json" in probe.content_type
    answered = f"answers ({probe.tls_version or scheme})"
    if probe.status == 429:
        return Finding.warn(
            "org_url", f"{where} {answered} but is rate-limiting us (HTTP 429): try again later"
        )
    if not looks_like_okta:
        return Finding.warn(
            "org_url",
            f"{where} {answered} but GET {_PROBE_PATH} without a cookie gave HTTP "
            f"{probe.status} {probe.content_type or 'no content type'}, not Okta's JSON 404: "
            "is this your org's URL (not a proxy's login page or a redirect)?",
        )
    if scheme == "http":
        return Finding.warn(
            "org_url",
            f"{where} {answered}, plain http on a loopback host: fine for development and "
            "the fake Okta, never for production",
        )
    return Finding.ok("org_url", f"{where} {answered}, as Okta does")


def check_clock(config: OktaSessionConfig, probe: OrgProbe, max_skew: float) -> Finding:
    """Okta's ``Date`` against this machine's clock, at the request's midpoint.

    The middleware compares Okta's ``expiresAt`` with the local clock: if Okta's clock
    is behind ours, every session looks that much closer to its end (cache lifetimes
    shortened, refreshes early); if ahead, a session can be served that long past its
    end. ``Date`` has whole seconds, so half a second plus half the round trip is noise.
    """
    if probe.error is not None:
        return Finding.skip("okta_clock", "not checked: the org did not answer")
    if probe.date is None:
        return Finding.warn("okta_clock", "Okta's answer had no Date header: cannot compare")
    try:
        okta_now = parsedate_to_datetime(probe.date).timestamp() + 0.5
    except (TypeError, ValueError):
        return Finding.warn("okta_clock", "Okta's Date header is not an HTTP date")
    ours = (probe.sent_at + probe.received_at) / 2
    skew = okta_now - ours
    noise = 0.5 + (probe.received_at - probe.sent_at) / 2
    size = abs(skew)
    tolerated = max(max_skew, noise)
    if size <= tolerated:
        return Finding.ok(
            "okta_clock",
            f"Okta's clock is within {max(1, round(size))} s of ours "
            f"(warns above {tolerated:.0f} s)",
        )
    if skew < 0:
        effect = (
            f"Okta's clock is {size:.0f} s behind ours: every cache lifetime is cut by "
            f"{size:.0f} s (sessions look that much closer to expiresAt, refreshes come early)"
        )
    else:
        effect = (
            f"Okta's clock is {size:.0f} s ahead of ours: a session can be served up to "
            f"{size:.0f} s past its expiresAt"
        )
    advice = "; fix the clocks (NTP)"
    if size >= config.cache_ttl:
        return Finding.fail(
            "okta_clock", f"{effect}, more than cache_ttl ({config.cache_ttl:g} s){advice}"
        )
    return Finding.warn("okta_clock", f"{effect} (more than {max_skew:g} s){advice}")


_NEEDS_TOKEN = (
    "not set: only the login helper (CreateSession) and the by-id operations "
    "(get, refresh, revoke a session; end a user's sessions) need one"
)


def check_api_token(config: OktaSessionConfig, probe: OrgProbe, deadline: float) -> Finding:
    if config.api_token is None:
        return Finding.skip("api_token", _NEEDS_TOKEN)
    if probe.error is not None:
        return Finding.skip("api_token", "not checked: the org did not answer")
    token = config.api_token
    try:
        return call_within(deadline, lambda _: _read_made_up_session(config, token), None)
    except OktaTimeoutError:  # _read_made_up_session catches its own: the deadline passed
        return Finding.fail("api_token", f"not checked: {no_answer_within(deadline)}")


def _read_made_up_session(config: OktaSessionConfig, token: str) -> Finding:
    """The token check's one call (on the thread ``call_within`` abandons at the deadline)."""
    try:
        with OktaSessionClient(
            config.org_url,
            api_token=token,
            timeout=config.timeout,
            max_response_bytes=config.max_response_bytes,
        ) as client:
            client.get_session(_MADE_UP_SESSION_ID)
    except OktaNotFoundError:
        return Finding.ok("api_token", "accepted (a session read by a made-up id gave 404)")
    except OktaAuthenticationError as exc:
        return Finding.fail(
            "api_token", f"refused by Okta ({_okta_words(exc)}): wrong, expired or revoked"
        )
    except OktaPermissionError as exc:
        return Finding.fail(
            "api_token",
            f"valid but may not read sessions ({_okta_words(exc)}): "
            "its admin needs a role that can manage sessions",
        )
    except OktaRateLimitError as exc:
        return Finding.warn("api_token", f"not checked: rate limited ({_okta_words(exc)})")
    except OktaAPIError as exc:
        return Finding.fail("api_token", f"unexpected answer ({_okta_words(exc)})")
    except OktaSessionError as exc:
        return Finding.fail("api_token", f"not checked: {type(exc).__name__}: {exc}")
    return Finding.warn("api_token", "a made-up session id was found: is this a real Okta org?")


def _okta_words(exc: OktaAPIError) -> str:
    code = exc.error_code or "no errorCode"
    return f"HTTP {exc.status_code} {code}"
