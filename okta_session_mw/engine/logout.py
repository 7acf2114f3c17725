"""Ending a session: logout (CloseCurrentSession by cookie) and revoke (by id), as flows.

Both evict the session everywhere (by cookie and by session id), so no worker keeps
trusting it; the cache's "ended" marks stop a lookup already under way from serving it
again (behaviour 13).
"""

from __future__ import annotations

from okta_session_mw.cache.entry import CacheEntry
from okta_session_mw.engine.effects import Flow, cache_evict, cache_evict_session, cache_get
from okta_session_mw.engine.limits import Spender
from okta_session_mw.engine.okta_calls import admit, call_okta, gated, note_failure, probing
from okta_session_mw.engine.rules import Rules
from okta_session_mw.errors import (
    InvalidRequestError,
    OktaAuthError,
    OktaNotFoundError,
    OktaSessionError,
)
from okta_session_mw.okta import operations
from okta_session_mw.okta.session import Session

__all__ = ["logout", "revoke"]


def logout(
    key: str,
    cookie: str,
    rules: Rules,
    sid: str | None = None,
    client: str | None = None,
    *,
    older_keys: tuple[str, ...] = (),
) -> Flow[bool]:
    """CloseCurrentSession, then evict by cookie and by session id.

    Returns True when Okta closed the session or had none (404 = already closed).
    The cache is cleared either way, so no worker keeps trusting the cookie. Closing a
    cached session may spend the reserve of Okta's window; a cookie with no cached
    session may not (anyone can post made-up cookies here), and spends its client
    address's allowance of never-seen-cookie calls, as a lookup would. When the gate
    keeps such a logout from Okta it evicts and marks nothing: nothing was closed (the
    answer is "try again"), the session lives on at Okta, and so the "ended" marks of
    never-cached cookies are bounded by Okta's own rate limit. The session id comes
    from the cached entry, or else from a ``sid`` cookie (whose value is the id when
    the app set it after CreateSession), or else from Okta (``_session_id_of``), so
    the session's other cookies (``sid``, ``idx``) are evicted too even when this one
    was not cached. ``older_keys``: the cookie's keys under a rotation's older
    ``secret_key`` values, evicted (and marked logged out) too, for workers still
    keying the cache with one of them; their entries also tell a cached session (which
    may spend the reserve) from a never-seen cookie.
    """
    entry = yield from _cached_entry(key, older_keys)
    known = entry is not None and entry.session is not None
    ids = {entry.session.id} if entry is not None and entry.session is not None else set()
    if sid:
        ids.add(sid)
    if entry is None and not ids:
        learned = yield from _session_id_of(cookie, rules, client)
        if learned is not None:
            ids.add(learned)
    spender = Spender.KNOWN if known else Spender.NEW_COOKIE
    closed: bool | None = yield from probing(
        rules, "close_current_session", spender, lambda: _close(cookie, rules, spender, client)
    )
    if closed is None and not known:
        return False  # kept from Okta: nothing closed, nothing to evict or mark
    for each_key in (key, *older_keys):
        yield from cache_evict(each_key)
    for session_id in sorted(ids):
        yield from cache_evict_session(session_id)
    return bool(closed)


def _cached_entry(key: str, older_keys: tuple[str, ...]) -> Flow[CacheEntry | None]:
    """The cookie's entry: under ``key``, else (mid-rotation: a worker on an older key
    may hold it) the first one with a session under ``older_keys``."""
    entry = yield from cache_get(key)
    for older in older_keys:
        if entry is not None and entry.session is not None:
            break
        entry = (yield from cache_get(older)) or entry
    return entry


def _close(cookie: str, rules: Rules, spender: Spender, client: str | None) -> Flow[bool | None]:
    """CloseCurrentSession if the gate admits it: True when closed (or already), False
    (say "try again") when Okta failed, None when the gate refused the call
    (rate-limited, or no reserve for an unknown cookie): Okta was not asked."""
    if not (yield from admit(rules, "close_current_session", spender, client)):
        return None
    try:
        yield from gated(rules, operations.close_current_session, cookie, spender)
    except (OktaNotFoundError, OktaAuthError):
        pass
    except OktaSessionError as exc:
        note_failure(exc, rules, "close_current_session")
        return False
    return True


def _session_id_of(cookie: str, rules: Rules, client: str | None) -> Flow[str | None]:
    """Whose session is this cookie? Asked of Okta (GetCurrentSession) when a logout's
    cookie has no cached session and no ``sid`` cookie names it, under the gate's rules
    for a lookup of such a cookie (``client``: its address). None when refused or when
    Okta cannot say; the logout goes on with the close either way."""
    learned: str | None = yield from probing(
        rules, "get_current_session", Spender.NEW_COOKIE, lambda: _ask_whose(cookie, rules, client)
    )
    return learned


def _ask_whose(cookie: str, rules: Rules, client: str | None) -> Flow[str | None]:
    """``_session_id_of``'s call: admitted by the gate, then asked."""
    if not (yield from admit(rules, "get_current_session", Spender.NEW_COOKIE, client)):
        return None
    try:
        session: Session = yield from gated(
            rules, operations.get_current_session, cookie, Spender.NEW_COOKIE
        )
    except (OktaNotFoundError, OktaAuthError, InvalidRequestError):
        return None  # no session (or none this cookie can name): nothing more to evict
    except OktaSessionError as exc:
        note_failure(exc, rules, "get_current_session")
        return None
    return session.id


def revoke(session_id: str, rules: Rules) -> Flow[bool]:
    """RevokeSession by id (admin), then evict it everywhere; False if Okta had no such session.

    Any other failure is raised to the caller and nothing is evicted: Okta still
    has the session, so the cache is still right about it.
    """
    found = True
    try:
        yield from call_okta(rules, operations.revoke_session, session_id)
    except OktaNotFoundError:
        found = False
    yield from cache_evict_session(session_id)
    return found
