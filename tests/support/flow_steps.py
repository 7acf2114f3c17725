"""Step a flow of the engine by hand: a cache made of dicts, Okta's answers from a function.

For tests whose point is one decision of the flow (what it serves, what it stores) at a
moment the test chooses: ``okta`` may run another flow (a logout) "while the call is
in flight" before it answers or raises.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.utils import formatdate
from typing import Any, NamedTuple

import httpx

from okta_session_mw.cache.entry import CacheEntry, Claimed
from okta_session_mw.cache.protocol import GATE_OPERATIONS
from okta_session_mw.config import OktaSessionConfig
from okta_session_mw.engine.effects import (
    Background,
    CacheOp,
    Flow,
    Parse,
    Send,
    Share,
    Sleep,
    step,
)
from okta_session_mw.engine.limits import RateLimitGate
from okta_session_mw.engine.refresh_backoff import RefreshBackoff
from okta_session_mw.engine.rules import Rules
from okta_session_mw.engine.stats import SessionStats
from okta_session_mw.okta.clients import OktaSessionClient
from okta_session_mw.okta.session import Session

MONOTONIC = [0.0]
"""The flows' monotonic clock in these tests: a ``Sleep`` moves it a whole hour on, so
a wait for another worker's answer ends after one poll (nobody answered meanwhile)."""


class OktaCall(NamedTuple):
    """The Okta operation a flow's ``Send`` asks for, and its argument (cookie or id)."""

    operation: str
    argument: str


def live_session(expires_at: float, session_id: str = "s1", user_id: str | None = None) -> Session:
    """An ACTIVE session of ``session_id`` ending at ``expires_at`` (epoch seconds), of
    the Okta user ``user_id`` when given."""
    expires = datetime.fromtimestamp(expires_at, tz=timezone.utc).isoformat()
    okta = {"id": session_id, "status": "ACTIVE", "expiresAt": expires}
    if user_id is not None:
        okta["userId"] = user_id
    return Session.from_okta(okta)


def okta_call(request: httpx.Request) -> OktaCall:
    """Which operation ``request`` is (by method and path), with its argument."""
    path, method = request.url.path, request.method
    if path.startswith("/api/v1/sessions/me"):
        operation = {
            "GET": "get_current_session",
            "POST": "refresh_current_session",
            "DELETE": "close_current_session",
        }[method]
        return OktaCall(operation, request.headers["cookie"])
    if path == "/api/v1/sessions":
        return OktaCall("create_session", request.content.decode())
    return OktaCall("revoke_session", path.rsplit("/", 1)[1])


def answer(result: object) -> httpx.Response:
    """What Okta would send for ``result`` (a Session, or None: no content); a canned
    ``httpx.Response`` is sent as it is (``canned``: an error, rate-limit figures)."""
    if isinstance(result, httpx.Response):
        return result
    if isinstance(result, Session):
        return httpx.Response(200, json=result.to_okta())
    return httpx.Response(204)


def canned(
    status: int,
    body: object = None,
    *,
    limit: int | None = None,
    remaining: int | None = None,
    reset: float | None = None,
    date: float | None = None,
) -> httpx.Response:
    """An answer of Okta's with ``X-Rate-Limit-*`` figures (``reset``, ``date``: epoch
    seconds; ``date`` is Okta's clock) and a JSON ``body`` (a Session: its JSON)."""
    headers: dict[str, str] = {}
    for name, value in (("Limit", limit), ("Remaining", remaining), ("Reset", reset)):
        if value is not None:
            headers[f"X-Rate-Limit-{name}"] = str(int(value))
    if date is not None:
        headers["Date"] = formatdate(date, usegmt=True)
    if isinstance(body, Session):
        body = body.to_okta()
    if body is None:
        return httpx.Response(status, headers=headers)
    return httpx.Response(status, headers=headers, json=body)


@dataclass
class DictCache:
    """The cache protocol's rules, with no expiry: ends are remembered for good (a
    user's end with its time, ``ended_users``: answers asked by then are refused)."""

    entries: dict[str, CacheEntry] = field(default_factory=dict)
    ended_keys: set[str] = field(default_factory=set)
    ended_ids: set[str] = field(default_factory=set)
    ended_users: dict[str, float] = field(default_factory=dict)
    clock: Callable[[], float] = lambda: 0.0

    def set(self, key: str, entry: CacheEntry) -> None:
        session = entry.session
        if session is not None and self.ended(
            key, session.id, entry.fetched_at, session.user_id or ""
        ):
            self.entries.pop(key, None)
        else:
            self.entries[key] = entry

    def ended(
        self, key: str, session_id: str, asked_at: float = float("-inf"), user_id: str = ""
    ) -> bool:
        if key in self.ended_keys or session_id in self.ended_ids:
            return True
        return user_id in self.ended_users and asked_at <= self.ended_users[user_id]


Okta = Callable[[OktaCall], Any]
"""Answers one call (or raises the ``OktaSessionError`` the flow should see)."""


