"""The records of the fake Okta's event hooks: a registered hook, one delivery attempt,
and the error a failed verification raises. Plain frozen data, safe to hold in a test
while the delivery thread runs; the secret header stays out of every ``repr``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["EventHook", "EventHookVerificationError", "HookDelivery"]


class EventHookVerificationError(RuntimeError):
    """Registration failed: the endpoint did not pass Okta's one-time verification.

    ``url`` is the endpoint, ``status`` its answer's status (``None``: no answer) and
    ``reason`` what was wrong. The message never holds the secret header's value.
    """

    def __init__(self, url: str, status: int | None, reason: str) -> None:
        super().__init__(f"event hook {url} failed verification: {reason}")
        self.url = url
        self.status = status
        self.reason = reason


@dataclass(frozen=True, slots=True)
class EventHook:
    """A registered, verified event hook (Okta's ``eventHook`` with ``channel.config``)."""

    id: str
    """An Okta-like id, ``who`` and 17 letters or digits; also in each delivery's ``source``."""
    name: str
    url: str
    events: frozenset[str]
    """The System Log event types it subscribes to."""
    header: tuple[str, str] | None = field(repr=False)
    """``(name, value)`` of the secret header (Okta's ``authScheme``), sent on every call."""
    headers: tuple[tuple[str, str], ...] = field(repr=False)
    """Further custom headers sent on every call."""

    def request_headers(self) -> dict[str, str]:
        sent = {"Accept": "application/json", "Content-Type": "application/json"}
        sent.update(self.headers)
        if self.header is not None:
            sent[self.header[0]] = self.header[1]
        return sent


@dataclass(frozen=True, slots=True)
class HookDelivery:
    """One attempt to deliver one batch of events to one hook.

    ``status`` is the endpoint's answer (``None``: none came: see ``error``); ``error`` is
    ``None`` for a 2xx answer, else what went wrong (``"timeout"``, ``"status 500"``, a
    connection error, ``"cancelled"`` when the fake stopped first). ``attempt`` is 1, or 2
    for the retry. Times are on the fake's clock. ``body`` is the JSON posted (the same on
    a retry: same ``event_id``, same event ``uuid``s).
    """

    hook_id: str
    event_id: str
    event_types: tuple[str, ...]
    event_uuids: tuple[str, ...]
    attempt: int
    status: int | None
    error: str | None
    started_at: float
    finished_at: float
    body: bytes = field(repr=False)

    @property
    def ok(self) -> bool:
        return self.error is None

    def payload(self) -> dict[str, Any]:
        """The delivered envelope, parsed."""
        value: dict[str, Any] = json.loads(self.body)
        return value
