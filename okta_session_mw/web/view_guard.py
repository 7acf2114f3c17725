"""The shape of ``okta_session_required`` in every adapter: used bare, or with ``statuses=``.

Each adapter writes only how it protects one view (``Protect``: the view wrapped, sync or
async, its refusal rendered in its framework); ``session_required`` turns that into the
decorator, typed once for all three.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any, Protocol, TypeVar, cast, overload

from okta_session_mw.okta.session import SessionStatus

__all__ = ["Protect", "SessionRequired", "session_required"]

F = TypeVar("F", bound=Callable[..., Any])


class Protect(Protocol):
    """An adapter's protection of one view; ``statuses`` None means the config's."""

    def __call__(self, view: F, statuses: Collection[SessionStatus] | None, /) -> F: ...


class SessionRequired(Protocol):
    """``@okta_session_required``, or ``@okta_session_required(statuses={...})``."""

    @overload
    def __call__(self, view: F, /) -> F: ...
    @overload
    def __call__(
        self, view: None = None, /, *, statuses: Collection[SessionStatus] | None = None
    ) -> Callable[[F], F]: ...


def session_required(protect: Protect) -> SessionRequired:
    """The decorator over ``protect``, with its name and docstring (used as a decorator
    on the adapter's ``okta_session_required(view, statuses)``)."""

    def okta_session_required(
        view: Any = None, /, *, statuses: Collection[SessionStatus] | None = None
    ) -> Any:
        if view is not None:
            return protect(view, statuses)
        return lambda func: protect(func, statuses)

    for name in ("__module__", "__name__", "__qualname__", "__doc__"):
        setattr(okta_session_required, name, getattr(protect, name))
    return cast(SessionRequired, okta_session_required)
