"""The doctor's Redis checks as the real command against a real redis-server: reachable
with its version and mode, and one ``secret_key`` shared by every worker (the marks that
``cache/redis/key_marks.py`` writes at a worker's start-up)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest
import redis

from okta_session_mw import OktaSessionConfig
from okta_session_mw.cache.redis.key_marks import key_fingerprint, marks_key, record_key_mark
from okta_session_mw.redis_topology import tagged_prefix
from okta_session_mw.testing import RedisServer
from okta_session_mw.testing.redis_server import free_port
from tests.support.doctor_runs import run_doctor
from tests.support.okta_users import API_TOKEN
from tests.support.redis_modes import redis_in_mode
from tests.support.tls_proxy import Certificates

pytest_plugins = ["tests.support.redis_fixtures"]  # redis_server, redis_client

KEY = "the-one-secret-key-every-worker-shares"
OTHER_KEY = "a-second-secret-key-one-worker-was-given"


def _worker_config(org: str, cache_url: str, secret_key: str) -> OktaSessionConfig:
    return OktaSessionConfig(org_url=org, cache_url=cache_url, secret_key=secret_key)


def _env(org: str, cache_url: str, secret_key: str = KEY, **more: str) -> dict[str, str]:
    return {"OKTA_ORG_URL": org, "OKTA_CACHE_URL": cache_url, "OKTA_SECRET_KEY": secret_key, **more}


def test_i15_48_a_sound_deployment_passes_every_check_and_is_left_as_it_was(
    tls_url: str, certificates: Certificates, redis_server: RedisServer, redis_client: redis.Redis
) -> None:
    for _ in range(2):  # two workers start up with the shared key
        assert record_key_mark(_worker_config(tls_url, redis_server.url, KEY))
    env = _env(
        tls_url, redis_server.url, OKTA_API_TOKEN=API_TOKEN, SSL_CERT_FILE=str(certificates.ca)
    )
    before = {k: redis_client.dump(k) for k in redis_client.keys("*")}
    run = run_doctor(env, "--strict")
    assert {k: redis_client.dump(k) for k in redis_client.keys("*")} == before  # read only
    assert run.status == 0, run.output
    assert {level for level, _ in run.lines().values()} == {"OK"}, run.output
    version = redis_client.info("server")["redis_version"]
    assert run.detail("redis").endswith(f"answers: Redis {version}, standalone")
    assert "secret_key is this one" in run.detail("secret_key")
    assert KEY not in run.output and API_TOKEN not in run.output


def test_i15_49_the_secret_key_check_follows_the_workers_marks(
    fake_url: str, redis_server: RedisServer, redis_client: redis.Redis
) -> None:
    unmarked = run_doctor(_env(fake_url, redis_server.url))  # no worker started yet
    assert unmarked.level("redis") == "OK"
    assert unmarked.level("secret_key") == "WARN"
    assert "start one, then run the doctor again" in unmarked.detail("secret_key")
    assert unmarked.status == 0
    # a worker with the doctor's key, and one with another
    assert record_key_mark(_worker_config(fake_url, redis_server.url, KEY))
    assert record_key_mark(_worker_config(fake_url, redis_server.url, OTHER_KEY))
    run = run_doctor(_env(fake_url, redis_server.url))
    assert run.status == 1
    assert run.level("secret_key") == "FAIL"
    assert "this one and 1 other secret_key" in run.detail("secret_key")
    # a doctor holding the other key sees the same split, from its side
    other = run_doctor(_env(fake_url, redis_server.url, OTHER_KEY))
    assert other.level("secret_key") == "FAIL"
    for text in (run.output, other.output):
        assert KEY not in text and OTHER_KEY not in text
    redis_client.flushdb()  # now every worker runs with the other key
    assert record_key_mark(_worker_config(fake_url, redis_server.url, OTHER_KEY))
    alone = run_doctor(_env(fake_url, redis_server.url))
    assert alone.level("secret_key") == "FAIL"
    assert "use 1 other secret_key" in alone.detail("secret_key")


def test_i15_51_redis_down_fails_without_printing_its_password(fake_url: str) -> None:
    password = "redis-pass-never-printed"
    url = f"redis://:{password}@127.0.0.1:{free_port()}/0"  # nobody listens there
    run = run_doctor(_env(fake_url, url))
    assert run.status == 1
    assert run.level("redis") == "FAIL"
    assert "ConnectionError" in run.detail("redis")
    assert run.level("secret_key") == "SKIP"
    assert password not in run.output and KEY not in run.output


def test_i15_52_a_wrong_redis_password_fails_without_being_printed(
    fake_url: str, redis_server: RedisServer, redis_client: redis.Redis
) -> None:
    password = "wrong-pass-never-printed"
    redis_client.acl_setuser("doctor-user", enabled=True, passwords=["+the-right-pass"])
    try:
        url = redis_server.url.replace("redis://", f"redis://doctor-user:{password}@")
        run = run_doctor(_env(fake_url, url))
    finally:
        redis_client.acl_deluser("doctor-user")
    assert run.status == 1
    assert run.level("redis") == "FAIL"
    assert "refused our credentials" in run.detail("redis")
    assert password not in run.output and KEY not in run.output


@pytest.mark.parametrize(
    ("mode", "words"), [("cluster", "a Redis Cluster node"), ("sentinel", "a Sentinel")]
)
def test_i15_53_a_server_in_cluster_or_sentinel_mode_is_named_and_refused(
    fake_url: str, tmp_path: Path, mode: str, words: str
) -> None:
    with redis_in_mode(mode, tmp_path) as url:
        run = run_doctor(_env(fake_url, url))
    assert run.status == 1
    assert run.level("redis") == "FAIL", run.output
    assert f", {mode}: a redis:// cache_url needs a standalone server" in run.detail("redis")
    assert words in run.detail("redis")
    assert run.level("secret_key") == "SKIP"


def test_i15_54_a_mark_is_a_keyed_fingerprint_under_the_cache_prefix_never_the_key(
    fake_url: str, redis_server: RedisServer, redis_client: redis.Redis
) -> None:
    config = _worker_config(fake_url, redis_server.url, KEY)
    assert record_key_mark(config)
    [name] = redis_client.keys("*")
    assert name.decode() == marks_key(config)
    assert name.decode().startswith(tagged_prefix(config.cache_prefix))  # the cache's slot
    marks = redis_client.hgetall(name)
    assert list(marks) == [key_fingerprint(KEY.encode()).encode()]
    assert key_fingerprint(KEY.encode()) != key_fingerprint(OTHER_KEY.encode())
    assert KEY.encode() not in name + b"".join(marks) + b"".join(marks.values())
    assert 0 < redis_client.ttl(name) <= 7 * 24 * 3600


def test_i15_55_a_worker_starts_when_redis_is_down_and_logs_no_password(
    fake_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    password = "start-up-pass-never-logged"
    url = f"redis://:{password}@127.0.0.1:{free_port()}/0"
    with caplog.at_level(logging.WARNING, logger="okta_session_mw"):
        assert record_key_mark(_worker_config(fake_url, url, KEY)) is False
    assert "could not record the secret_key mark" in caplog.text
    assert password not in caplog.text and KEY not in caplog.text


def test_i15_87_a_rotation_under_way_is_a_warning_not_a_split(
    fake_url: str, redis_server: RedisServer, redis_client: redis.Redis
) -> None:
    """Workers still on the older key of this configuration's rotation are expected
    while it rolls out: a WARN; a key this configuration does not know stays a FAIL."""
    from okta_session_mw.doctor.findings import Level
    from okta_session_mw.doctor.redis_checks import RedisProbe, check_secret_key

    rotating = OktaSessionConfig(
        org_url=fake_url, cache_url=redis_server.url, secret_key=[KEY, OTHER_KEY]
    )
    probe = RedisProbe(where="test", client=redis_client, mode="standalone")
    assert record_key_mark(_worker_config(fake_url, redis_server.url, OTHER_KEY))
    finding = check_secret_key(rotating, probe)
    assert finding.level is Level.WARN and "rotation is under way" in finding.detail
    third = _worker_config(fake_url, redis_server.url, "a-third-key-nobody-lists-here")
    assert record_key_mark(third)
    assert check_secret_key(rotating, probe).level is Level.FAIL


@pytest.mark.parametrize("topology", ["cluster", "sentinel"])
def test_i15_88_a_cluster_or_sentinel_cache_url_is_checked_where_the_cache_puts_it(
    fake_url: str, topology: str, redis_url_of: Callable[[str], str]
) -> None:
    """``redis+cluster://`` and ``redis+sentinel://`` are dialled as the cache dials
    them: the cluster's mode is what such a URL expects, the Sentinel's primary
    answers, and the workers' marks are found under the cache's own slot."""
    url = redis_url_of(topology)
    unmarked = run_doctor(_env(fake_url, url))
    assert unmarked.level("redis") == "OK", unmarked.output
    assert ("cluster" in unmarked.detail("redis")) == (topology == "cluster")
    assert unmarked.level("secret_key") == "WARN"
    assert record_key_mark(_worker_config(fake_url, url, KEY))
    marked = run_doctor(_env(fake_url, url))
    assert marked.level("secret_key") == "OK", marked.output
    assert marked.status == 0
