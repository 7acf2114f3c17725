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
        for name, value in self.headers:
            if name == "content-type":
                return value
        return None


def json_reply(
    status: int, error: str, message: str, extra: tuple[tuple[str, str], ...] = ()
) -> Reply:
    """A small JSON error answer, ``{"error": ..., "message": ...}``, never cached."""
    body = json.dumps({"error": error, "message": message}).encode()
    headers = (("content-type", "application/json"), ("cache-control", "no-store"), *extra)
    return Reply(status, headers, body)
