"""``access``: what counts as a same-site path (redirect targets, return paths)."""

from __future__ import annotations

import pytest

from okta_session_mw.web.access import is_safe_path, safe_return_path


@pytest.mark.parametrize(
    "target",
    [
        "/caf\u00e9",  # Latin-1, but not ASCII
        "/\u65e5\u672c",  # not even Latin-1: a Location header cannot carry it
        "/a\u2028b",  # a Unicode line separator
        "/a\x7fb",  # DEL
        "/a\x1bb",  # a control character
        "/a b",  # a space: not a URL character
    ],
)
def test_i10_14_is_safe_path_refuses_non_ascii_and_control_characters(target: str) -> None:
    assert is_safe_path(target) is False


def test_i10_14_a_non_ascii_return_path_is_kept_percent_encoded() -> None:
    # the frameworks give the decoded path: it is encoded again, not lost, not raw
    encoded = "/caf%C3%A9%20x?q=%C3%A9&r=%C3%A9"
    assert safe_return_path("/caf\u00e9 x", "q=%C3%A9&r=\u00e9") == encoded
    assert safe_return_path("/a\u2028b") == "/"  # a line separator is refused, not encoded


@pytest.mark.parametrize("target", ["/", "/a/b?x=1&y=%2F", "/~user/p;v=1"])
def test_is_safe_path_accepts_plain_paths(target: str) -> None:
    assert is_safe_path(target) is True


@pytest.mark.parametrize("target", ["//evil.example", "/\\evil.example", "/a\tb", "/a\r\nb", "a"])
def test_is_safe_path_refuses_other_sites_and_header_breaks(target: str) -> None:
    assert is_safe_path(target) is False
