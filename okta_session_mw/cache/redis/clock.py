"""When a worker asked Okta, in Redis's time: so an end by user is judged by one clock.

An end by user (``P v:U``) is stamped with Redis's clock (``TIME``, in the script that
makes it). An answer is refused when its Okta question may have been asked by then;
the question's time, ``CacheEntry.fetched_at``, is read on the worker's clock, which
need not agree with Redis's (nor with another machine's) by any amount. So each
worker turns its own times into the earliest Redis time they can be, from what it
has measured, and never compares two clocks directly.

The measure. The scripts that compare an answer with an end also reply with Redis's
clock, ``R``; the worker reads its own clock, ``t``, once the reply is in. The script
ran before ``t``, so at the worker's ``t`` Redis's clock read ``R`` or later:
``redis - worker >= R - t`` then. Between two instants the difference moves by no
more than the two clocks' rates differ: within ``DRIFT`` (0.1 %: NTP slews a clock by
0.05 % at most, quartz drifts a few parts per million). So a question asked at the
worker's ``f`` was asked at Redis's ``R + (f - t) - DRIFT * |f - t|`` or later: the
earliest it can be, whichever happened first, the sample or the question (every
interleaving). The best of the last few samples is used.

Why it is right: if the question was asked before an end, its Redis time is before
the end's mark, and so is anything not later than it: the answer is refused (``set``)
and reported ended (``ended``). An answer is kept only when even its earliest time is
after the end. What it assumes: each clock runs steadily, within ``DRIFT`` of the
other (a clock *stepped* between a sample and its use is not covered, as in the
in-process cache, which compares two readings of one clock); no agreement between
the clocks is needed, however far apart.
With no sample yet, the earliest is "long ago": any end of the user refuses the answer
(one more Okta call, the first time only).

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
_SAMPLES = 4


class RedisClock:
    """The last few ``(worker time once the reply was in, Redis's clock in it)`` pairs.

    Safe across threads without a lock: a sample is one tuple, the samples one tuple
    replaced at once (a sample lost to a race leaves the others, each valid alone)."""

    def __init__(self) -> None:
        self._samples: tuple[tuple[float, int], ...] = ()

    def note(self, local: float, redis_micros: int | None) -> None:
        """A reply carried Redis's clock (``redis_micros``), read before ``local``."""
        if redis_micros is not None:
            self._samples = (*self._samples[1 - _SAMPLES :], (local, redis_micros))

    def earliest(self, at: float) -> int:
        """The earliest Redis time (microseconds) that the worker's ``at`` can be."""
        if at == -math.inf or math.isnan(at):
            return LONG_AGO
        best = LONG_AGO
        for local, redis_micros in self._samples:
            ahead = at - local
            micros = math.floor((ahead - DRIFT * abs(ahead)) * 1_000_000)
            best = max(best, redis_micros + micros - 1)
        return best


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
