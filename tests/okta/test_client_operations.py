"""The Session API operations, written once (``client_operations.Operation``), are real
methods of both clients: a plain function on the sync one, a coroutine function on the
async one, with their names and docstrings."""

from __future__ import annotations

import inspect

import pytest

from okta_session_mw import AsyncOktaSessionClient, OktaSessionClient
from okta_session_mw.okta.client_core import ClientCore
from okta_session_mw.okta.client_operations import Operation, SessionApi

OPERATIONS = sorted(n for n, value in vars(SessionApi).items() if isinstance(value, Operation))


def test_i11_01_the_seven_session_operations_are_listed_once() -> None:
    assert sorted(
        [
            "close_current_session",
            "create_session",
            "get_current_session",
            "get_session",
            "refresh_current_session",
            "refresh_session",
            "revoke_session",
        ]
    ) == OPERATIONS
    for client in (OktaSessionClient, AsyncOktaSessionClient):
        assert not set(OPERATIONS) & set(vars(client)), "written again on " + client.__name__


@pytest.mark.parametrize("name", OPERATIONS)
async def test_i11_01_each_is_a_method_of_its_colour(name: str) -> None:
    sync = OktaSessionClient("https://example.okta.com", api_token="t")
    async_ = AsyncOktaSessionClient("https://example.okta.com", api_token="t")
    try:
        for client, is_async in ((sync, False), (async_, True)):
            method = getattr(client, name)
            assert inspect.iscoroutinefunction(method) is is_async
            assert method.__name__ == name
            assert method.__doc__ and method.__doc__ == getattr(ClientCore, name).__doc__
    finally:
        sync.close()
        await async_.aclose()
