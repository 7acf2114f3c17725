"""The fake Okta's records: users, sessions and the calls it saw.

All three are plain data. Users and sessions are frozen snapshots (the fake replaces
a session record when a refresh changes it), so a test can hold one without racing the
server thread. ``RecordedCall`` masks the credentials it holds in its ``repr``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = ["FakeSession", "FakeUser", "RecordedCall", "parse_cookie_header"]


@dataclass(frozen=True, slots=True)
class FakeUser:
    """A user the fake can authenticate (``POST /api/v1/authn``) and open sessions for."""

    id: str
    """An Okta-like user id: ``00u`` and 17 letters or digits."""
    login: str
    first_name: str
    last_name: str
    password: str = field(repr=False)
    status: str = "ACTIVE"
    """Okta's user status: ``ACTIVE``, or ``SUSPENDED`` / ``DEPROVISIONED`` after
    ``suspend_user`` / ``deactivate_user``; only an active user can sign in."""

    @property
    def display_name(self) -> str:
        """What Okta puts in the ``name`` of a session's ``user`` link."""
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True, slots=True)
class FakeSession:
    """One Okta session as the fake holds it. Times are epoch seconds on the fake's clock."""

    id: str
    """The session id; also the value of the ``sid`` cookie."""
    user: FakeUser
    status: str
    amr: tuple[str, ...]
    created_at: float
    expires_at: float
    idx: str = field(repr=False)
    """The opaque ``idx`` cookie value that maps to this session."""

    @property
    def login(self) -> str:
        return self.user.login

    @property
    def user_id(self) -> str:
        return self.user.id


def _mask(value: str | None) -> str | None:
    """``"SSWS abc"`` -> ``"SSWS ***"``: keep the scheme, hide the credential."""
    if value is None:
        return None
    for scheme in ("SSWS", "Bearer"):
        if value[: len(scheme)].lower() == scheme.lower():
            return f"{value[: len(scheme)]} ***"
    return "***"


@dataclass(eq=False, slots=True)
class RecordedCall:
    """One request that reached the fake, recorded before it is answered.

    ``status`` is ``None`` while the request is in flight and stays ``None`` when the fake
    dropped the connection instead of answering. ``headers`` has lower-case names (repeated
    headers joined with ``", "``, cookies with ``"; "``); ``cookies`` is the parsed
    ``Cookie`` header; ``authorization`` is the raw ``Authorization`` header. The
    ``repr`` shows neither cookie values nor the credential.
    """

    method: str
    path: str
    query: str
    headers: dict[str, str]
    cookies: dict[str, str]
    authorization: str | None
    body: bytes = b""
    status: int | None = None

    def __repr__(self) -> str:
        cookies = dict.fromkeys(self.cookies, "***")
        return (
            f"RecordedCall(method={self.method!r}, path={self.path!r}, query={self.query!r}, "
            f"cookies={cookies!r}, authorization={_mask(self.authorization)!r}, "
            f"status={self.status!r})"
        )


def parse_cookie_header(values: Iterable[str]) -> dict[str, str]:
    """Parse ``Cookie`` header values into ``{name: value}``.

    Lenient like a real server: pairs are split on ``;``, surrounding whitespace and a
    pair of double quotes around a value are dropped, parts without ``=`` are skipped,
    and the first occurrence of a name wins (browsers send the most specific cookie first).
    """
    cookies: dict[str, str] = {}
    for header in values:
        for part in header.split(";"):
            name, sep, value = part.partition("=")
            name = name.strip()
            if not sep or not name:
                continue
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] == '"':
                value = value[1:-1]
            cookies.setdefault(name, value)
    return cookies
