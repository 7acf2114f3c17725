"""Attacks on the shared rate-limit gate (issue 14.2, 14.3) through the Redis every
worker shares: what one write to that Redis can do to the workers that read it.

A real worker (``SessionService``) talks to the fake Okta over HTTP on loopback and
to a real ``redis-server``. The writer of the poisoned keys only uses the key names
the gate itself uses (``*g:<org>:x:<bucket>``, ``*g:<org>:f:<bucket>``,
``*g:<org>:slots``). Brought in from the attack review (attack-1, test_attack_01..07).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
import redis

from okta_session_mw import SessionService
from okta_session_mw.engine.limits import MAX_RATE_LIMIT_PAUSE
from okta_session_mw.engine.resolution import Source
from okta_session_mw.testing import FakeOkta
from okta_session_mw.testing.redis_server import RedisServer
from tests.support.fake_helpers import me_calls
from tests.support.gate_workers import LOGIN, LOOKUPS, gate_config, served_okta

pytest_plugins = ["tests.support.redis_fixtures"]  # redis_server, redis_client

YEARS = 10**12  # ms: about 31 years


class Clock:
    """The worker's clock, moved by the test (epoch seconds)."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def okta() -> Iterator[FakeOkta]:
    with served_okta() as fake:
        yield fake


def worker(
    okta: FakeOkta, url: str, clock: Clock | None = None, **settings: object
) -> SessionService:
    config = gate_config(okta, url, **settings)
    return SessionService(config) if clock is None else SessionService(config, clock=clock)


def gate_of(client: redis.Redis) -> str:
    """The start of the gate's key names (the cache's prefix with H3's hash tag, then
    ``g:<org>:``), read off the gate's own keys."""
    names = client.keys("*g:*:f:*")
    assert names, "the worker has shared no figures yet"
    name = names[0]
    return (name.decode() if isinstance(name, bytes) else str(name)).split(":f:")[0] + ":"


def heals(
    service: SessionService, okta: FakeOkta, redis_client: redis.Redis, clock: Clock, what: str
) -> None:
    """The operator cleans Redis; once longer than any real 429 could close a bucket has
    passed, a real user's new cookie is looked up at Okta, once (else ``what``)."""
    redis_client.flushall()
    clock.now += MAX_RATE_LIMIT_PAUSE + 1
    okta.clear_calls()
    ann = okta.cookie_header(okta.create_session(LOGIN))
    assert service.resolve(ann).source is Source.MISS, what
    assert me_calls(okta) == 1


def made_up() -> str:
    return "sid=102" + secrets.token_hex(12)


def test_i14_60_a_poisoned_shared_pause_outlives_its_key_for_good(
    okta: FakeOkta, redis_server: RedisServer, redis_client: redis.Redis
) -> None:
    """No honest worker writes a pause longer than ``MAX_RATE_LIMIT_PAUSE`` (every 429's
    pause is ``bounded_pause``-ed), but a worker takes in whatever ``closed_ms`` Redis
    answers, unbounded, into its own ``closed_until``. One write of a 31-year pause
    therefore shuts that bucket in every worker that reads it until it is restarted:
    deleting the key (or FLUSHALL) does not help, and real users' re-checks are
    refused as well as made-up cookies. Now the gate script drops a pause no honest
    worker writes (so it is not obeyed at all), and the worker bounds whatever pause it
    learns (the pure bound: test_i14_68)."""
    clock = Clock(okta.now())
    service = worker(okta, redis_server.url, clock)
    try:
        assert service.resolve(made_up()).source is Source.MISS  # figures shared
        gate = gate_of(redis_client)
        redis_client.set(gate + "x:" + LOOKUPS, "1", px=YEARS)
        assert service.resolve(made_up()).source is Source.MISS  # no honest pause: dropped
        assert redis_client.exists(gate + "x:" + LOOKUPS) == 0
        heals(service, okta, redis_client, clock, "the poisoned pause never ends")
    finally:
        service.close()


def test_i14_61_a_poisoned_shared_window_stops_every_lookup_for_good(
    okta: FakeOkta, redis_server: RedisServer, redis_client: redis.Redis
) -> None:
    """The shared figures' window is learned with its key's PTTL as "ms until the window
    turns", unbounded (``shared_gate.learn``): remaining 0 in a window that "ends" in 31
    years refuses every spender (a known session's floor is 0) on that worker for good,
    after the key is gone, and no Okta answer can correct it since none is ever asked.
    An honest window is at most ``MAX_RATE_LIMIT_PAUSE`` long (``observe``): the gate
    script now drops a longer one and seeds the window afresh from the worker's count,
    and the worker bounds whatever window it learns (the pure bound: test_i14_68)."""
    clock = Clock(okta.now())
    service = worker(okta, redis_server.url, clock)
    try:
        assert service.resolve(made_up()).source is Source.MISS
        for name in redis_client.keys("*g:*:f:*"):
            redis_client.hset(name, mapping={"remaining": 0, "reset": 2**40})
            redis_client.pexpire(name, YEARS)
        ann = okta.cookie_header(okta.create_session(LOGIN))
        assert service.resolve(ann).source is Source.MISS  # not an honest window: dropped
        for name in redis_client.keys("*g:*:f:*"):
            assert 0 < redis_client.pttl(name) <= MAX_RATE_LIMIT_PAUSE * 1000
        heals(service, okta, redis_client, clock, "the poisoned window never turns")
    finally:
        service.close()


