"""When a worker asked Okta, in Redis's time: so an end by user is judged by one clock.

An end by user (``P v:U``) is stamped with Redis's clock (``TIME``, in the script that
makes it). An answer is refused when its Okta question may have been asked by then;
the question's time, ``CacheEntry.fetched_at``, is read on the worker's clock, which
need not agree with Redis's (nor with another machine's) by any amount. So each
worker turns its own times into the earliest Redis time they can be, from what it
has measured, and never compares two clocks directly.

The measure. The scripts that claim a lookup (just before Okta is asked) or compare
an answer with an end also reply with Redis's clock, ``R``; the worker reads its own
clock, ``t``, once the reply is in. The script ran before ``t``, so at the worker's
``t`` Redis's clock read ``R`` or later:
``redis - worker >= R - t`` then. Between two instants the difference moves by no
more than the two clocks' rates differ: within ``DRIFT`` (0.1 %: NTP slews a clock by
0.05 % at most, quartz drifts a few parts per million). So a question asked at the
worker's ``f`` was asked at Redis's ``R + (f - t) - DRIFT * |f - t|`` or later: the
earliest it can be, whichever happened first, the sample or the question (every
interleaving). The latest sample is used.

Why it is right: if the question was asked before an end, its Redis time is before
the end's mark, and so is anything not later than it: the answer is refused (``set``)
and reported ended (``ended``). An answer is kept only when even its earliest time is
after the end. What it assumes: each clock runs steadily, within ``DRIFT`` of the
other; no agreement between the clocks is needed, however far apart. A clock
*stepped* is measured again by the next sample, which replaces the one the step made
wrong (so only the latest is kept: an older one could overstate the time); a step
between a lookup's claim and its question is not covered, as in the in-process
cache, which compares two readings of one clock. With no sample yet, the earliest is
"long ago": any end of the user refuses the answer (one more Okta call).

An entry read from Redis was asked on its writer's clock: its earliest Redis time is
stored in the sealed value (``codec.py``) and remembered with the entry read (the
codec's memory of its last decoding per key), so a reader whose clock is behind the
writer's does not take that time as its own (``AskedTimes``).
"""

from __future__ import annotations

import math
from collections.abc import Callable

__all__ = ["DRIFT", "LONG_AGO", "AskedTimes", "RedisClock"]

DRIFT = 1e-3
"""The most two clocks' rates are taken to differ (0.1 %: twice NTP's largest slew)."""
LONG_AGO = -(2**53)
"""Redis microseconds before any end (``asked_at`` of ``-inf``, or nothing measured)."""


class RedisClock:
    """The latest ``(worker time once the reply was in, Redis's clock in it)`` pair.

    Safe across threads without a lock: the sample is one tuple, replaced at once (a
    sample a race puts back is older, and valid all the same)."""

    def __init__(self) -> None:
        self._sample: tuple[float, int] | None = None

    def note(self, local: float, redis_micros: int | None) -> None:
        """A reply carried Redis's clock (``redis_micros``), read before ``local``."""
        if redis_micros is not None:
            self._sample = (local, redis_micros)

    def earliest(self, at: float) -> int:
        """The earliest Redis time (microseconds) that the worker's ``at`` can be."""
        sample = self._sample
        if sample is None or at == -math.inf or math.isnan(at):
            return LONG_AGO
        local, redis_micros = sample
        ahead = at - local
        return redis_micros + math.floor((ahead - DRIFT * abs(ahead)) * 1_000_000) - 1


class AskedTimes(RedisClock):
    """When the question of an answer was put to Okta, as the earliest Redis time
    (microseconds) that can be. ``known(key, fetched_at)``: the time stored with the
    entry last read from Redis under ``key``, if ``fetched_at`` is that entry's (then by
    its writer's clock, not this worker's); any other time is this worker's own."""

    def __init__(self, known: Callable[[str, float], int | None]) -> None:
        super().__init__()
        self._known = known

    def of(self, key: str, asked_at: float) -> int:
        if asked_at == -math.inf:
            return LONG_AGO
        stored = self._known(key, asked_at)
        return stored if stored is not None else self.earliest(asked_at)
