"""What the middleware does for a request, written once as generators of effects.

A flow yields an effect (``effects.py``: read the cache, call Okta, run a sub-flow
under single flight...) and receives its result, or has the effect's
``OktaSessionError`` thrown into it. The effects and ``Resolution`` are re-exported
here. ``drivers.py`` runs the same flows synchronously (Flask, Django/WSGI) or
asynchronously (ASGI), so every decision (cache, single flight, refresh, backoff,
stale-if-error) lives here and only here.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Generator
from typing import Any, NamedTuple

from okta_session_mw.cache.memory import CacheEntry, Claimed
from okta_session_mw.config import OktaSessionConfig
from okta_session_mw.engine.effects import (
    AwaitEntry,
    CacheEvict,
    CacheEvictSession,
    CacheGet,
    CacheSet,
    CallOkta,
    Claim,
    Clock,
    Coalesce,
    Effect,
    Ended,
    Flow,
    Operation,
    Resolution,
    Solo,
    Source,
)
from okta_session_mw.engine.limits import RateLimitGate, Spender, bucket_of
from okta_session_mw.engine.policy import (
    RefreshBackoff,
    is_fresh,
    mark_refresh_tried,
    negative_entry,
    positive_entry,
    refresh_due,
    stale_usable,
)
from okta_session_mw.errors import (
    InvalidRequestError,
    OktaAPIError,
    OktaAuthError,
    OktaNotFoundError,
    OktaRateLimitError,
    OktaSessionError,
    SignInThrottledError,
)
from okta_session_mw.okta.session import Session

__all__ = [
    "AwaitEntry",
    "CacheEvict",
    "CacheEvictSession",
    "CacheGet",
    "CacheSet",
    "CallOkta",
    "Claim",
    "Coalesce",
    "Effect",
    "Ended",
    "Flow",
    "Resolution",
    "Rules",
    "Solo",
    "Source",
    "answer_without_io",
    "login",
    "logout",
    "resolve",
    "revoke",
]

logger = logging.getLogger("okta_session_mw")


class Rules(NamedTuple):
    """What every step of a flow consults, made once per service: the settings, the
    rate-limit gate (per Okta bucket, with its reserve and per-address allowance), the
    refresh back-off and the clock."""

    config: OktaSessionConfig
    gate: RateLimitGate
    backoff: RefreshBackoff
    clock: Clock


def _cached(entry: CacheEntry) -> Resolution:
    return Resolution(entry.session, Source.HIT if entry.session else Source.NEGATIVE_HIT)


def _wants_refresh(entry: CacheEntry | None, now: float, rules: Rules, key: str) -> bool:
    """Due (policy), Okta not rate-limited, and no recent failed refresh for this key."""
    return (
        refresh_due(entry, now, rules.config)
        and rules.gate.open("refresh_current_session", Spender.KNOWN, now)
        and rules.backoff.allows(key, now)
    )


def answer_without_io(
    entry: CacheEntry | None, now: float, rules: Rules, key: str
) -> Resolution | None:
    """The first step of ``resolve`` when the cache is in-process: a fresh entry with
    no refresh to do is the answer, with no flow, driver or coroutine at all (the hit
    path). None means "run ``resolve``"."""
    if entry is None or now >= entry.fresh_until:
        return None
    # Most hits are far from expiry: one subtraction rules a refresh out.
    if entry.expires - now < rules.config.refresh_threshold and _wants_refresh(
        entry, now, rules, key
    ):
        return None
    return _cached(entry)


def resolve(
    key: str, cookie: str, rules: Rules, client: str | None = None
) -> Generator[Effect, Any, Resolution]:
    """The session for a cookie: cache, else one Okta lookup, then a refresh if due.

    ``client`` is the request's transport peer address: lookups of cookies with no
    cached session are bounded per address (behaviour 14)."""
    clock = rules.clock
    entry: CacheEntry | None = yield CacheGet(key)
    if is_fresh(entry, clock()):
        assert entry is not None
        resolution = _cached(entry)
        if not _wants_refresh(entry, clock(), rules, key):
            return resolution  # what the cache holds now: an end would have evicted it
    else:
        try:
            lookup = _lookup(key, cookie, rules, client)
            entry, resolution = yield Coalesce("lookup:" + key, lookup)
        except OktaSessionError:  # waited too long for a concurrent lookup
            return (yield from _unless_ended(key, _fallback(entry, clock()), entry))
    # Due for its refresh (one request does it; a lookup that just refreshed marked the
    # entry, so this is skipped). The request's deadline bounds both calls together.
    if _wants_refresh(entry, clock(), rules, key):
        refreshed = yield Solo("refresh:" + key, _refresh(key, cookie, rules))
        if refreshed is not None:
            resolution = Resolution(refreshed.session, resolution.source)
            entry = refreshed
    return (yield from _unless_ended(key, resolution, entry))


def _unless_ended(
    key: str, resolution: Resolution, entry: CacheEntry | None
) -> Generator[Effect, Any, Resolution]:
    """Ended means ended (behaviour 13): a session that comes from Okta, from a lookup
    this request joined, from a refresh or from a stale entry may predate a logout or
    revoke that has returned since; it is served only if the cache saw no such end.
    ``entry`` holds the session served, and its ``fetched_at`` when Okta was asked."""
    session = resolution.session
    if session is not None:
        asked_at = entry.fetched_at if entry is not None else -math.inf
        if (yield Ended(key, session.id, asked_at)):
            return Resolution(None, Source.MISS)
    return resolution


def _lookup(
    key: str, cookie: str, rules: Rules, client: str | None = None
) -> Generator[Effect, Any, tuple[CacheEntry | None, Resolution]]:
    """Ask Okta unless the cache was filled meanwhile or the gate refuses the call.

    The question is GetCurrentSession, or RefreshCurrentSession when the session we
    last saw is due for its refresh: both answer with the session (or 404), so one
    call, one timeout, does both. A cookie with no cached session may not spend the
    reserve of Okta's window, nor more than its client address's allowance: refused, it
    reads as "unavailable" (503 on protected views, never a redirect to the login page,
    which could loop back here) and nothing is cached.
    """
    clock = rules.clock
    entry: CacheEntry | None = yield CacheGet(key)
    if is_fresh(entry, clock()):
        assert entry is not None
        return entry, _cached(entry)
    refreshing = _wants_refresh(entry, clock(), rules, key)
    operation: Operation = "refresh_current_session" if refreshing else "get_current_session"
    known = entry is not None and entry.session is not None
    spender = Spender.KNOWN if known else Spender.NEW_COOKIE
    asked: tuple[CacheEntry | None, Resolution] = yield from _probing(
        rules, operation, spender,
        lambda: _ask(key, cookie, rules, client, entry, operation, spender),
    )  # fmt: skip
    return asked


def _ask(
    key: str,
    cookie: str,
    rules: Rules,
    client: str | None,
    entry: CacheEntry | None,
    operation: Operation,
    spender: Spender,
) -> Generator[Effect, Any, tuple[CacheEntry | None, Resolution]]:
    """``_lookup``'s call: admitted by the gate, claimed across workers, then asked."""
    config, gate, backoff, clock = rules
    refreshing = operation == "refresh_current_session"
    if not gate.take(operation, spender, clock(), client):
        return entry, _fallback(entry, clock())
    claim = Claimed.ASKING
    try:
        claim = yield Claim(key)
    finally:
        if claim is not Claimed.YOURS:
            # Not ours to ask: nothing in flight while we follow (a follower counted as
            # in flight would hold the start-up probe's place for a whole wait).
            gate.done(operation)
    if claim is not Claimed.YOURS:
        shared, claim = yield from _follow(key, claim, clock)
        if shared is not None:
            return shared, _cached(shared)
        if claim is not Claimed.YOURS:
            # Another worker is asking Okta and no answer came within the timeout: do
            # not spend a second timeout asking Okta too.
            return entry, _fallback(entry, clock())
        if not gate.resume(operation, clock()):  # took the claim over; a 429 meanwhile?
            return entry, _fallback(entry, clock())
    previous = mark_refresh_tried(entry) if refreshing and entry is not None else entry
    asked = clock()
    try:
        session: Session = yield from _call(gate, operation, cookie)
    except (OktaNotFoundError, OktaAuthError, InvalidRequestError):
        # 404 is Okta's "no session"; 401/403 are what some orgs answer for a bad cookie;
        # a cookie that cannot even be sent is no session either.
        negative = negative_entry(clock(), config)
        yield CacheSet(key, negative)
        return negative, Resolution(None, Source.MISS)
    except OktaSessionError as exc:
        _note_failure(exc, gate, operation, clock())
        if refreshing:
            backoff.failed(key, clock())
        return entry, _fallback(entry, clock())
    fresh = yield from _store_answer(key, session, asked, clock(), config, previous, refreshing)
    return fresh, Resolution(fresh.session, Source.MISS)


