"""The Session API operations as methods of both clients, each written once.

``Operation`` is a descriptor on ``ClientCore``: read from an ``OktaSessionClient`` it is
a method returning the answer, from an ``AsyncOktaSessionClient`` one returning an
awaitable of it; both run the same call (``operations.py``) through the client's own
runner. The types say so (``SyncCall``/``AsyncCall``), so ``mypy`` checks every call.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar, overload

from okta_session_mw.okta import operations
from okta_session_mw.okta.operations import Call

if TYPE_CHECKING:
    from okta_session_mw.okta.client_core import ClientCore
    from okta_session_mw.okta.clients import AsyncOktaSessionClient, OktaSessionClient

__all__ = ["AsyncCall", "Operation", "SessionApi", "SyncCall"]

A = TypeVar("A")
T = TypeVar("T")
A_contra = TypeVar("A_contra", contravariant=True)
T_co = TypeVar("T_co", covariant=True)


class SyncCall(Protocol[A_contra, T_co]):
    """An operation of the sync client: ``client.get_session(session_id, timeout=5.0)``."""

    def __call__(self, argument: A_contra, /, *, timeout: float | None = None) -> T_co: ...


class AsyncCall(Protocol[A_contra, T_co]):
    """An operation of the async client: ``await client.get_session(session_id)``."""

    def __call__(
        self, argument: A_contra, /, *, timeout: float | None = None
    ) -> Awaitable[T_co]: ...


class Operation(Generic[A, T]):
    """One operation, ``build(argument)`` (a ``Call``), as a method of either client.

    ``timeout`` (seconds) bounds each connect, write, pool wait and read of the call,
    overriding the client's; ``doc`` is the method's docstring."""

    def __init__(self, build: Callable[[A], Call[T]], doc: str) -> None:
        self._build = build
        self.__doc__ = doc

    def __set_name__(self, owner: type, name: str) -> None:
        self.__name__ = name

    @overload
    def __get__(self, client: None, owner: type) -> Operation[A, T]: ...
    @overload
    def __get__(self, client: OktaSessionClient, owner: type) -> SyncCall[A, T]: ...
    @overload
    def __get__(self, client: AsyncOktaSessionClient, owner: type) -> AsyncCall[A, T]: ...
    def __get__(self, client: ClientCore[Any, Any] | None, owner: type) -> Any:
        if client is None:
            return self
        build = self._build
        run: Callable[[Call[T], float | None], Any] = client._run
        operation: Callable[..., object]
        if inspect.iscoroutinefunction(run):  # a coroutine function, as ``async def`` is

            async def operation(argument: A, /, *, timeout: float | None = None) -> object:
                return await run(build(argument), timeout)

        else:

            def operation(argument: A, /, *, timeout: float | None = None) -> object:
                return run(build(argument), timeout)

        operation.__name__ = operation.__qualname__ = self.__name__
        operation.__doc__ = self.__doc__
        return operation


class SessionApi:
    """The seven Session API operations, listed once for both clients (``ClientCore``
    inherits them): on the sync client each returns the answer, on the async one an
    awaitable of it. ``authenticate`` (two arguments) is each client's own method."""

    get_current_session = Operation(
        operations.get_current_session,
        """GetCurrentSession with the browser's ``Cookie`` value (e.g. ``"idx=..."``).""",
    )
    refresh_current_session = Operation(
        operations.refresh_current_session,
        """RefreshCurrentSession: extend the cookie's session; returns it refreshed.""",
    )
    close_current_session = Operation(
        operations.close_current_session,
        """CloseCurrentSession (logout). 404 (already closed) raises OktaNotFoundError.""",
    )
    create_session = Operation(
        operations.create_session,
        """CreateSession from a one-time ``sessionToken`` (needs ``api_token``).""",
    )
    get_session = Operation(operations.get_session, """GetSession by id (API or bearer token).""")
    refresh_session = Operation(
        operations.refresh_session,
        """RefreshSession by id; returns the session with its new ``expires_at``.""",
    )
    revoke_session = Operation(operations.revoke_session, """RevokeSession by id.""")
