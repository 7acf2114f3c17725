"""What the push-revocation benchmark records, and the table rows it makes of it.

``EndResult`` is one session ended at Okta: when the app first refused its cookie, and
when every worker had; ``Run`` is one worker count's figures (Okta calls, ends);
``rows`` turns a ``Run`` into the section's rows, beside ``cache_ttl`` (what an end
would take without push) and the issue's targets.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field

from benchmarks.table import Row, ms, verdict

__all__ = ["EndResult", "Run", "percentile", "rows"]


@dataclass(slots=True)
class EndResult:
    """One end: seconds from ``fake.revoke`` to the first 401, and to a 401 from every
    worker (``None``: not within ``END_TIMEOUT``); 200s after the first 401."""

    first: float | None
    everywhere: float | None
    served_again: int = 0


@dataclass(slots=True)
class Run:
    workers: int
    sessions: int
    warm_calls: int
    steady_calls: int
    steady_requests: int
    steady_seconds: float
    end_calls: int = 0
    others_refused: int = 0
    deliveries: int = 0
    delivered_ok: int = 0
    ends: list[EndResult] = field(default_factory=list)

    @property
    def seen(self) -> list[EndResult]:
        return [e for e in self.ends if e.first is not None and e.everywhere is not None]


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (p99 of 100 values is the 99th smallest)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered) - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


def rows(result: Run, ttl: float) -> list[Row]:
    plural = "s" if result.workers > 1 else ""
    label = f"{result.workers} worker{plural}"
    seen = result.seen
    rows: list[Row] = []
    if seen:
        first = [e.first for e in seen if e.first is not None]
        every = [e.everywhere for e in seen if e.everywhere is not None]
        p99 = percentile(first, 0.99)
        rows.append(Row(
            f"{label}: end at Okta -> first refused",
            f"p50 {ms(percentile(first, 0.5))}, p99 {ms(p99)}, max {ms(max(first))}",
            f"without push: up to cache_ttl = {ttl:g} s",
            f"p99 < 1 s: {verdict(p99 < 1.0)}",
        ))  # fmt: skip
        rows.append(Row(
            f"{label}: ... refused by every worker",
            f"p50 {ms(percentile(every, 0.5))}, p99 {ms(percentile(every, 0.99))}, "
            f"max {ms(max(every))}",
            f"mean first refusal {ms(statistics.fmean(first))}",
        ))  # fmt: skip
    failures = len(result.ends) - len(seen)
    wrong = sum(e.served_again for e in result.ends) + result.others_refused
    ok = result.delivered_ok == result.deliveries == len(result.ends)
    rows.append(Row(
        f"{label}: ends seen",
        f"{len(seen)} of {len(result.ends)} (not seen: {failures}); deliveries "
        f"{result.delivered_ok} of {result.deliveries} answered 2xx",
        f"served again after a 401: {sum(e.served_again for e in result.ends)}; "
        f"other sessions refused: {result.others_refused}",
        f"all seen, none wrong: {verdict(failures == 0 and wrong == 0 and ok)}",
    ))  # fmt: skip
    per_ttl = (result.warm_calls + result.steady_calls) / result.sessions
    rows.append(Row(
        f"{label}: Okta calls per session per TTL",
        f"{per_ttl:.2f} ({result.warm_calls} to cache {result.sessions} sessions, then "
        f"{result.steady_calls} in {result.steady_requests} requests over "
        f"{result.steady_seconds:.1f} s)",
        f"{result.end_calls / max(1, len(result.ends)):.2f} per ended session",
        f"unchanged (<= 1 per TTL, deployment-wide): {verdict(per_ttl <= 1.0)}",
    ))  # fmt: skip
    return rows
