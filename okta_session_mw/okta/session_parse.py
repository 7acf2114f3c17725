"""Reading Okta's Session JSON: one small reader per field shape, each naming its field.

Every failure is a ``SessionParseError`` whose ``field`` is the member's path in Okta's
JSON (``expiresAt``, ``amr[2]``, ``idp.type``, ``_links.self.href``; ``$`` is the body
itself). Nothing else may escape: callers turn this one error into "Okta sent something
unexpected", and a body from the network can hold anything.

Unknown members are kept through one ``_wire.Keep`` per body, so what a Session keeps of
them is bounded whatever the body holds; what is left out is logged once per body, at
debug level, by field path.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeVar

from okta_session_mw.errors import SessionParseError
from okta_session_mw.okta.session_parts import (
    IDP_FIELDS,
    LINK_FIELDS,
    AuthenticationMethod,
    IdentityProvider,
    IdentityProviderType,
    Link,
    OpenEnum,
    SessionStatus,
)
from okta_session_mw.okta.wire import (
    DROPPED,
    EMPTY,
    EXTRA_ITEMS,
    Keep,
    freeze,
    json_type,
    parse_datetime,
)

__all__ = ["MAX_METHODS", "SESSION_FIELDS", "session_fields"]

logger = logging.getLogger("okta_session_mw")

SESSION_FIELDS = frozenset(
    {
        "id", "status", "expiresAt", "login", "userId", "createdAt", "lastPasswordVerification",
        "lastFactorVerification", "amr", "idp", "mfaActive", "_links",
    }
)  # fmt: skip
"""The top-level members ``Session`` models; any other goes to ``Session.extra``."""

_E = TypeVar("_E", bound=OpenEnum)
_AMR = {method.value: method for method in AuthenticationMethod}
_IDP_TYPES = {kind.value: kind for kind in IdentityProviderType}
_STATUSES = {status.value: status for status in SessionStatus}


def session_fields(data: object) -> dict[str, Any]:
    """``Session``'s keyword arguments for one body, every known field checked."""
    if type(data) is not dict and not isinstance(data, Mapping):
        raise SessionParseError("$", f"expected a JSON object, got {json_type(data)}")
    get = data.get
    keep = Keep()
    fields = {
        "id": _id(_required(data, "id", "id")),
        "status": _member(_STATUSES, _required(data, "status", "status"), "status"),
        "expires_at": _datetime(_required(data, "expiresAt", "expiresAt"), "expiresAt"),
        "login": _optional_str(get("login"), "login"),
        "user_id": _optional_str(get("userId"), "userId"),
        "created_at": _optional_datetime(get("createdAt"), "createdAt"),
        "last_password_verification": _optional_datetime(
            get("lastPasswordVerification"), "lastPasswordVerification"
        ),
        "last_factor_verification": _optional_datetime(
            get("lastFactorVerification"), "lastFactorVerification"
        ),
        "amr": _amr(get("amr")),
        "idp": _idp(get("idp"), keep),
        "mfa_active": _optional_bool(get("mfaActive"), "mfaActive"),
        "links": _links(get("_links"), keep),
        "extra": (
            EMPTY if SESSION_FIELDS.issuperset(data) else _extras(data, SESSION_FIELDS, "", keep)
        ),
    }
    if keep.dropped:
        logger.debug(
            "Session: %d unknown value(s) past the bounds left out, first at %s",
            keep.dropped, ", ".join(keep.paths),
        )  # fmt: skip
    return fields


def _required(data: Mapping[Any, Any], key: str, field: str) -> object:
    value = data.get(key)
    if value is None:
        raise SessionParseError(field, "must not be null" if key in data else "is required")
    return value


def _id(value: object) -> str:
    if not isinstance(value, str):
        raise SessionParseError("id", f"expected a string, got {json_type(value)}")
    if not value:
        raise SessionParseError("id", "must not be empty")
    return value


