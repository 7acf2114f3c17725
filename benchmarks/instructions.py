"""The ASGI variants again, counted in CPU instructions per request by callgrind.

Wall-clock figures move with whatever else the machine runs; instruction counts do not
(the same code, inputs and Python give the same count). ``valgrind --tool=callgrind``
runs ``callgrind_target.py``, which marks the start of each variant's loop with
``time.sleep(0)``; callgrind writes one dump per part (``--dump-before=time_sleep``).
A dump also counts the loop itself, the same for every variant, so the differences
between variants are the middlewares' own costs.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.asgi_apps import LABELS
from benchmarks.asgi_overhead import ASGI_TARGETS, REQUEST_NOTE
from benchmarks.comparison import share_target
from benchmarks.load_tools import REPO_ROOT
from benchmarks.table import Row, Section

__all__ = ["NO_DUMPS", "callgrind_counts", "dump_totals", "run"]

TITLE = "ASGI, direct calls under callgrind: CPU instructions per request"


def dump_totals(directory: Path, stem: str) -> dict[int, int]:
    """``{dump number: instructions}`` from callgrind's ``stem.N`` files."""
    totals = {}
    for path in directory.glob(f"{stem}.*"):
        found = re.search(r"^summary:\s+(\d+)", path.read_text(), re.M)
        if found and path.suffix[1:].isdigit():
            totals[int(path.suffix[1:])] = int(found.group(1))
    return totals


def _unavailable(reason: str) -> Section:
    return Section(TITLE, [Row("callgrind", f"not available: {reason}")])


def callgrind_counts(module: str, iterations: int) -> tuple[list[str], dict[int, int]] | str:
    """Run ``python -m module iterations`` under callgrind, with a dump at every
    ``time.sleep``: the keys it printed (its last line, JSON) and the dumps' totals; or
    why it could not run."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        return "valgrind is not installed (Debian: apt-get install valgrind)"
    with tempfile.TemporaryDirectory() as tmp:
        done = subprocess.run(
            [valgrind, "--tool=callgrind", "--dump-before=time_sleep", "--dump-instr=no",
             f"--callgrind-out-file={tmp}/cg.out",
             sys.executable, "-m", module, str(iterations)],
            cwd=REPO_ROOT, capture_output=True, text=True, check=True, timeout=900,
        )  # fmt: skip
        keys: list[str] = json.loads(done.stdout.strip().splitlines()[-1])
        return keys, dump_totals(Path(tmp), "cg.out")


NO_DUMPS = "callgrind wrote no per-variant dumps (Python without symbols?)"


def run(*, iterations: int = 1_000) -> Section:
    counted = callgrind_counts("benchmarks.callgrind_target", iterations)
    if isinstance(counted, str):
        return _unavailable(counted)
    keys, totals = counted
    if not all(k + 2 in totals for k in range(len(keys))):
        return _unavailable(NO_DUMPS)
    per = {key: totals[k + 2] / iterations for k, key in enumerate(keys)}
    return Section(TITLE, instruction_rows(per), [
        f"{iterations:,} requests per variant in one process under valgrind's callgrind; "
        "deterministic: unaffected by other load on the machine",
        REQUEST_NOTE,
    ])  # fmt: skip


def instruction_rows(per: dict[str, float]) -> list[Row]:
    """One row per variant of ``per`` (keys of ``LABELS``, ``bare`` and
    ``starlette_session`` among them), in ``LABELS``' order, with the issue's targets."""
    bare = per["bare"]
    ref_cost = per["starlette_session"] - bare
    rows = [Row(LABELS["bare"], f"{bare:,.0f} instr/req", "1.00x (baseline)")]
    for key in [k for k in LABELS if k in per and k != "bare"]:
        cost = per[key] - bare
        vs = f"{per[key] / bare:.2f}x; {cost:+,.0f} instr"
        target = ""
        if key != "starlette_session" and ref_cost > 0:
            share = cost / ref_cost
            vs += f"; {share:.2f}x SessionMiddleware's overhead"
            if key in ASGI_TARGETS:
                target = share_target(share, ASGI_TARGETS[key])
        rows.append(Row(LABELS[key], f"{per[key]:,.0f} instr/req", vs, target))
    return rows
