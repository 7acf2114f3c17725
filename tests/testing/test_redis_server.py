"""``okta_session_mw.testing.RedisServer`` itself: what it does before and after ``start()``."""

from __future__ import annotations

import socket

import pytest
import redis

from okta_session_mw.testing import RedisServer

pytest_plugins = ["tests.support.redis_fixtures"]  # own_redis_server


def test_i10_22_redis_server_dials_nothing_and_has_no_url_before_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Before ``start()`` the port is 0, and redis-py reads ``redis://127.0.0.1:0/0`` as
    "the default port": a client made from that URL dialled 6379, another Redis. Now the
    URL is refused until the server has its port, and nothing opens a socket before."""
    opened: list[object] = []

    class RecordingSocket(socket.socket):
        def __init__(self, *args: object, **kwargs: object) -> None:
            opened.append(args)
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "socket", RecordingSocket)
    server = RedisServer()
    assert server.ping() is False
    with pytest.raises(RuntimeError, match="start"):
        _ = server.url
    assert opened == []
    assert not server.running


def test_redis_server_url_names_the_port_it_started_on(own_redis_server: RedisServer) -> None:
    server = own_redis_server
    assert server.port != 0
    assert server.url == f"redis://127.0.0.1:{server.port}/0"
    client = redis.Redis.from_url(server.url)
    try:
        assert client.ping() is True
        assert client.connection_pool.connection_kwargs["port"] == server.port
    finally:
        client.close()
