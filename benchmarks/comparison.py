"""Rows comparing variants of one app: baseline, the middleware's variants, a reference.

Used by the direct-call sections (ASGI, Flask, Django): the overhead of a variant is
its time minus the bare app's, and the middleware's overhead is also given as a share
of the reference's ("what a cookie middleware costs" in that framework).
"""

from __future__ import annotations

from collections.abc import Sequence

from benchmarks.table import Row, us, verdict
from benchmarks.timing import Timings

__all__ = ["overhead_rows"]


def overhead_rows(
    variants: Sequence[tuple[str, str]], timings: dict[str, Timings], reference: str
) -> list[Row]:
    """``variants``: ``(key, label)`` pairs, ``"bare"`` first and the reference last.

    A key ending in ``hit`` carries the target (issue 7: below half of the reference's
    overhead; DESIGN.md aims at a quarter).
    """
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
        if key != ref_key:
            if ref_cost > 0:
                share = cost / ref_cost
                vs += f"; {share:.2f}x {reference}'s overhead"
                if key.endswith("hit"):
                    target = (
                        f"< 0.50x: {verdict(share < 0.5)}; "
                        f"DESIGN aim < 0.25x: {verdict(share < 0.25)}"
                    )
            if key.endswith("no_cookie"):
                target = "adds almost nothing (DESIGN)"
        rows.append(Row(label, result, vs, target))
    return rows