def test_i14_62_an_unreadable_gate_figure_makes_logout_raise(
    okta: FakeOkta, redis_server: RedisServer, redis_client: redis.Redis
) -> None:
    """A figure that is not a number (``limit`` = "x") makes the gate script answer a
    reply one item short, and ``gate_ops._verdict`` raises ValueError outside
    ``_run``'s failure handling: ``logout`` (and the logout route: a 500) raises,
    nothing is closed at Okta, nothing evicted. The rest of the cache refuses such
    values unread and reports them (``ops.py``); the gate should too (no shared gate:
    the process's own decides)."""
    service = worker(okta, redis_server.url)
    try:
        ann = okta.cookie_header(okta.create_session(LOGIN))
        assert service.resolve(ann).source is Source.MISS  # cached: a known session
        for name in redis_client.keys("*g:*:f:*"):
            redis_client.hset(name, "limit", "x")
        assert service.logout(ann) is True  # ValueError: not enough values to unpack
        assert len(okta.calls_to("DELETE", "/api/v1/sessions/me")) == 1
    finally:
        service.close()


def test_i14_63_an_unreadable_gate_figure_fails_every_lookup_with_a_traceback(
    okta: FakeOkta,
    redis_server: RedisServer,
    redis_client: redis.Redis,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The same unreadable figure: every lookup that needs Okta ends in
    ``finish``'s catch-all (``logger.exception``: a traceback per request) and reads as
    unavailable, for every worker, as long as the key lives, instead of the local
    gate deciding as during a Redis outage."""
    service = worker(okta, redis_server.url)
    try:
        assert service.resolve(made_up()).source is Source.MISS
        for name in redis_client.keys("*g:*:f:*"):
            redis_client.hset(name, "limit", "x")
        okta.clear_calls()
        ann = okta.cookie_header(okta.create_session(LOGIN))
        assert service.resolve(ann).source is Source.MISS
        assert me_calls(okta) == 1
        assert "failed unexpectedly" not in caplog.text
    finally:
        service.close()


def test_i14_64_a_wrong_typed_gate_key_turns_the_shared_cache_off(
    okta: FakeOkta, redis_server: RedisServer, redis_client: redis.Redis
) -> None:
    """A gate key of another type (``g:slots`` a string) makes the gate script fail
    with WRONGTYPE, which ``_run`` counts as Redis down: every worker then skips Redis
    for everything (entries, ends) for ``retry_interval`` after each gate op. The
    first worker's lookup so never stores its answer, and leaves its claim in Redis:
    the second worker waits a whole timeout on that claim and answers unavailable for a
    real user (on this code). The cache's own ops refuse a wrong-typed key unread and
    report it; the gate's do not."""
    first, second = worker(okta, redis_server.url), worker(okta, redis_server.url)
    try:
        assert first.resolve(made_up()).source is Source.MISS
        gate = gate_of(redis_client)
        redis_client.delete(gate + "slots")
        redis_client.set(gate + "slots", "not a sorted set")
        okta.clear_calls()
        ann = okta.cookie_header(okta.create_session(LOGIN))
        assert first.resolve(ann).source is Source.MISS
        assert second.resolve(ann).source is Source.HIT, "the first worker never stored it"
        assert me_calls(okta) == 1
    finally:
        first.close()
        second.close()


def test_i14_65_poisoned_leases_hold_every_call_slot_forever(
    okta: FakeOkta, redis_server: RedisServer, redis_client: redis.Redis
) -> None:
    """An honest lease lives ``timeout`` + 1 s (``LEASE_MARGIN``), but ``GATE_SLOT``
    keeps any lease scored in the future: 50 leases "expiring" in 31 years hold every
    slot of the cluster until someone finds and deletes them; every Okta call of every
    worker waits its whole timeout for a slot and fails."""
    service = worker(okta, redis_server.url, max_concurrent_okta_calls=50)
    try:
        assert service.resolve(made_up()).source is Source.MISS
        gate = gate_of(redis_client)
        (now_s, now_us) = redis_client.time()
        far = now_s * 1000 + now_us // 1000 + YEARS
        redis_client.zadd(gate + "slots", {f"x{i}": far for i in range(50)})
        okta.clear_calls()
        ann = okta.cookie_header(okta.create_session(LOGIN))
        assert service.resolve(ann).source is Source.MISS, "no slot for a real user"
        assert me_calls(okta) == 1
    finally:
        service.close()


def test_i14_66_a_429_at_one_org_closes_another_orgs_app_on_a_shared_redis(
    okta: FakeOkta, redis_server: RedisServer, redis_client: redis.Redis
) -> None:
    """Two apps on one Redis, each with its own Okta org and its own ``secret_key``,
    both with the default ``cache_prefix``: their cache entries never meet (names are
    HMACs under each secret), but the gate's keys are named by the bucket alone
    (``g:x:GET /api/v1/sessions/me``). An outsider who floods the first app until its
    org answers 429 closes the second app's lookups too, though its own org never
    refused anything: real users of the second app are refused."""
    with served_okta() as other:
        first = worker(okta, redis_server.url)
        another = "another-app-another-secret-0123456789"
        second = SessionService(gate_config(other, redis_server.url, secret_key=another))
        try:
            okta.rate_limit_until(okta.now() + 30, bucket=LOOKUPS)
            assert first.resolve(made_up()).source is Source.UNAVAILABLE  # its org's 429
            ann = other.cookie_header(other.create_session(LOGIN))
            assert second.resolve(ann).source is Source.MISS, "closed by another org's 429"
            assert me_calls(other) == 1
        finally:
            first.close()
            second.close()
