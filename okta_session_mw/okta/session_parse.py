"""Reading Okta's Session JSON: one small reader per field shape, each naming its field.

Every failure is a ``SessionParseError`` whose ``field`` is the member's path in Okta's
JSON (``expiresAt``, ``amr[2]``, ``idp.type``, ``_links.self.href``; ``$`` is the body
itself). Nothing else may escape: callers turn this one error into "Okta sent something
unexpected", and a body from the network can hold anything.

Unknown members are kept through one ``wire.Keep`` per body, so what a Session keeps of
them is bounded whatever the body holds (``session_bounds``); what is left out is logged
once per body, at debug level, by field path. Links are read in ``session_links``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeVar

from okta_session_mw.errors import SessionParseError
from okta_session_mw.okta.session_bounds import (
    MAX_METHODS,
    SHARED_AMR,
    SHARED_IDP,
    SHARED_MAX,
    extras,
    share,
)
from okta_session_mw.okta.session_links import links
from okta_session_mw.okta.session_parts import (
    IDP_FIELDS,
    AuthenticationMethod,
    IdentityProvider,
    IdentityProviderType,
    OpenEnum,
    SessionStatus,
)
from okta_session_mw.okta.wire import EMPTY, Keep, json_type, parse_datetime

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
        "links": links(get("_links"), keep),
        "extra": (
            EMPTY if SESSION_FIELDS.issuperset(data) else extras(data, SESSION_FIELDS, "", keep)
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
    return share(SHARED_AMR, tuple(methods))


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
        shared = SHARED_IDP.get((idp_id, idp_type))
        if shared is not None:
            return shared
    made = IdentityProvider(
        id=idp_id,
        type=idp_type,
        extra=EMPTY if plain else extras(idp, IDP_FIELDS, "idp.", keep),
    )
    if plain and len(SHARED_IDP) < SHARED_MAX:
        SHARED_IDP[(idp_id, idp_type)] = made
    return made
