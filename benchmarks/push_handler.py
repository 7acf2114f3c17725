"""The event hook handler's cost per delivered event, with the Redis and in-process caches.

For N events per delivery (1 and 50 by default): open N sessions at a served fake Okta
(a user each), cache each through a ``SessionService`` (one lookup each), end them at
the fake (which logs one ``user.session.end`` per session, in Okta's shape, naming the
session and its user), wrap those events in Okta's delivery envelope, and time
``service.end_pushed(body)`` over ``rounds`` such deliveries (each event's ``uuid`` is
new, so none is skipped as a retry). Each event costs two evictions (the session, and
the user's sessions); with Redis those are two round trips to ``redis-server``.
Afterwards every ended cookie must resolve to no session.
"""

from __future__ import annotations

import json
import time

from benchmarks.okta_fixture import ServedOkta, served_okta
from benchmarks.table import Row, us
from okta_session_mw import SessionService
from okta_session_mw.testing.fake_log_json import hook_envelope

__all__ = ["DEFAULT_ROUNDS", "HOOK_SECRET", "SECRET_KEY", "rows"]

DEFAULT_ROUNDS = {1: 200, 50: 10}
"""Events per delivery -> deliveries timed."""
SECRET_KEY = "benchmark-shared-secret-0123456789"
HOOK_SECRET = "benchmark-event-hook-secret-0123456789"


def _deliveries(okta: ServedOkta, service: SessionService, size: int, rounds: int) -> tuple[
    list[bytes], list[str]
]:  # fmt: skip
    """``rounds`` delivery bodies of ``size`` events each, and the cookies they end."""
    fake = okta.fake
    bodies: list[bytes] = []
    cookies: list[str] = []
    for _ in range(rounds):
        ids = []
        for _ in range(size):
            login = f"user{len(okta.logins)}@example.com"
            fake.add_user(login, "correct horse")
            okta.logins.append(login)
            ids.append(fake.create_session(login))
        batch = [fake.cookie_header(i) for i in ids]
        for cookie in batch:
            if service.resolve(cookie).session is None:
                raise RuntimeError("a fresh session was not cached")
        before = {e["uuid"] for e in fake.log_events}
        for session_id in ids:
            fake.revoke(session_id)
        events = [e for e in fake.log_events if e["uuid"] not in before]
        envelope = hook_envelope(events, org_url=okta.base_url, hook_id="who0bench", event_time=0)
        bodies.append(json.dumps(envelope).encode())
        cookies += batch
    return bodies, cookies


def _per_event(cache_url: str | None, size: int, rounds: int) -> float:
    """Seconds of ``end_pushed`` per event, over ``rounds`` deliveries of ``size``."""
    with served_okta() as okta:
        config = okta.config(
            cache_url=cache_url, secret_key=SECRET_KEY, event_hook_secrets=(HOOK_SECRET,),
            new_cookie_lookups_per_minute=0,
        )  # fmt: skip
        service = SessionService(config)
        try:
            warm_up, _ = _deliveries(okta, service, size, 1)
            service.end_pushed(warm_up[0])  # connections, scripts loaded: not timed
            bodies, cookies = _deliveries(okta, service, size, rounds)
            started = time.perf_counter()
            for body in bodies:
                if service.end_pushed(body).status != 200:
                    raise RuntimeError("a delivery was refused")
            elapsed = time.perf_counter() - started
            if any(service.resolve(cookie).session is not None for cookie in cookies):
                raise RuntimeError("an ended session was still served")
        finally:
            service.close()
    return elapsed / (size * rounds)


def rows(redis_url: str | None, *, rounds: dict[int, int] | None = None) -> list[Row]:
    """One row per cache and delivery size; Redis rows only when ``redis_url`` is given."""
    caches: list[tuple[str, str | None]] = [("in-process", None)]
    if redis_url is not None:
        caches.insert(0, ("Redis", redis_url))
    result: list[Row] = []
    for name, url in caches:
        for size, count in (rounds or DEFAULT_ROUNDS).items():
            cost = _per_event(url, size, count)
            result.append(
                Row(
                    f"handler, {name} cache: {size} event{'s' if size > 1 else ''}/delivery",
                    f"{us(cost)} per event",
                    f"{count} deliveries timed",
                )
            )
    return result