def _follow(
    key: str, claim: Claimed, clock: Clock
) -> Generator[Effect, Any, tuple[CacheEntry | None, Claimed]]:
    """Another worker claimed this cookie: its fresh answer, or ``(None, YOURS)`` when
    this worker is to ask Okta itself after all, or ``(None, other)`` to give up.

    ASKING: it is asking Okta right now, so wait for its entry; the wait ends early
    when the claim says something else. ANSWERED: it stored an answer a moment ago, but
    what this worker read is not that answer. Read again (the answer may have landed
    in between); if it still cannot be used (evicted by Redis's maxmemory, unreadable,
    too large, of another type, past its freshness on this clock), nobody is going to
    bring a better one: take the claim over and ask Okta at once, instead of waiting
    for nothing. At most once: a second unusable answer means give up.
    """
    took_over = False
    while claim is not Claimed.YOURS:
        if claim is Claimed.ASKING:
            shared, claim = yield AwaitEntry(key)
            if shared is not None and is_fresh(shared, clock()):
                return shared, claim
            if claim is Claimed.ASKING:
                break  # waited the whole timeout
        else:  # ANSWERED
            shared = yield CacheGet(key)
            if shared is not None and is_fresh(shared, clock()):
                return shared, claim
            if took_over:
                break
            took_over = True
            claim = yield Claim(key, take_over=True)
    return None, claim