def _optional_str(value: object, field: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise SessionParseError(field, f"expected a string or null, got {json_type(value)}")


def _optional_bool(value: object, field: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise SessionParseError(field, f"expected a boolean or null, got {json_type(value)}")


def _datetime(value: object, field: str) -> datetime:
    if not isinstance(value, str):
        raise SessionParseError(field, f"expected a timestamp string, got {json_type(value)}")
    try:
        return parse_datetime(value)
    except ValueError as exc:
        raise SessionParseError(field, str(exc)) from None


def _optional_datetime(value: object, field: str) -> datetime | None:
    return None if value is None else _datetime(value, field)


def _member(lookup: Mapping[str, _E], value: object, field: str, index: int = -1) -> _E:
    """A member of an open enum: any non-empty string is accepted (see ``OpenEnum``)."""
    if isinstance(value, str) and value:
        member = lookup.get(value)
        return member if member is not None else _open(lookup, value)
    where = field if index < 0 else f"{field}[{index}]"
    if isinstance(value, str):
        raise SessionParseError(where, "must not be empty")
    raise SessionParseError(where, f"expected a string, got {json_type(value)}")


def _open(lookup: Mapping[str, _E], value: str) -> _E:
    """The pseudo-member for a value Okta added after this version was written."""
    cls = type(next(iter(lookup.values())))
    return cls(value)


MAX_METHODS = 64
"""The most entries ``amr`` (or a link's ``hints.allow``) may have; Okta sends a few.
More is refused, not cut: each unknown method is an object of its own (a megabyte of
them is tens of MiB in a cached Session), and a cut list could hide a method a policy
looks for."""


def _array(value: object, field: str) -> list[Any] | tuple[Any, ...]:
    if isinstance(value, (list, tuple)):
        return value
    raise SessionParseError(field, f"expected an array or null, got {json_type(value)}")


def _amr(value: object) -> tuple[AuthenticationMethod, ...]:
    if value is None:
        return ()
    items = _array(value, "amr")
    if len(items) > MAX_METHODS:
        raise SessionParseError("amr", f"has {len(items)} entries, more than {MAX_METHODS}")
    methods = [_member(_AMR, item, "amr", i) for i, item in enumerate(items)]
    return _share(_SHARED_AMR, tuple(methods))


def _object(value: object, field: str) -> Mapping[Any, Any]:
    if type(value) is dict or isinstance(value, Mapping):  # the ABC check is slow
        return value
    raise SessionParseError(field, f"expected an object, got {json_type(value)}")


def _idp(value: object, keep: Keep) -> IdentityProvider | None:
    if value is None:
        return None
    idp = _object(value, "idp")
    kind = idp.get("type")
    idp_id = _optional_str(idp.get("id"), "idp.id")
    idp_type = None if kind is None else _member(_IDP_TYPES, kind, "idp.type")
    plain = IDP_FIELDS.issuperset(idp)
    if plain:  # usually the org itself, the same for every session: one object
        shared = _SHARED_IDP.get((idp_id, idp_type))
        if shared is not None:
            return shared
    made = IdentityProvider(
        id=idp_id,
        type=idp_type,
        extra=EMPTY if plain else _extras(idp, IDP_FIELDS, "idp.", keep),
    )
    if plain and len(_SHARED_IDP) < _SHARED_MAX:
        _SHARED_IDP[(idp_id, idp_type)] = made
    return made


def _links(value: object, keep: Keep) -> Mapping[str, Link]:
    if value is None:
        return EMPTY
    links: dict[str, Link] = {}
    for rel, raw in _object(value, "_links").items():
        if not isinstance(rel, str):
            raise SessionParseError("_links", f"link names must be strings, not {json_type(rel)}")
        links[_share(_SHARED_STR, rel)] = _link(rel, raw, keep)
    return links


def _link(rel: str, link: object, keep: Keep) -> Link:
    # Field names are built only on failure: this runs three times per parsed body.
    if type(link) is not dict and not isinstance(link, Mapping):
        raise _link_error(rel, "", f"expected an object, got {json_type(link)}")
    href = link.get("href")
    if not isinstance(href, str):
        if href is not None:
            raise _link_error(rel, ".href", f"expected a string, got {json_type(href)}")
        raise _link_error(rel, ".href", "must not be null" if "href" in link else "is required")
    name = link.get("name")
    if not (name is None or isinstance(name, str)):
        raise _link_error(rel, ".name", f"expected a string or null, got {json_type(name)}")
    templated = link.get("templated")
    if not (templated is None or isinstance(templated, bool)):
        raise _link_error(
            rel, ".templated", f"expected a boolean or null, got {json_type(templated)}"
        )
    media_type = link.get("type")
    if not (media_type is None or isinstance(media_type, str)):
        raise _link_error(rel, ".type", f"expected a string or null, got {json_type(media_type)}")
    extra = (
        {} if LINK_FIELDS.issuperset(link) else _extras(link, LINK_FIELDS, f"_links.{rel}.", keep)
    )
    allow: tuple[str, ...] = ()
    hints = link.get("hints")
    if hints is not None:
        if type(hints) is not dict and not isinstance(hints, Mapping):
            raise _link_error(rel, ".hints", f"expected an object, got {json_type(hints)}")
        allow = _allow(rel, hints.get("allow"))
        if not allow or len(hints) != 1:
            # A shape that hints_allow alone would not write back: keep it whole.
            frozen = freeze(hints, keep, f"_links.{rel}.hints")
            if frozen is not DROPPED:
                extra["hints"] = frozen
    org_wide = href.endswith(_ORG_WIDE_HREFS)
    if org_wide:
        href = _share(_SHARED_STR, href)
    # self and refresh links are the same for every session of the org: one object
    # (not the user link: it names its user).
    shareable = org_wide and not extra and name is None
    key = (href, allow, templated, media_type)
    if shareable:
        shared = _SHARED_LINKS.get(key)
        if shared is not None:
            return shared
    made = Link(
        href=href,
        name=name,
        hints_allow=allow,
        templated=templated,
        media_type=media_type,
        extra=extra,
    )
    if shareable and len(_SHARED_LINKS) < _SHARED_MAX:
        _SHARED_LINKS[key] = made
    return made


def _allow(rel: str, value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, (list, tuple)):
        raise _link_error(rel, ".hints.allow", f"expected an array or null, got {json_type(value)}")
    if len(value) > MAX_METHODS:
        message = f"has {len(value)} entries, more than {MAX_METHODS}"
        raise _link_error(rel, ".hints.allow", message)
    for index, item in enumerate(value):
        if not isinstance(item, str):
            message = f"expected a string, got {json_type(item)}"
            raise _link_error(rel, f".hints.allow[{index}]", message)
    return _share(_SHARED_ALLOW, tuple(value))


def _link_error(rel: str, member: str, message: str) -> SessionParseError:
    return SessionParseError(f"_links.{rel}{member}", message)


def _extras(
    data: Mapping[Any, Any], known: frozenset[str], prefix: str, keep: Keep
) -> dict[str, Any]:
    """The members ``known`` does not list, frozen within ``keep``'s bounds (the first
    ``EXTRA_ITEMS`` of them); JSON member names are strings."""
    extra: dict[str, Any] = {}
    unknown = 0
    for key, value in data.items():
        if key in known:
            continue
        if not isinstance(key, str):
            where = prefix.rstrip(".") or "$"
            raise SessionParseError(where, f"member names must be strings, not {json_type(key)}")
        unknown += 1
        if unknown > EXTRA_ITEMS:  # the rest are left out unseen: count them, once
            known_here = sum(1 for name in known if name in data)
            keep.drop(prefix + key, len(data) - known_here - EXTRA_ITEMS)
            break
        if not keep.take(len(key)):
            keep.drop(prefix + key)
            continue
        frozen = freeze(value, keep, prefix + key)
        if frozen is not DROPPED:
            extra[key] = frozen
    return extra


# Sharing. A cached session should cost little memory, and much of a body repeats
# from one session to the next: link relation names, ``hints.allow`` and ``amr``
# combinations, and the org-wide hrefs of ``/sessions/me`` answers. Each table keeps
# the first copy it sees and stops growing when full (new values are then kept as
# they are), so it costs a bounded few kilobytes whatever Okta sends.
_SHARED_MAX = 256
_SHARED_STR: dict[str, str] = {}
_SHARED_ALLOW: dict[tuple[str, ...], tuple[str, ...]] = {}
_SHARED_AMR: dict[tuple[AuthenticationMethod, ...], tuple[AuthenticationMethod, ...]] = {}
_SHARED_LINKS: dict[tuple[object, ...], Link] = {}
_SHARED_IDP: dict[tuple[str | None, object], IdentityProvider] = {}
_ORG_WIDE_HREFS = ("/sessions/me", "/sessions/me/lifecycle/refresh", "/users/me")

_T = TypeVar("_T")


def _share(table: dict[_T, _T], value: _T) -> _T:
    shared = table.get(value)
    if shared is not None:
        return shared
    if len(table) < _SHARED_MAX and type(value) in (str, tuple):
        table[value] = value
    return value
