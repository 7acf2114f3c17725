"""The doctor (issue 15.6) against hostile peers: an org or a Redis that answers slowly,
a byte at a time, each byte within every per-read timeout, or that answers too much;
and a worker's start-up (its ``secret_key`` mark) against such a Redis.

The doctor is run as an operator runs it, in a real subprocess; the hostile peer is a
real TCP server on loopback. A doctor that never ends fails the test after a generous
bound (the bound is the behaviour: each network check waits at most its deadline,
``--deadline`` or three times ``OKTA_TIMEOUT``, 3 s here). Tests 90 and 91 are the attack
review's tests 20 and 21.
"""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis

from okta_session_mw import OktaSessionConfig
from okta_session_mw.testing import serve_asgi
from tests.support.doctor_runs import DoctorRun
from tests.support.drip_server import DripServer
from tests.support.okta_users import API_TOKEN

BOUND = 30.0  # seconds: OKTA_TIMEOUT is 1 s, a doctor that honours its deadline ends in a few
KEY = "a-secret-key-of-thirty-two-bytes"


def doctor(env: dict[str, str], *args: str) -> DoctorRun:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("OKTA_", "DJANGO_"))}
    clean.update({"OKTA_TIMEOUT": "1", **env})
    try:
        done = subprocess.run(
            [sys.executable, "-m", "okta_session_mw", "doctor", *args],
            env=clean, capture_output=True, text=True, timeout=BOUND, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        pytest.fail(f"the doctor was still running after {BOUND:.0f} s (OKTA_TIMEOUT=1)")
    return DoctorRun(done.returncode, done.stdout, done.stderr)


def finished_within(seconds: float, work: Callable[[], Any]) -> Any:
    """``work()``'s result, failing the test if it is still running after ``seconds``."""
    result: list[Any] = []
    thread = threading.Thread(target=lambda: result.append(work()), daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still running after {seconds:g} s"
    [value] = result
    return value


@pytest.fixture
def dripping_org() -> Iterator[str]:
    head = (
        b"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\n"
        b"Content-Length: 1000000000\r\n\r\n{"
    )
    with DripServer(head) as server:
        yield f"http://127.0.0.1:{server.port}"


def test_i15_90_an_org_that_drips_its_answer_is_a_fail_line_not_a_hang(
    dripping_org: str,
) -> None:
    """httpx's timeout bounds each read, not the request: an org (or whatever its URL
    resolves to) sending a byte every 0.3 s once kept the doctor, and the deploy script
    waiting on its exit status, running for ever (attack test 20)."""
    run = doctor({"OKTA_ORG_URL": dripping_org, "OKTA_API_TOKEN": API_TOKEN})
    assert run.level("org_url") == "FAIL", run.output
    assert "no answer within 3 s" in run.detail("org_url")
    assert run.level("okta_clock") == "SKIP" and run.level("api_token") == "SKIP"
    assert run.status == 1
    assert API_TOKEN not in run.output
    faster = doctor({"OKTA_ORG_URL": dripping_org}, "--deadline", "0.5")
    assert "no answer within 0.5 s" in faster.detail("org_url")
    for wrong in ("0", "-1", "nan"):
        refused = doctor({"OKTA_ORG_URL": dripping_org}, "--deadline", wrong)
        assert refused.status == 2, refused.output  # a usage error
        assert "--deadline" in refused.stderr


def test_i15_91_a_redis_that_drips_its_info_is_a_fail_line_not_a_hang() -> None:
    """``socket_timeout`` bounds each read too: a "Redis" answering a huge bulk string a
    byte every 0.3 s once kept the doctor for ever (attack test 21). The org is
    unreachable here, so only the Redis probe could keep it."""
    password = "drip-pass-never-printed"
    with DripServer(b"$1000000000\r\n", b"x") as redis_like:
        run = doctor(
            {
                "OKTA_ORG_URL": "http://127.0.0.1:1",
                "OKTA_CACHE_URL": f"redis://:{password}@127.0.0.1:{redis_like.port}/0",
                "OKTA_SECRET_KEY": KEY,
            }
        )
    assert run.level("redis") == "FAIL", run.output
    assert "no answer within 3 s" in run.detail("redis")
    assert run.level("secret_key") == "SKIP"
    assert run.status == 1
    assert password not in run.output and KEY not in run.output


async def _huge_404(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Okta's 404, but with 4 MiB of JSON: more than any answer the middleware reads."""
    assert scope["type"] == "http"
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": 404, "headers": headers})
    await send({"type": "http.response.body", "body": b'{"x": "' + b"y" * (4 << 20) + b'"}'})


def test_i15_92_an_org_answer_past_max_response_bytes_is_not_read_to_its_end() -> None:
    """The probe once read the whole body, whatever its size; it now streams it and
    stops past ``max_response_bytes``, as the middleware's own client does."""
    with serve_asgi(_huge_404) as url:
        run = doctor({"OKTA_ORG_URL": url, "OKTA_MAX_RESPONSE_BYTES": "65536"})
    assert run.level("org_url") == "FAIL", run.output
    assert "larger than max_response_bytes (65536 bytes): reading stopped" in run.detail("org_url")
    assert run.status == 1


async def _drips_but_me(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Answers ``/api/v1/sessions/me`` as Okta does, then drips every other answer (the
    token check's session read) a byte every 0.3 s."""
    assert scope["type"] == "http"
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": 404, "headers": headers})
    if scope["path"] == "/api/v1/sessions/me":
        await send({"type": "http.response.body", "body": b'{"errorCode": "E0000007"}'})
        return
    while True:
        await send({"type": "http.response.body", "body": b" ", "more_body": True})
        await asyncio.sleep(0.3)


def test_i15_93_an_org_that_drips_only_the_token_check_fails_that_check_and_ends() -> None:
    """The probe answered; the token check's call (the library's client, whose timeout
    also bounds each read only) once waited for ever; it has the deadline too."""
    with serve_asgi(_drips_but_me) as url:
        run = doctor({"OKTA_ORG_URL": url, "OKTA_API_TOKEN": API_TOKEN})
    assert run.level("org_url") == "WARN", run.output  # answered: plain http on loopback
    assert run.level("api_token") == "FAIL"
    assert "not checked: no answer within 3 s" in run.detail("api_token")
    assert run.status == 1
    assert API_TOKEN not in run.output


def test_i15_94_a_redis_that_drips_the_key_marks_fails_the_secret_key_check() -> None:
    """A Redis that answered ``INFO`` but drips ``HGETALL`` of the marks: the check once
    waited for ever; now at most the probe's deadline (here the default: 3 x timeout)."""
    from okta_session_mw.doctor.findings import Level
    from okta_session_mw.doctor.redis_checks import RedisProbe, check_secret_key

    with DripServer(b"$1000000000\r\n", b"x") as redis_like:
        url = f"redis://127.0.0.1:{redis_like.port}/0"
        config = OktaSessionConfig(
            org_url="http://127.0.0.1:1", cache_url=url, secret_key=KEY, timeout=1.0
        )
        client = redis.Redis.from_url(url, socket_timeout=1)
        probe = RedisProbe(where="test", client=client, mode="standalone")
        try:
            finding = finished_within(20, lambda: check_secret_key(config, probe))
        finally:
            client.connection_pool.disconnect()
    assert finding.level is Level.FAIL
    assert finding.detail.endswith("key-marks: no answer within 3 s (the whole answer; --deadline)")


def test_i15_95_a_worker_start_up_is_not_held_by_a_redis_that_drips(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A worker's start-up writes its key mark (``default_cache``): against a Redis that
    drips its answers it once waited for ever; now for ``record_bound`` (3 x the URL's
    0.5 s timeouts), then it logs and goes on, the cache built."""
    from okta_session_mw.cache.redis.cache import RedisSessionCache
    from okta_session_mw.cache.selection import default_cache

    password = "mark-pass-never-logged"
    with DripServer(b"$1000000000\r\n", b"x") as redis_like:
        url = f"redis://:{password}@127.0.0.1:{redis_like.port}/0"
        config = OktaSessionConfig(org_url="http://127.0.0.1:1", cache_url=url, secret_key=KEY)
        with caplog.at_level(logging.WARNING, logger="okta_session_mw"):
            cache = finished_within(20, lambda: default_cache(config, lambda: 0.0))
    assert isinstance(cache, RedisSessionCache)
    assert "could not record the secret_key mark" in caplog.text
    assert "no answer within 1.5 s" in caplog.text
    assert password not in caplog.text and KEY not in caplog.text
