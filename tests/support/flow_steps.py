"""Step a flow of ``flow.py`` by hand: a cache made of dicts, Okta's answers from a function.

For tests whose point is one decision of the flow (what it serves, what it stores) at a
moment the test chooses: ``okta`` may run another flow (a logout) "while the call is
in flight" before it answers or raises.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from okta_session_mw.cache.memory import CacheEntry, Claimed
from okta_session_mw.config import OktaSessionConfig
from okta_session_mw.engine.flow import (
    AwaitEntry,
    CacheEvict,
    CacheEvictSession,
    CacheGet,
    CacheSet,
    CallOkta,
    Claim,
    Coalesce,
    Ended,
    Flow,
    Rules,
    Solo,
)
from okta_session_mw.engine.limits import RateLimitGate
from okta_session_mw.engine.policy import RefreshBackoff


@dataclass
class DictCache:
    """The cache protocol's rules, with no expiry: ends are remembered for good."""

    entries: dict[str, CacheEntry] = field(default_factory=dict)
    ended_keys: set[str] = field(default_factory=set)
    ended_ids: set[str] = field(default_factory=set)

    def set(self, key: str, entry: CacheEntry) -> None:
        if entry.session is not None and self.ended(key, entry.session.id):
            self.entries.pop(key, None)
        else:
            self.entries[key] = entry

    def ended(self, key: str, session_id: str) -> bool:
        return key in self.ended_keys or session_id in self.ended_ids


Okta = Callable[[CallOkta], Any]
"""Answers one call (or raises the ``OktaSessionError`` the flow should see)."""


@dataclass
class Stepper:
    """Runs flows against one ``DictCache``; remembers each single flight's result, so
    a later run can "join" a flight that began earlier (``join=True``).

    ``claims``: what other workers make each ``Claim`` and ``AwaitEntry`` answer, in
    order (then YOURS: nobody else asks); ``claimed`` records those effects."""

    cache: DictCache
    okta: Okta
    calls: list[str] = field(default_factory=list)
    flights: dict[str, Any] = field(default_factory=dict)
    claims: list[Claimed] = field(default_factory=list)
    claimed: list[str] = field(default_factory=list)

    def run(self, flow: Flow, *, join: bool = False) -> Any:
        value: Any = None
        error: Exception | None = None
        while True:
            try:
                effect = flow.throw(error) if error is not None else flow.send(value)
            except StopIteration as stop:
                return stop.value
            value, error = None, None
            try:
                value = self._perform(effect, join)
            except Exception as exc:  # thrown into the flow, as a driver does
                error = exc

    def _perform(self, effect: Any, join: bool) -> Any:
        cache = self.cache
        if isinstance(effect, CacheGet):
            return cache.entries.get(effect.key)
        if isinstance(effect, CacheSet):
            return cache.set(effect.key, effect.entry)
        if isinstance(effect, CacheEvict):
            cache.entries.pop(effect.key, None)
            cache.ended_keys.add(effect.key)
            return None
        if isinstance(effect, CacheEvictSession):
            for key, entry in list(cache.entries.items()):
                if entry.session is not None and entry.session.id == effect.session_id:
                    del cache.entries[key]
            cache.ended_ids.add(effect.session_id)
            return None
        if isinstance(effect, Ended):
            return cache.ended(effect.key, effect.session_id)
        if isinstance(effect, Claim):
            self.claimed.append("take over" if effect.take_over else "claim")
            return self.claims.pop(0) if self.claims else Claimed.YOURS
        if isinstance(effect, AwaitEntry):
            self.claimed.append("await")
            claim = self.claims.pop(0) if self.claims else Claimed.YOURS
            return cache.entries.get(effect.key), claim
        if isinstance(effect, CallOkta):
            self.calls.append(effect.operation)
            return self.okta(effect)
        if isinstance(effect, Coalesce):
            if join and effect.key in self.flights:
                effect.flow.close()
                return self.flights[effect.key]
            result = self.flights[effect.key] = self.run(effect.flow)
            return result
        assert isinstance(effect, Solo)
        return self.run(effect.flow)


def rules_at(now: list[float], config: OktaSessionConfig) -> Rules:
    """Fresh per-service state on a clock the test moves (``now[0]``)."""
    return Rules(config, RateLimitGate(), RefreshBackoff(), lambda: now[0])
