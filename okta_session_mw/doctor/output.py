"""The doctor's lines, and the net that keeps secrets out of them.

Checks are written never to put a secret in a finding, but their details quote what
others said (an exception's message, Okta's ``errorSummary``, a Redis error), so every
line is also scrubbed of each secret the configuration holds before it is printed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import unquote, urlsplit

from okta_session_mw.config import OktaSessionConfig
from okta_session_mw.doctor.findings import Finding, Level

__all__ = ["Redactor", "format_finding", "format_summary", "secrets_of_config", "secrets_of_env"]

_MASK = "***"
_SECRET_SETTINGS = ("API_TOKEN", "SECRET_KEY", "EVENT_HOOK_SECRETS")


class Redactor:
    """Replaces every known secret (longest first) by ``***`` in a text."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: list[str] = []
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        found = {s for s in secrets if s and len(s) >= 3} | set(self._secrets)
        self._secrets = sorted(found, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, _MASK)
        return text


def _url_password(url: str | None) -> list[str]:
    if not url or "://" not in url:
        return []
    try:
        parts = urlsplit(url)
    except ValueError:
        return []
    found = [p for p in (parts.password,) if p]
    if parts.username and not parts.password:
        found.append(parts.username)  # redis://secret@host: a password in the user's place
    return found + [unquote(p) for p in found]


def _texts(value: object) -> list[str]:
    """A setting's text values: one string, or each string of a list (a secret may be
    either: ``secret_key`` holds the keys of a rotation, ``EVENT_HOOK_SECRETS`` a
    comma-separated list in the environment)."""
    if isinstance(value, str):
        return [value, *value.split(",")]
    if isinstance(value, (list, tuple)):
        return [v for v in value if isinstance(v, str)]
    return []


def secrets_of_config(config: OktaSessionConfig) -> list[str]:
    """Every secret a built configuration holds."""
    found = _texts(config.secret_key) + _texts(config.event_hook_secrets)
    return found + _texts(config.api_token) + _url_password(config.cache_url)


def secrets_of_env(values: Mapping[str, object], prefix: str) -> list[str]:
    """The secrets among raw settings (for a configuration that failed to build)."""
    found: list[str] = []
    for name in _SECRET_SETTINGS:
        found += _texts(values.get(prefix + name))
    url = values.get(prefix + "CACHE_URL")
    if isinstance(url, str):
        found += _url_password(url)
    return [s.strip() for s in found]


def format_finding(finding: Finding) -> str:
    """``LEVEL check  detail`` with the words in fixed columns, on one line."""
    detail = " ".join(finding.detail.split())
    return f"{finding.level.value:<4} {finding.check:<13} {detail}"


def format_summary(findings: Iterable[Finding], status: int) -> str:
    counts = dict.fromkeys(Level, 0)
    for finding in findings:
        counts[finding.level] += 1
    words = ", ".join(f"{counts[level]} {level.value}" for level in Level)
    return f"doctor: {words}; exit status {status}"
