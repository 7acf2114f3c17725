"""``Reply``: a framework-neutral HTTP answer the core decides and each adapter renders."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Reply"]


@dataclass(frozen=True, slots=True)
class Reply:
    """Status, headers (lower-case names; ``set-cookie`` may repeat) and body."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes = b""

    @property
    def media_type(self) -> str | None:
        for name, value in self.headers:
            if name == "content-type":
                return value
        return None
