"""Interleaved timing of several variants, and the small statistics the table needs.

Variants are timed in rounds, each round in a rotated order, so that a slow moment of
the machine (another process, a frequency change) falls on all of them alike. The best
round of each variant is the figure least disturbed by noise; the median is shown too.
"""

from __future__ import annotations

import gc
import math
import statistics
from collections.abc import Callable, Mapping, Sequence

__all__ = ["Timings", "interleaved", "percentile"]

Batch = Callable[[int], float]
"""``batch(n)`` runs ``n`` iterations and returns the seconds they took."""


class Timings:
    """Seconds per iteration of one variant, one figure per round."""

    def __init__(self, per_round: Sequence[float]) -> None:
        self.per_round = list(per_round)

    @property
    def best(self) -> float:
        return min(self.per_round)

    @property
    def median(self) -> float:
        return statistics.median(self.per_round)


def interleaved(batches: Mapping[str, Batch], iterations: int, rounds: int) -> dict[str, Timings]:
    """Run every batch ``rounds`` times, rotating the order each round."""
    keys = list(batches)
    seen: dict[str, list[float]] = {key: [] for key in keys}
    for round_ in range(rounds):
        shift = round_ % len(keys)
        for key in keys[shift:] + keys[:shift]:
            gc.collect()
            seen[key].append(batches[key](iterations) / iterations)
    return {key: Timings(values) for key, values in seen.items()}


def percentile(values: Sequence[float], pct: float) -> float:
    """The ``pct`` percentile (nearest rank) of ``values``; 0.0 when there are none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = min(len(ordered) - 1, max(0, math.ceil(pct / 100 * len(ordered)) - 1))
    return ordered[rank]