@dataclass
class Stepper:
    """Runs flows against one ``DictCache``; remembers each single flight's result, so
    a later run can "join" a flight that began earlier (``join=True``).

    ``claims``: what other workers make each claim, and each poll while another
    worker asks, answer, in order (then YOURS: nobody else asks); ``claimed`` records
    those steps ("claim", "take over", "await": one poll).

    ``running``: single flights another flow is running, by key, with what a flow
    joining one gets (its result, or the exception it raises: a follower's timeout);
    ``meanwhile``: what other workers do during each ``Sleep`` (a poll's wait).

    ``background``: the flows a ``Background`` effect started (by key, one per key as
    a runner keeps them), run only when the test says so (``run_background``): the
    request that started one has had its answer by then."""

    cache: DictCache
    okta: Okta
    calls: list[str] = field(default_factory=list)
    flights: dict[str, Any] = field(default_factory=dict)
    claims: list[Claimed] = field(default_factory=list)
    claimed: list[str] = field(default_factory=list)
    running: dict[str, object] = field(default_factory=dict)
    meanwhile: Callable[[], None] | None = None
    background: dict[str, Flow[Any]] = field(default_factory=dict)
    _polling: bool = False

    def run_background(self) -> list[str]:
        """Run the background flows started so far, in order; their keys."""
        started, self.background = self.background, {}
        for flow in started.values():
            self.run(flow)
        return list(started)

    def run(self, flow: Flow[Any], *, join: bool = False) -> Any:
        value: Any = None
        error: BaseException | None = None
        while True:
            done, effect = step(flow, value, error)
            if done:
                return effect
            value, error = None, None
            try:
                value = self.perform(effect, join)
            except Exception as exc:  # thrown into the flow, as a runner does
                error = exc

    def perform(self, effect: Any, join: bool = False) -> Any:
        """Perform one effect (``flow_interleave`` uses this for the cache and sleeps)."""
        if isinstance(effect, CacheOp):
            return self._cache_op(effect)
        if isinstance(effect, Send):
            call = okta_call(effect.request)
            self.calls.append(call.operation)
            return answer(self.okta(call))
        if isinstance(effect, Sleep):  # a poll for another worker's answer
            self.claimed.append("await")
            self._polling = True
            MONOTONIC[0] += 3600
            if self.meanwhile is not None:
                self.meanwhile()
            return None
        if isinstance(effect, Parse):
            return None
        if isinstance(effect, Background):
            if effect.key in self.background:
                effect.flow.close()
            else:
                self.background[effect.key] = effect.flow
            return None
        assert isinstance(effect, Share)
        if effect.key in self.running:  # another flow runs it: join, as a runner does
            effect.flow.close()
            outcome = self.running[effect.key]
            if isinstance(outcome, BaseException):
                raise outcome
            return outcome
        if effect.follow_for is None:
            return self.run(effect.flow)
        if join and effect.key in self.flights:
            effect.flow.close()
            return self.flights[effect.key]
        result = self.flights[effect.key] = self.run(effect.flow)
        return result

    def _cache_op(self, effect: CacheOp) -> Any:
        if effect.operation in GATE_OPERATIONS:  # no shared gate: the local gate decides
            return None
        cache, arguments = self.cache, effect.arguments
        key = str(arguments[0])
        if effect.operation == "get":
            return cache.entries.get(key)
        if effect.operation == "set":
            entry = arguments[1]
            assert isinstance(entry, CacheEntry)
            return cache.set(key, entry)
        if effect.operation == "evict":
            cache.entries.pop(key, None)
            cache.ended_keys.add(key)
            return None
        if effect.operation == "evict_session":
            for cached, entry in list(cache.entries.items()):
                if entry.session is not None and entry.session.id == key:
                    del cache.entries[cached]
            cache.ended_ids.add(key)
            return None
        if effect.operation == "evict_user":
            for cached, entry in list(cache.entries.items()):
                if entry.session is not None and entry.session.user_id == key:
                    del cache.entries[cached]
            cache.ended_users[key] = cache.clock()
            return None
        if effect.operation == "ended":
            asked_at = arguments[2] if len(arguments) > 2 else float("-inf")
            user_id = arguments[3] if len(arguments) > 3 else ""
            assert isinstance(asked_at, float) and isinstance(user_id, str)
            return cache.ended(key, str(arguments[1]), asked_at, user_id)
        if effect.operation == "release":
            self.claimed.append("release")
            return None
        assert effect.operation == "claim"
        if not self._polling:  # a poll's claim belongs to its "await"
            self.claimed.append("take over" if effect.keywords.get("take_over") else "claim")
        self._polling = False
        return self.claims.pop(0) if self.claims else Claimed.YOURS


def rules_at(
    now: list[float], config: OktaSessionConfig, gate: RateLimitGate | None = None
) -> Rules:
    """Fresh per-service state on a clock the test moves (``now[0]``); requests built
    by a real client (never sent: the ``Stepper`` answers them), which reports each
    answer's ``X-Rate-Limit-*`` figures to the gate at ``now[0]``, as the service's do."""
    gate = RateLimitGate() if gate is None else gate
    client = OktaSessionClient(config.org_url, api_token="test-token")
    client.add_rate_limit_listener(
        lambda operation, figures: gate.observe(operation, figures, now[0])
    )
    return Rules(
        config, gate, RefreshBackoff(), lambda: now[0], client, SessionStats(), lambda: MONOTONIC[0]
    )
