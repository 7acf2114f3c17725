"""Okta's Session object as a small, frozen, typed value.

``Session.from_okta`` reads the body of any Session operation, checks every field it
knows and names the offending one in ``SessionParseError``; fields it does not know are
kept (frozen) in ``extra``, never fatal, within bounds: at most 4 levels deep, 64
members or items each, strings up to 4 KiB, 1024 values and 64 KiB of text per Session
(``wire.Keep``). The rest is left out, with one debug log line naming where (never the
value): a cached Session costs kilobytes whatever the body. Known arrays are bounded
too: an ``amr`` or ``hints.allow`` of more than 64 entries is a parse error.
``Session.to_okta`` writes Okta's shape back.

Round trips. ``Session.from_okta(s.to_okta()) == s`` always. A body as Okta sends it
comes back equal from ``Session.from_okta(body).to_okta()``, except that:

* unknown fields past the bounds above are left out;
* timestamps are rewritten in UTC as ``...T09:00:23.000Z`` (microseconds only when the
  value has them; digits past microseconds are lost);
* ``lastPasswordVerification``/``lastFactorVerification`` are always written (null when
  unknown), ``amr`` always (an array); ``login``, ``userId``, ``createdAt``, ``idp``,
  ``mfaActive`` and a link's ``name``/``templated``/``type`` only when not null; ``_links``
  only when not empty. That is what Okta sends; a null Okta never sends is dropped.

The enums, ``IdentityProvider`` and ``Link`` live in ``session_parts``, the JSON
readers in ``session_parse``; import them all from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from okta_session_mw.okta.session_parse import SESSION_FIELDS, session_fields
from okta_session_mw.okta.session_parts import (
    AuthenticationMethod,
    IdentityProvider,
    IdentityProviderType,
    Link,
    SessionStatus,
    empty,
    own,
)
from okta_session_mw.okta.wire import format_datetime, thaw

__all__ = [
    "AuthenticationMethod",
    "IdentityProvider",
    "IdentityProviderType",
    "Link",
    "Session",
    "SessionStatus",
]

_UTC = timezone.utc
_DATETIME_ATTRS = (
    "expires_at",
    "created_at",
    "last_password_verification",
    "last_factor_verification",
)


@dataclass(frozen=True, slots=True, kw_only=True, repr=False)
class Session:
    """An Okta session, as ``GET /api/v1/sessions/me`` and friends return it.

    Immutable and small, so one instance can be cached and shared by every request.
    Datetimes are aware and in UTC. Enum fields may hold values newer than this
    library (``session.status.is_known`` is then False). Equality compares every
    field; the hash is the ``id`` alone (mapping fields cannot be hashed, and equal
    sessions share an id). It pickles through ``to_okta``.
    """

    id: str
    status: SessionStatus
    expires_at: datetime
    login: str | None = None
    user_id: str | None = None
    created_at: datetime | None = None
    last_password_verification: datetime | None = None
    last_factor_verification: datetime | None = None
    amr: tuple[AuthenticationMethod, ...] = ()
    idp: IdentityProvider | None = None
    mfa_active: bool | None = None
    """Okta's ``mfaActive``: deprecated and not in its schema, but sent."""
    links: Mapping[str, Link] = field(default_factory=empty)
    """``_links`` by relation: ``self``, ``refresh``, ``user`` and any other."""
    extra: Mapping[str, Any] = field(default_factory=empty)
    """Top-level fields this version does not know, frozen (objects read-only, arrays
    tuples), within the bounds in the module's docstring."""

    def __post_init__(self) -> None:
        # Built by hand, a Session keeps the guarantees from_okta gives.
        put = object.__setattr__
        for name in _DATETIME_ATTRS:
            value = getattr(self, name)
            if value is not None and getattr(value, "tzinfo", None) is not _UTC:
                put(self, name, _as_utc(value, name))
        if type(self.amr) is not tuple:
            put(self, "amr", tuple(self.amr))
        put(self, "links", own(self.links))
        put(self, "extra", own(self.extra, SESSION_FIELDS, "Session"))

    def __hash__(self) -> int:
        return hash(self.id)

    def __repr__(self) -> str:
        # The id of a session made by CreateSession is the value of its ``sid`` cookie:
        # a credential. Show only enough of it to tell sessions apart in a log.
        return (
            f"Session(id='{self.id[:4]}…', login={self.login!r}, "
            f"status={self.status.value!r}, expires_at={format_datetime(self.expires_at)!r})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self).from_okta, (self.to_okta(),))

    @property
    def is_active(self) -> bool:
        """True when the session is fully validated (status ACTIVE)."""
        return self.status is SessionStatus.ACTIVE

    @classmethod
    def from_okta(cls, data: Mapping[str, Any]) -> Session:
        """Read Okta's Session JSON; raise ``SessionParseError`` naming the first bad field."""
        return cls(**session_fields(data))

    def to_okta(self) -> dict[str, Any]:
        """Okta's Session JSON (see the module docstring for what is normalised)."""
        out: dict[str, Any] = thaw(self.extra) if self.extra else {}
        out["id"] = self.id
        if self.user_id is not None:
            out["userId"] = self.user_id
        if self.login is not None:
            out["login"] = self.login
        if self.created_at is not None:
            out["createdAt"] = format_datetime(self.created_at)
        out["expiresAt"] = format_datetime(self.expires_at)
        out["status"] = self.status.value
        out["lastPasswordVerification"] = _format_optional(self.last_password_verification)
        out["lastFactorVerification"] = _format_optional(self.last_factor_verification)
        out["amr"] = [method.value for method in self.amr]
        if self.idp is not None:
            out["idp"] = self.idp.to_okta()
        if self.mfa_active is not None:
            out["mfaActive"] = self.mfa_active
        if self.links:
            out["_links"] = {rel: link.to_okta() for rel, link in self.links.items()}
        return out


def _as_utc(value: object, name: str) -> datetime:
    if not isinstance(value, datetime):
        raise TypeError(f"Session.{name} must be a datetime, not {type(value).__name__}")
    if value.utcoffset() is None:
        raise ValueError(f"Session.{name} must be timezone-aware")
    return value.astimezone(_UTC)


def _format_optional(value: datetime | None) -> str | None:
    return None if value is None else format_datetime(value)
