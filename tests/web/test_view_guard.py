"""``view_guard``: ``okta_session_required`` used bare or with ``statuses=``, for any adapter."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any, TypeVar, cast

from okta_session_mw import SessionStatus
from okta_session_mw.web.view_guard import session_required

F = TypeVar("F", bound=Callable[..., Any])

protected: list[tuple[Callable[..., Any], Collection[SessionStatus] | None]] = []


@session_required
def okta_session_required(view: F, statuses: Collection[SessionStatus] | None) -> F:
    """Protects ``view`` (this test's protection: records what it was asked)."""
    protected.append((view, statuses))
    return view


def page() -> str:
    return "page"


def test_i11_05_bare_form_protects_with_the_config_statuses() -> None:
    protected.clear()
    assert okta_session_required(page) is page
    assert protected == [(page, None)]


def test_i11_05_statuses_form_is_a_decorator_that_passes_them_on() -> None:
    protected.clear()
    wanted = {SessionStatus.ACTIVE, SessionStatus.MFA_REQUIRED}
    decorate = okta_session_required(statuses=wanted)
    assert protected == []  # nothing protected until a view is given
    assert decorate(page) is page
    assert protected == [(page, wanted)]


def test_i11_05_called_empty_it_is_a_decorator_with_the_config_statuses() -> None:
    protected.clear()
    assert okta_session_required()(page) is page
    assert protected == [(page, None)]


def test_i11_05_the_decorator_keeps_the_adapter_function_name_and_doc() -> None:
    made = cast(Any, okta_session_required)  # the protocol does not declare a function's names
    assert made.__name__ == "okta_session_required"
    assert made.__qualname__ == "okta_session_required"
    assert made.__module__ == __name__
    assert made.__doc__ == (
        "Protects ``view`` (this test's protection: records what it was asked)."
    )