def _refresh(key: str, cookie: str, rules: Rules) -> Generator[Effect, Any, CacheEntry | None]:
    """RefreshCurrentSession once per expiresAt; the cache takes the new expiresAt."""
    config, gate, backoff, clock = rules
    entry: CacheEntry | None = yield CacheGet(key)
    if entry is None or not refresh_due(entry, clock(), config):
        return None
    if not gate.take("refresh_current_session", Spender.KNOWN, clock()):
        return None
    tried = mark_refresh_tried(entry)
    try:
        yield CacheSet(key, tried)  # other requests and workers now skip this expiresAt
    except BaseException:  # closed or the cache failed: no call, nothing in flight
        gate.done("refresh_current_session")
        raise
    asked = clock()
    try:
        session: Session = yield from _call(gate, "refresh_current_session", cookie)
    except (OktaNotFoundError, OktaAuthError, InvalidRequestError):  # as in ``_ask``
        negative = negative_entry(clock(), config)
        yield CacheSet(key, negative)
        return negative
    except OktaSessionError as exc:
        _note_failure(exc, gate, "refresh_current_session", clock())
        backoff.failed(key, clock())
        yield CacheSet(key, entry)  # not answered: try again after the back-off
        return None
    # If Okta capped the session (same expiresAt), it stays marked: never asked again.
    refreshed: CacheEntry = yield from _store_answer(
        key, session, asked, clock(), config, tried, True
    )
    return refreshed


