"""Okta answers for the sans-IO tests: a real-looking Session, error bodies, a clock."""

from __future__ import annotations

import json
from typing import Any

import httpx

__all__ = ["NOW", "SESSION", "okta_error", "response"]

SESSION = {
    "id": "102etAqRbcPRXGtoDMIRXgWOQ",
    "userId": "00uq9re9mup35oXfu1d7",
    "login": "user@example.com",
    "createdAt": "2025-09-22T07:01:28.000Z",
    "expiresAt": "2025-09-22T09:01:28.000Z",
    "status": "ACTIVE",
    "lastPasswordVerification": "2025-09-22T07:01:28.000Z",
    "lastFactorVerification": None,
    "amr": ["pwd"],
    "idp": {"id": "00onkw1sbuAh3Q06I1d7", "type": "OKTA"},
    "mfaActive": True,
}
NOW = 1_758_524_424  # Mon, 22 Sep 2025 07:00:24 GMT


def response(
    status: int, body: object = None, headers: dict[str, str] | None = None
) -> httpx.Response:
    content = (
        b"" if body is None else body if isinstance(body, bytes) else json.dumps(body).encode()
    )
    return httpx.Response(status, headers=headers or {}, content=content)


def okta_error(code: str, summary: str) -> dict[str, Any]:
    return {
        "errorCode": code,
        "errorSummary": summary,
        "errorLink": code,
        "errorId": "oaePpLzLbXSRlqRkpauT89ojQ",
        "errorCauses": [{"errorSummary": "why"}],
    }
