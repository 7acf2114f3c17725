"""Validation of the Okta org URL.

Every request the client makes is ``org_url + "/api/v1/..."``, and it carries an API
token or a user's session cookie; so the URL is checked once, strictly, at start-up:
https only (plain http only on a loopback host, for the fake Okta and local proxies),
scheme and host only, and clear words for the usual mistakes (an authorization
server's issuer URL, the ``-admin`` console host, an unfilled placeholder).
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import SplitResult, parse_qsl, urlencode, urlsplit

from okta_session_mw.errors import ConfigError

__all__ = ["is_loopback_host", "masked_url", "validate_org_url"]

_SETTING = "org_url"
_DEFAULT_PORTS = {"https": 443, "http": 80}


def is_loopback_host(host: str) -> bool:
    """True for ``localhost``, ``127.0.0.0/8`` and ``::1`` (brackets allowed), else False.

    Only literal addresses and the name ``localhost`` count: a name that merely
    resolves to a loopback address today could resolve elsewhere tomorrow.
    """
    name = host.strip().lower()
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    if name in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


_SECRET_PARAM = re.compile("pass|secret|token|key|auth", re.IGNORECASE)
_MASK = "***"


def masked_url(url: str) -> str:
    """A ``scheme://`` ``url`` fit for a repr, a log or a message: the password of
    ``user:password@host`` and any password-like query value (``?password=``, as redis
    URLs allow) are ``***``.

    Without a ``:``, the whole user part is masked (``redis://secret@host`` is a
    password written in the wrong place as often as it is a user name).
    """
    if "://" not in url:
        return url  # not a URL with a host part: nothing to mask
    try:
        parts = urlsplit(url)
    except ValueError:
        return _MASK
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, host = netloc.rpartition("@")
        user, colon, _ = userinfo.partition(":")
        netloc = f"{user}:{_MASK}@{host}" if colon else f"{_MASK}@{host}"
    query = parts.query
    pairs = parse_qsl(query, keep_blank_values=True)
    if any(_SECRET_PARAM.search(key) for key, _ in pairs):
        masked = [(k, _MASK if _SECRET_PARAM.search(k) else v) for k, v in pairs]
        query = urlencode(masked, safe="*")
    fragment = f"#{parts.fragment}" if parts.fragment else ""
    return f"{parts.scheme}://{netloc}{parts.path}{'?' if query else ''}{query}{fragment}"


def validate_org_url(url: str) -> str:
    """Check an Okta org URL and return it as ``scheme://host[:port]``.

    Raises ``ConfigError("org_url", ...)`` naming the problem and the fix. The
    result has a lower-case scheme and host, no default port and no trailing slash,
    so ``result + "/api/v1/sessions"`` is always the right URL.
    """
    text = _checked_text(url)
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise ConfigError(
            _SETTING,
            "must start with https:// (e.g. https://example.okta.com)"
            + (f", not {scheme}://" if scheme and "://" in text else ""),
        )
    host, port = _host_and_port(parts, text)
    _check_host(scheme, host)
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    return f"{scheme}://{netloc}"


def _check_path(path: str) -> None:
    """Refuse anything but an empty path or ``/``, explaining the common cases."""
    if path in ("", "/"):
        return
    if path.rstrip("/").startswith("/oauth2"):
        raise ConfigError(
            _SETTING,
            f"has the path {path!r}, which is an authorization server (issuer) URL; "
            "the Session API lives at the org root: give only https://<your org host>",
        )
    if path.rstrip("/").startswith("/api"):
        raise ConfigError(
            _SETTING,
            f"has the path {path!r}; give only the org root (https://<your org host>), "
            "the client adds /api/v1/... itself",
        )
    raise ConfigError(
        _SETTING,
        f"must be scheme and host only (e.g. https://example.okta.com); found the path {path!r}",
    )


def _checked_text(url: object) -> str:
    """The URL as text, refused early for what no URL parser should be shown."""
    if not isinstance(url, str):
        raise ConfigError(_SETTING, f"must be a string, not {type(url).__name__}")
    text = url.strip()
    if not text:
        raise ConfigError(
            _SETTING, "is empty; set it to your Okta org, e.g. https://example.okta.com"
        )
    if any(ord(char) < 0x21 or ord(char) == 0x7F for char in text):
        raise ConfigError(_SETTING, "contains whitespace or control characters")
    if "{" in text or "}" in text:
        raise ConfigError(
            _SETTING,
            "still contains a placeholder such as {yourOktaDomain}; "
            "put your Okta org's domain there, e.g. https://example.okta.com",
        )
    if text.count("://") > 1:
        raise ConfigError(
            _SETTING, "contains '://' twice; give one URL like https://example.okta.com"
        )
    return text


def _host_and_port(parts: SplitResult, text: str) -> tuple[str, int | None]:
    """The lower-case host and the port; no credentials, query, fragment or path."""
    if "@" in parts.netloc:
        # Never echo this part: it may hold a password.
        raise ConfigError(_SETTING, "must not contain a user name or password ('user@host')")
    host = (parts.hostname or "").lower()
    if not host:
        raise ConfigError(_SETTING, "has no host; expected e.g. https://example.okta.com")
    try:
        port = parts.port
    except ValueError:
        raise ConfigError(_SETTING, "has an invalid port") from None
    if parts.query or parts.fragment or text.endswith(("?", "#")):
        raise ConfigError(_SETTING, "must not have a query string or fragment ('?...', '#...')")
    _check_path(parts.path)
    return host, port


def _check_host(scheme: str, host: str) -> None:
    """Not the Admin Console's host; plain http only on loopback."""
    if host.split(".", 1)[0].endswith("-admin"):
        raise ConfigError(
            _SETTING,
            f"{host} is the Admin Console host; use the org URL without '-admin' "
            f"(e.g. https://{host.replace('-admin', '', 1)}): the API is served there",
        )
    if scheme == "http" and not is_loopback_host(host):
        raise ConfigError(
            _SETTING,
            "must use https; plain http is allowed only on a loopback host "
            "(localhost, 127.0.0.0/8, ::1) because requests carry tokens and session cookies",
        )