def _probing(
    rules: Rules, operation: Operation, spender: Spender, attempt: Callable[[], Flow]
) -> Generator[Effect, Any, Any]:
    """Run ``attempt()`` (which asks the gate and calls Okta). While the bucket's
    figures are unknown (process start) and the call may not spend the reserve, it runs
    as the bucket's probe: a single flight. A call that finds a probe in flight waits
    for it (its outcome is not ours and is dropped) and then runs its own attempt, the
    figures known by then: real users arriving together are counted, not refused, and
    a burst of made-up cookies sends one call before Okta has told the budget.

    A probe may end without calling Okta (another worker had claimed its cookie), so
    the figures can stay unknown: a waiter then goes on waiting for the next probe,
    which it may run itself, rather than asking the gate past the probe's place (it
    would be refused). Each round lets at least one waiter through, and no waiter
    loops longer than one timeout."""
    started = rules.clock()
    while rules.clock() - started < rules.config.timeout:
        if spender is Spender.KNOWN or rules.gate.known(operation):
            break
        ran: list[bool] = []
        try:
            ok, outcome = yield Coalesce(
                "probe:" + bucket_of(operation), _tagged(attempt(), ran)
            )
        except OktaSessionError:  # waited a whole timeout for the probe
            break
        if ran:
            if ok:
                return outcome
            raise outcome
    return (yield from attempt())


def _tagged(flow: Flow, ran: list[bool]) -> Generator[Effect, Any, tuple[bool, Any]]:
    """``flow``'s outcome as a value (a call that joins it must not see our error),
    noting in ``ran`` that this flow, not a joined one, ran."""
    ran.append(True)
    try:
        return True, (yield from flow)
    except OktaSessionError as exc:
        return False, exc


def _call(gate: RateLimitGate, operation: Operation, argument: str) -> Generator[Effect, Any, Any]:
    """One Okta call the gate admitted (``take``): in flight at the gate until Okta
    answers (any status) or the call fails."""
    answered = False
    try:
        value = yield CallOkta(operation, argument)
        answered = True
        return value
    except OktaRateLimitError:  # a proxy's 429 may carry no figures: says nothing of Okta's
        raise
    except OktaAPIError:
        answered = True
        raise
    finally:
        gate.done(operation, answered=answered)


def _store_answer(
    key: str,
    session: Session,
    asked: float,
    now: float,
    config: OktaSessionConfig,
    previous: CacheEntry | None,
    refreshed: bool,
) -> Generator[Effect, Any, CacheEntry]:
    """Cache what Okta answered with a session (``refreshed``: to a refresh) to the
    question asked at ``asked``, and return the entry stored."""
    if session.expires_at.timestamp() <= now:
        # Okta's clock and ours disagree: never serve a session past its expiresAt.
        entry = negative_entry(now, config)
    else:
        entry = positive_entry(
            session, now, config, previous=previous, refreshed=refreshed, asked_at=asked
        )
    yield CacheSet(key, entry)
    return entry


def _fallback(entry: CacheEntry | None, now: float) -> Resolution:
    """Okta cannot be asked: serve the stale session if allowed, else say "unavailable"."""
    session = stale_usable(entry, now)
    if session is not None:
        return Resolution(session, Source.STALE)
    return Resolution(None, Source.UNAVAILABLE)


def _note_failure(
    exc: OktaSessionError, gate: RateLimitGate, operation: Operation, now: float
) -> None:
    if isinstance(exc, OktaRateLimitError):
        # Only this operation's bucket: a 429 on lookups says nothing about logouts.
        until = gate.close_for(operation, exc.rate_limit.wait_seconds(now), now)
        logger.warning(
            "Okta rate limit reached; no %s calls for %.0f s", operation, until - now
        )
    else:
        # The library's messages name the operation and the cause, never what was sent
        # (errors.py), so the operator sees why: a refused connection, a timeout, a 5xx.
        logger.warning("Okta session call failed: %s: %s", type(exc).__name__, exc)


