"""The doctor's bound on each network check as a whole: ``--deadline``, else three times
the configured ``timeout`` (``OKTA_TIMEOUT``, 5 s by default: 15 s).

httpx's ``timeout`` and redis-py's ``socket_timeout`` bound each phase or read, not an
answer: a peer sending one byte within every timeout keeps a request going for ever,
and with it a deploy script waiting on the doctor's exit status. So each check's calls
run on a daemon thread the doctor stops waiting for at the deadline (a ``FAIL`` line),
and the process still exits at once with its status. Three timeouts leave room for a
sound check's connection, TLS handshake and answer.
"""

from __future__ import annotations

from okta_session_mw.config import OktaSessionConfig

__all__ = ["TIMEOUTS_PER_CHECK", "check_deadline", "no_answer_within"]

TIMEOUTS_PER_CHECK = 3
"""The default deadline, in ``timeout``\\ s."""


def check_deadline(config: OktaSessionConfig, chosen: float | None = None) -> float:
    """``chosen`` (``--deadline``), else ``TIMEOUTS_PER_CHECK`` times ``config.timeout``."""
    return chosen if chosen is not None else TIMEOUTS_PER_CHECK * config.timeout


def no_answer_within(deadline: float) -> str:
    """A check's finding when its deadline passed."""
    return f"no answer within {deadline:g} s (the whole answer; --deadline)"
