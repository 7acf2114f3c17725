"""Rows comparing variants of one app: baseline, the middleware's variants, a reference.

Used by the direct-call sections (ASGI, Flask, Django): the overhead of a variant is
its time minus the bare app's, and every overhead is also given as a share of the
reference's ("what a cookie session costs" in that framework), which is what the
issue's targets are stated in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from benchmarks.table import Row, us, verdict
from benchmarks.timing import Timings

__all__ = ["overhead_rows", "share_target"]


def share_target(share: float, limit: float) -> str:
    """The target cell: ``share`` of the reference's overhead against ``limit``, the share
    to three places (the vs-baseline cell rounds to two, and 0.254 is not at most 0.25)."""
    return f"at most {limit:.2f}x: {verdict(share <= limit)} ({share:.3f}x)"


def overhead_rows(
    variants: Sequence[tuple[str, str]],
    timings: dict[str, Timings],
    reference: str,
    targets: Mapping[str, float],
) -> list[Row]:
    """``variants``: ``(key, label)`` pairs, ``"bare"`` first and the reference last;
    ``targets``: the largest share of the reference's overhead each key may have."""
    bare = timings["bare"].best
    ref_key = variants[-1][0]
    ref_cost = timings[ref_key].best - bare
    rows = []
    for key, label in variants:
        t = timings[key]
        cost = t.best - bare
        result = f"{us(t.best)}/req ({us(t.median)})"
        if key == "bare":
            rows.append(Row(label, result, "1.00x (baseline)"))
            continue
        vs = f"{t.best / bare:.2f}x; {'+' if cost >= 0 else '-'}{us(abs(cost))}"
        target = ""
        if key != ref_key and ref_cost > 0:
            share = cost / ref_cost
            vs += f"; {share:.2f}x {reference}'s overhead"
            if key in targets:
                target = share_target(share, targets[key])
        rows.append(Row(label, result, vs, target))
    return rows