def logout(
    key: str, cookie: str, rules: Rules, sid: str | None = None, client: str | None = None
) -> Generator[Effect, Any, bool]:
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
    was not cached.
    """
    entry: CacheEntry | None = yield CacheGet(key)
    known = entry is not None and entry.session is not None
    ids = {entry.session.id} if entry is not None and entry.session is not None else set()
    if sid:
        ids.add(sid)
    if entry is None and not ids:
        learned = yield from _session_id_of(cookie, rules, client)
        if learned is not None:
            ids.add(learned)
    spender = Spender.KNOWN if known else Spender.NEW_COOKIE
    closed: bool | None = yield from _probing(
        rules, "close_current_session", spender, lambda: _close(cookie, rules, spender, client)
    )
    if closed is None and not known:
        return False  # kept from Okta: nothing closed, nothing to evict or mark
    yield CacheEvict(key)
    for session_id in sorted(ids):
        yield CacheEvictSession(session_id)
    return bool(closed)


def _close(
    cookie: str, rules: Rules, spender: Spender, client: str | None
) -> Generator[Effect, Any, bool | None]:
    """CloseCurrentSession if the gate admits it: True when closed (or already), False
    (say "try again") when Okta failed, None when the gate refused the call
    (rate-limited, or no reserve for an unknown cookie): Okta was not asked."""
    gate, clock = rules.gate, rules.clock
    if not gate.take("close_current_session", spender, clock(), client):
        return None
    try:
        yield from _call(gate, "close_current_session", cookie)
    except (OktaNotFoundError, OktaAuthError):
        pass
    except OktaSessionError as exc:
        _note_failure(exc, gate, "close_current_session", clock())
        return False
    return True


def _session_id_of(
    cookie: str, rules: Rules, client: str | None = None
) -> Generator[Effect, Any, str | None]:
    """Whose session is this cookie? Asked of Okta (GetCurrentSession) when a logout's
    cookie has no cached session and no ``sid`` cookie names it, under the gate's rules
    for a lookup of such a cookie (``client``: its address). None when refused or when
    Okta cannot say; the logout goes on with the close either way."""
    learned: str | None = yield from _probing(
        rules, "get_current_session", Spender.NEW_COOKIE, lambda: _ask_whose(cookie, rules, client)
    )
    return learned


def _ask_whose(cookie: str, rules: Rules, client: str | None) -> Generator[Effect, Any, str | None]:
    """``_session_id_of``'s call: admitted by the gate, then asked."""
    gate, clock = rules.gate, rules.clock
    if not gate.take("get_current_session", Spender.NEW_COOKIE, clock(), client):
        return None
    try:
        session: Session = yield from _call(gate, "get_current_session", cookie)
    except (OktaNotFoundError, OktaAuthError, InvalidRequestError):
        return None  # no session (or none this cookie can name): nothing more to evict
    except OktaSessionError as exc:
        _note_failure(exc, gate, "get_current_session", clock())
        return None
    return session.id


def revoke(session_id: str) -> Generator[Effect, Any, bool]:
    """RevokeSession by id (admin), then evict it everywhere; False if Okta had no such session.

    Any other failure is raised to the caller and nothing is evicted: Okta still
    has the session, so the cache is still right about it.
    """
    found = True
    try:
        yield CallOkta("revoke_session", session_id)
    except OktaNotFoundError:
        found = False
    yield CacheEvictSession(session_id)
    return found


def login(
    session_token: str, key_for: Callable[[str], str], rules: Rules, client: str | None = None
) -> Generator[Effect, Any, Session]:
    """CreateSession from a sessionToken; prime the cache for the ``sid`` cookie it makes.

    Okta counts CreateSession in the same sessions bucket as lookups and logouts, and
    anyone with an account can repeat it: a sign-in may spend half of the reserve
    (cached sessions keep the rest) and its ``client`` address's sign-in allowance.
    Refused, it raises ``SignInThrottledError`` before any call."""
    session: Session = yield from _probing(
        rules, "create_session", Spender.SIGN_IN, lambda: _create(session_token, rules, client)
    )
    yield CacheSet(key_for(session.id), positive_entry(session, rules.clock(), rules.config))
    return session


def _create(
    session_token: str, rules: Rules, client: str | None
) -> Generator[Effect, Any, Session]:
    """CreateSession if the gate admits this sign-in, else ``SignInThrottledError``."""
    gate, clock = rules.gate, rules.clock
    if not gate.take("create_session", Spender.SIGN_IN, clock(), client):
        raise SignInThrottledError()
    try:
        session: Session = yield from _call(gate, "create_session", session_token)
    except OktaRateLimitError as exc:
        _note_failure(exc, gate, "create_session", clock())
        raise
    return session
