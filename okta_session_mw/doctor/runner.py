"""Runs the checks in order, each one's failure contained, and derives the exit status.

Order: the configuration, then Okta (one probe feeds the org URL and clock checks; the
token check needs the org to answer), the cookie names, then Redis (one probe feeds the
reachability and ``secret_key`` checks). A check that raises is a ``FAIL`` line naming
the error's type, never a traceback; one whose peer has not answered within the
deadline (``doctor/deadline.py``) is a ``FAIL`` line saying so, never a hang.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from okta_session_mw.config import OktaSessionConfig
from okta_session_mw.doctor.cookie_checks import check_cookie_names
from okta_session_mw.doctor.deadline import check_deadline
from okta_session_mw.doctor.findings import Finding, Level
from okta_session_mw.doctor.okta_checks import (
    check_api_token,
    check_clock,
    check_org_url,
    probe_org,
)
from okta_session_mw.doctor.redis_checks import check_redis, check_secret_key, probe_redis

__all__ = ["DoctorOptions", "exit_status", "run_checks"]


@dataclass(frozen=True, slots=True)
class DoctorOptions:
    max_skew: float = 5.0
    """Seconds of clock difference with Okta tolerated before a warning."""
    strict: bool = False
    """Warnings fail too (exit status 1)."""
    deadline: float | None = None
    """Seconds each network check waits for its whole answer (None: three timeouts)."""


def run_checks(config: OktaSessionConfig, options: DoctorOptions) -> Iterator[Finding]:
    """Each check's finding, as soon as it is known (an operator watches them come)."""
    deadline = check_deadline(config, options.deadline)
    probe = probe_org(config, deadline)
    yield _guarded("org_url", lambda: check_org_url(config, probe))
    yield _guarded("okta_clock", lambda: check_clock(config, probe, options.max_skew))
    yield _guarded("api_token", lambda: check_api_token(config, probe, deadline))
    yield _guarded("cookie_names", lambda: check_cookie_names(config))
    with probe_redis(config, deadline) as redis_probe:
        yield _guarded("redis", lambda: check_redis(redis_probe))
        yield _guarded("secret_key", lambda: check_secret_key(config, redis_probe))


def _guarded(name: str, check: Callable[[], Finding]) -> Finding:
    try:
        return check()
    except Exception as exc:  # one broken check must not hide the others
        return Finding.fail(name, f"the check itself failed: {type(exc).__name__}: {exc}")


def exit_status(findings: list[Finding], *, strict: bool) -> int:
    """0 when nothing failed; 1 when a check failed (or, with ``strict``, warned)."""
    failing = {Level.FAIL, Level.WARN} if strict else {Level.FAIL}
    return 1 if any(f.level in failing for f in findings) else 0
