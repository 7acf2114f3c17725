"""The runners keep a request's whole wait on Okta within ``timeout`` (behaviour 7): a
429's retry sleep, a poll for another worker's answer and the thread hop before parsing
a large answer are all under the request's deadline, as the whole client call and the
poll were under the drivers' before issue 11 (regressions found by its review).
"""

from __future__ import annotations

import math
import time

import pytest

from okta_session_mw import SessionService
from okta_session_mw.cache.entry import CacheEntry, Claimed
from okta_session_mw.okta.clients import AsyncOktaSessionClient, OktaSessionClient
from okta_session_mw.testing import FakeOkta
from tests.support.apps import make_config

TIMEOUT = 1.0


def test_i11_02_sync_429_retry_sleep_passes_the_timeout(okta: FakeOkta) -> None:
    """An app that hands the service its own client with ``max_retries`` (for a proxy,
    TLS...) gets requests that sleep out a 429 far past ``timeout`` (behaviour 7)."""
    assert okta.base_url is not None
    client = OktaSessionClient(okta.base_url, max_retries=2, max_retry_wait=30.0)
    service = SessionService(make_config(okta, timeout=TIMEOUT), client=client)
    okta.rate_limit_until(time.time() + 3)
    started = time.monotonic()
    resolution = service.resolve("sid=made-up-cookie")
    elapsed = time.monotonic() - started
    service.close()
    client.close()
    assert resolution.unavailable
    assert elapsed < TIMEOUT + 0.5, f"the request waited {elapsed:.1f} s on Okta"


async def test_i11_02_async_429_retry_sleep_passes_the_timeout(okta: FakeOkta) -> None:
    assert okta.base_url is not None
    service = SessionService(
        make_config(okta, timeout=TIMEOUT),
        async_client_factory=lambda: AsyncOktaSessionClient(
            okta.base_url or "", max_retries=2, max_retry_wait=30.0
        ),
    )
    okta.rate_limit_until(time.time() + 3)
    started = time.monotonic()
    resolution = await service.aresolve("sid=made-up-cookie")
    elapsed = time.monotonic() - started
    await service.aclose()
    assert resolution.unavailable
    assert elapsed < TIMEOUT + 0.5, f"the request waited {elapsed:.1f} s on Okta"


class _SlowThenAskingCache:
    """A shared cache (as Redis would be) that is slow for a moment, and where another
    worker holds the cookie's claim (it crashed, or Okta is slow for it)."""

    local = False

    def __init__(self, slow_reads: int, delay: float) -> None:
        self.slow_reads = slow_reads
        self.delay = delay

    def get(self, key: str) -> CacheEntry | None:
        if self.slow_reads:
            self.slow_reads -= 1
            time.sleep(self.delay)
        return None

    def claim(self, key: str, ttl: float, *, take_over: bool = False) -> Claimed:
        return Claimed.ASKING

    def release(self, key: str) -> None: ...
    def set(self, key: str, entry: CacheEntry) -> None: ...
    def evict(self, key: str) -> None: ...
    def evict_session(self, session_id: str) -> None: ...

    def evict_user(self, user_id: str) -> None: ...

    def ended(
        self, key: str, session_id: str, asked_at: float = -math.inf, user_id: str = ""
    ) -> bool:
        return False

    async def aget(self, key: str) -> CacheEntry | None:
        return self.get(key)

    async def aclaim(self, key: str, ttl: float, *, take_over: bool = False) -> Claimed:
        return self.claim(key, ttl, take_over=take_over)

    async def arelease(self, key: str) -> None: ...
    async def aset(self, key: str, entry: CacheEntry) -> None: ...
    async def aevict(self, key: str) -> None: ...
    async def aevict_session(self, session_id: str) -> None: ...

    async def aevict_user(self, user_id: str) -> None: ...

    async def aended(
        self, key: str, session_id: str, asked_at: float = -math.inf, user_id: str = ""
    ) -> bool:
        return False


@pytest.mark.parametrize("colour", ["sync", "async"])
async def test_i11_02_following_another_worker_ignores_the_request_deadline(
    okta: FakeOkta, colour: str
) -> None:
    """Two slow reads take 0.9 s of the request's 1 s; following the other worker's
    claim should get the 0.1 s left (the old driver's ``AwaitEntry`` did), not 1 s more."""
    cache = _SlowThenAskingCache(slow_reads=2, delay=0.45)
    service = SessionService(make_config(okta, timeout=TIMEOUT), cache=cache)
    started = time.monotonic()
    if colour == "sync":
        resolution = service.resolve("sid=some-cookie")
    else:
        resolution = await service.aresolve("sid=some-cookie")
    elapsed = time.monotonic() - started
    await service.aclose()
    assert resolution.unavailable
    assert elapsed < TIMEOUT + 0.3, f"the request waited {elapsed:.2f} s (timeout {TIMEOUT})"


async def test_i11_02_async_large_body_parse_step_is_outside_the_bound(okta: FakeOkta) -> None:
    """A body over 64 KiB is parsed after the runner's ``PARSE`` step on a worker thread
    (``AsyncRunner.run``). Before the refactor that thread hop ran inside the driver's
    ``wait_for(..., budget)``; now nothing bounds it: while anyio's worker threads (shared
    with every sync Starlette endpoint) are busy, the request waits for one past
    ``timeout``."""
    import anyio
    import anyio.to_thread

    service = SessionService(make_config(okta, timeout=TIMEOUT))
    okta.inject(body=b'{"id": "' + b"x" * 70_000 + b'"}', path_prefix="/api/v1/sessions/me")
    limiter = anyio.to_thread.current_default_thread_limiter()
    tokens, limiter.total_tokens = limiter.total_tokens, 1
    try:
        async with anyio.create_task_group() as busy:
            # the app's own sync endpoints hold every worker thread for a while
            busy.start_soon(anyio.to_thread.run_sync, time.sleep, 3.0)
            await anyio.sleep(0.05)
            started = time.monotonic()
            resolution = await service.aresolve("sid=some-cookie")
            elapsed = time.monotonic() - started
    finally:
        limiter.total_tokens = tokens
        await service.aclose()
    assert resolution.unavailable
    assert elapsed < TIMEOUT + 0.5, f"the request waited {elapsed:.2f} s (timeout {TIMEOUT})"
