"""Reading an answer's status and headers: the typed error for a non-2xx answer, and
the ``X-Rate-Limit-*`` figures with Okta's ``Date``. Written once, for both clients;
no I/O here.
"""

from __future__ import annotations

from datetime import timezone
from email.utils import parsedate_to_datetime

import httpx

from okta_session_mw.errors import OktaInvalidResponseError, RateLimit, error_class_for_status
from okta_session_mw.okta.answer_bodies import error_causes, load_json

__all__ = ["okta_time", "parse_rate_limit", "raise_for_status"]


def _header_int(headers: httpx.Headers, name: str) -> int | None:
    """The smallest integer among the header's values (Okta's SDKs take the minimum)."""
    values: list[int] = []
    for raw in headers.get_list(name, split_commas=True):
        try:
            values.append(int(raw.strip()))
        except ValueError:
            continue
    return min(values) if values else None


def okta_time(headers: httpx.Headers) -> float | None:
    """The response's ``Date`` as epoch seconds: Okta's "now". None if absent or bad."""
    value = headers.get("Date")
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:  # "-0000" and obsolete zones: RFC 9110 says UTC
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def parse_rate_limit(headers: httpx.Headers) -> RateLimit:
    """The ``X-Rate-Limit-Limit/Remaining/Reset`` figures and Okta's ``Date``; a missing
    or bad one is None."""
    return RateLimit(
        limit=_header_int(headers, "X-Rate-Limit-Limit"),
        remaining=_header_int(headers, "X-Rate-Limit-Remaining"),
        reset=_header_int(headers, "X-Rate-Limit-Reset"),
        date=okta_time(headers) if "X-Rate-Limit-Reset" in headers else None,
    )


def raise_for_status(response: httpx.Response, rate_limit: RateLimit) -> None:
    """Return for a 2xx; raise the typed error for anything else.

    An error status with Okta's error JSON (or no body at all, which the spec allows
    for ``/me``) is an :class:`OktaAPIError` subclass keeping every field. A redirect,
    or a body that is not Okta's error JSON (a proxy's HTML page, garbage), is not an
    answer from Okta's API: :class:`OktaInvalidResponseError`.
    """
    status = response.status_code
    if 200 <= status < 300:
        return
    if status < 400:
        raise OktaInvalidResponseError(
            f"unexpected HTTP {status} from Okta (a redirect, not an API answer)",
            status_code=status,
        )
    fields: dict[str, object] = {}
    if status == 429:
        # Whatever the body (a proxy's or CDN's page too), 429 means "slow down".
        data = load_json(response.content)
        fields = data if isinstance(data, dict) else {}
    elif response.content.strip():
        data = load_json(response.content)
        if not isinstance(data, dict) or not isinstance(data.get("errorCode"), str):
            raise OktaInvalidResponseError(
                f"HTTP {status} with a body that is not Okta's error JSON", status_code=status
            )
        fields = data
    raise error_class_for_status(status)(
        status,
        error_code=_str_or_none(fields.get("errorCode")),
        error_summary=_str_or_none(fields.get("errorSummary")),
        error_link=_str_or_none(fields.get("errorLink")),
        error_id=_str_or_none(fields.get("errorId")),
        error_causes=error_causes(fields.get("errorCauses")),
        rate_limit=rate_limit,
        request_id=response.headers.get("X-Okta-Request-Id"),
    )


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None
