"""``Reply``: a framework-neutral HTTP answer the core decides and each adapter renders."""

from __future__ import annotations

import json
from dataclasses import dataclass

__all__ = ["Reply", "json_reply"]


@dataclass(frozen=True, slots=True)
class Reply:
    """Status, headers (lower-case names; ``set-cookie`` may repeat) and body."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes = b""

    def __repr__(self) -> str:  # set-cookie values are credentials; the body may echo one
        names = ", ".join(name for name, _ in self.headers)
        return f"Reply({self.status}, headers=[{names}], {len(self.body)} bytes)"

    @property
    def media_type(self) -> str | None:
        """``content-type``: frameworks take it as an argument, not as a header."""
        for name, value in self.headers:
            if name == "content-type":
                return value
        return None

    @property
    def location(self) -> str | None:
        """Where a redirect (3xx) sends the browser; None for any other answer."""
        if not 300 <= self.status < 400:
            return None
        return next((value for name, value in self.headers if name == "location"), None)

    @property
    def other_headers(self) -> tuple[tuple[str, str], ...]:
        """Every header but ``content-type`` (see ``media_type``), repeats kept, in order."""
        return tuple(header for header in self.headers if header[0] != "content-type")


def json_reply(
    status: int, error: str, message: str, extra: tuple[tuple[str, str], ...] = ()
) -> Reply:
    """A small JSON error answer, ``{"error": ..., "message": ...}``, never cached."""
    body = json.dumps({"error": error, "message": message}).encode()
    headers = (("content-type", "application/json"), ("cache-control", "no-store"), *extra)
    return Reply(status, headers, body)
