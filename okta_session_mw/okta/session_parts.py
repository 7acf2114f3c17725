"""The parts of a Session: its open enums, its identity provider and its links.

Kept apart from ``session.py`` (which re-exports them) so each file stays small.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from okta_session_mw.okta.wire import EMPTY, thaw

__all__ = [
    "IDP_FIELDS",
    "LINK_FIELDS",
    "AuthenticationMethod",
    "IdentityProvider",
    "IdentityProviderType",
    "Link",
    "OpenEnum",
    "SessionStatus",
    "empty",
    "own",
]


class OpenEnum(str, Enum):
    """A str enum that admits values it does not list, as pseudo-members.

    Okta adds values without notice (``mca`` and ``sc`` joined ``amr`` late); one new
    value must not make every session unreadable. ``SessionStatus("NEW")`` is a member
    whose ``value`` is ``"NEW"`` and whose ``is_known`` is False; it equals the string
    ``"NEW"`` and no listed member. The empty string is refused (ValueError).
    """

    @classmethod
    def _missing_(cls, value: object) -> Any:
        if isinstance(value, str) and value:
            return _pseudo_member(cls, str.__str__(value))  # a plain str, even from a str subclass
        return None

    @property
    def is_known(self) -> bool:
        """False for a value this version of the library does not list."""
        return type(self)._value2member_map_.get(self._value_) is self

    def __str__(self) -> str:  # the value, as StrEnum (Python 3.11+) does
        return str.__str__(self)

    def __format__(self, format_spec: str) -> str:
        return str.__format__(self, format_spec)


@lru_cache(maxsize=256)
def _pseudo_member(cls: type[OpenEnum], value: str) -> OpenEnum:
    """One shared object per unknown value (bounded), as real members are shared."""
    member = str.__new__(cls, value)
    member._name_ = value
    member._value_ = value
    return member


class SessionStatus(OpenEnum):
    """``Session.status``. Only ACTIVE is a fully validated session."""

    ACTIVE = "ACTIVE"
    MFA_REQUIRED = "MFA_REQUIRED"  # established, second factor still to verify
    MFA_ENROLL = "MFA_ENROLL"  # established, the user must enroll a second factor


class AuthenticationMethod(OpenEnum):
    """One ``amr`` entry: how the user proved who they are."""

    FPT = "fpt"  # fingerprint
    GEO = "geo"  # geolocation (network zone, IP trust)
    HWK = "hwk"  # proof of possession of a hardware key
    KBA = "kba"  # knowledge-based (security question)
    MCA = "mca"  # multiple channels
    MFA = "mfa"  # some multifactor verification happened
    OTP = "otp"  # one-time password (Okta's spec once misspells it "opt")
    PWD = "pwd"  # password
    SC = "sc"  # smart card
    SMS = "sms"  # text message
    SWK = "swk"  # proof of possession of a software key (Okta Verify push)
    TEL = "tel"  # phone call


class IdentityProviderType(OpenEnum):
    """``Session.idp.type``: where the user authenticated."""

    ACTIVE_DIRECTORY = "ACTIVE_DIRECTORY"
    FEDERATION = "FEDERATION"
    LDAP = "LDAP"
    OKTA = "OKTA"
    SOCIAL = "SOCIAL"


def empty() -> Mapping[str, Any]:
    """Default factory for mapping fields (dataclasses refuse a mappingproxy default)."""
    return EMPTY


def own(
    mapping: Mapping[str, Any], reserved: frozenset[str] = frozenset(), owner: str = ""
) -> Mapping[str, Any]:
    """A private read-only copy (callers' dicts stay theirs); empty ones share ``EMPTY``.

    ``reserved`` names members the owner models itself: an ``extra`` repeating one would
    make ``to_okta`` and ``from_okta`` disagree.
    """
    if not mapping:
        return EMPTY
    clash = reserved.intersection(mapping)
    if clash:
        raise ValueError(f"{owner} extra repeats known fields {sorted(clash)}")
    return MappingProxyType(dict(mapping))


# The members each object models; any other member goes to its ``extra``.
IDP_FIELDS = frozenset({"id", "type"})
LINK_FIELDS = frozenset({"href", "name", "templated", "type", "hints"})
_LINK_RESERVED = LINK_FIELDS - {"hints"}  # hints of an odd shape do live in extra


@dataclass(frozen=True, slots=True)
class IdentityProvider:
    """Who authenticated the user. When ``type`` is OKTA, ``id`` is the org's id.

    Hashed by ``(id, type)``: ``extra`` is a mapping and cannot be hashed.
    """

    id: str | None = None
    type: IdentityProviderType | None = None
    extra: Mapping[str, Any] = field(default_factory=empty)
    """Members Okta sent that this version does not know, kept frozen."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "extra", own(self.extra, IDP_FIELDS, "IdentityProvider"))

    def __hash__(self) -> int:
        return hash((self.id, self.type))

    def to_okta(self) -> dict[str, Any]:
        """Okta's ``idp`` object; ``id`` and ``type`` only when known."""
        out: dict[str, Any] = thaw(self.extra) if self.extra else {}
        if self.id is not None:
            out["id"] = self.id
        if self.type is not None:
            out["type"] = self.type.value
        return out


@dataclass(frozen=True, slots=True)
class Link:
    """One ``_links`` entry (HAL). Use ``Session.id`` rather than parsing ``href``.

    Okta's ``type`` member is ``media_type`` here. ``hints_allow`` holds
    ``hints.allow`` (``("GET", "DELETE")``); a ``hints`` object of any other shape is
    also kept verbatim in ``extra["hints"]``, which ``to_okta`` then writes instead.
    Hashed without ``extra``.
    """

    href: str
    name: str | None = None
    hints_allow: tuple[str, ...] = ()
    templated: bool | None = None
    media_type: str | None = None
    extra: Mapping[str, Any] = field(default_factory=empty)

    def __post_init__(self) -> None:
        if type(self.hints_allow) is not tuple:
            object.__setattr__(self, "hints_allow", tuple(self.hints_allow))
        extra = own(self.extra, _LINK_RESERVED, "Link")
        object.__setattr__(self, "extra", extra)

    def __hash__(self) -> int:
        return hash((self.href, self.name, self.hints_allow))

    def to_okta(self) -> dict[str, Any]:
        """Okta's link object."""
        out: dict[str, Any] = thaw(self.extra) if self.extra else {}
        out["href"] = self.href
        if self.name is not None:
            out["name"] = self.name
        if self.templated is not None:
            out["templated"] = self.templated
        if self.media_type is not None:
            out["type"] = self.media_type
        if self.hints_allow and "hints" not in out:
            out["hints"] = {"allow": list(self.hints_allow)}
        return out
