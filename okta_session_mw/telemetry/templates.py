"""Which operation an Okta request is, and its path as a template (``url.template``).

A span or a metric point names the endpoint, never the request's own path: a path can
hold a session id or a user id (``/api/v1/sessions/{id}``). The templates are the
engine's (``rate_buckets.BUCKETS``), so a new operation needs no change here. Pure: no
OpenTelemetry, no I/O.
"""

from __future__ import annotations

from typing import NamedTuple

from okta_session_mw.engine.rate_buckets import BUCKETS

__all__ = ["Endpoint", "endpoint_of"]

ID = "{id}"


class Endpoint(NamedTuple):
    """A request's operation (``get_current_session``) and ``url.template``."""

    operation: str
    template: str


def _table() -> dict[tuple[str, int], list[tuple[tuple[str, ...], Endpoint]]]:
    """Templates by (method, number of path segments); literal ones before ``{id}``
    ones, so ``/sessions/me`` is never taken for ``/sessions/{id}``."""
    table: dict[tuple[str, int], list[tuple[tuple[str, ...], Endpoint]]] = {}
    for operation, bucket in BUCKETS.items():
        method, _, template = bucket.partition(" ")
        parts = tuple(template.split("/"))
        table.setdefault((method, len(parts)), []).append((parts, Endpoint(operation, template)))
    for candidates in table.values():
        candidates.sort(key=lambda candidate: ID in candidate[0])
    return table


_TABLE = _table()


def endpoint_of(method: str, path: str) -> Endpoint | None:
    """The Okta endpoint ``method path`` calls, or None for a path no operation has."""
    parts = path.split("/")
    for template, endpoint in _TABLE.get((method, len(parts)), ()):
        pairs = zip(template, parts, strict=True)
        if all(want == got or (want == ID and got) for want, got in pairs):
            return endpoint
    return None
