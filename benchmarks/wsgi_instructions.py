"""Flask and Django again, counted in CPU instructions per request by callgrind.

The direct WSGI timings move with whatever else the machine runs (a Django request is
long enough for other work to evict its caches); instruction counts do not.
``valgrind --tool=callgrind`` runs ``wsgi_callgrind_target.py``, which marks the start
of each variant's loop with ``time.sleep(0)`` (``instructions.py`` explains the dumps).
Each framework's hit is judged against its own session's added cost, as the timed
section judges it.
"""

from __future__ import annotations

from benchmarks.comparison import share_target
from benchmarks.instructions import NO_DUMPS, callgrind_counts
from benchmarks.table import Row, Section
from benchmarks.wsgi_overhead import SAME_REQUEST, WSGI_TARGETS

__all__ = ["run"]

TITLE = "Flask and Django, direct WSGI calls under callgrind: CPU instructions per request"
_LABELS = {
    "flask": {
        "bare": "Flask: bare app, no secret key (baseline)",
        "okta_hit": "Flask: + OktaSession, cache hit",
        "okta_no_cookie": "Flask: + OktaSession, no Okta cookie",
        "flask_session": "Flask: + Flask's session, signed cookie (reference)",
    },
    "django": {
        "bare": "Django: bare app (baseline)",
        "okta_hit": "Django: + OktaSessionMiddleware, cache hit",
        "okta_no_cookie": "Django: + OktaSessionMiddleware, no Okta cookie",
        "django_session": "Django: + SessionMiddleware, signed cookie (reference)",
    },
}
_REFERENCE = {"flask": "flask_session", "django": "django_session"}


def _unavailable(reason: str) -> Section:
    return Section(TITLE, [Row("callgrind", f"not available: {reason}")])


def run(*, iterations: int = 1_000) -> Section:
    counted = callgrind_counts("benchmarks.wsgi_callgrind_target", iterations)
    if isinstance(counted, str):
        return _unavailable(counted)
    keys, totals = counted
    dumps = _dump_numbers(keys)
    if not all(d in totals for d in dumps.values()):
        return _unavailable(NO_DUMPS)
    per = {key: totals[d] / iterations for key, d in dumps.items()}
    rows = [row for framework in _LABELS for row in _rows(framework, per)]
    return Section(TITLE, rows, [
        f"{iterations:,} requests per variant in one process under valgrind's callgrind; "
        "deterministic: unaffected by other load on the machine",
        SAME_REQUEST,
    ])  # fmt: skip


def _dump_numbers(keys: list[str]) -> dict[str, int]:
    """Which callgrind dump holds each key's loop: dump 1 is the set-up, then one per
    loop (a sleep before each and after a framework's last), and the next framework's
    set-up is a dump of its own."""
    numbers: dict[str, int] = {}
    dump = 1
    previous = ""
    for key in keys:
        framework = key.split(":", 1)[0]
        dump += 2 if previous and framework != previous else 1
        numbers[key] = dump
        previous = framework
    return numbers


def _rows(framework: str, per: dict[str, float]) -> list[Row]:
    labels = _LABELS[framework]
    bare = per[f"{framework}:bare"]
    ref_cost = per[f"{framework}:{_REFERENCE[framework]}"] - bare
    rows = [Row(labels["bare"], f"{bare:,.0f} instr/req", "1.00x (baseline)")]
    for key, label in labels.items():
        if key == "bare":
            continue
        total = per[f"{framework}:{key}"]
        cost = total - bare
        vs = f"{total / bare:.2f}x; {cost:+,.0f} instr"
        target = ""
        if key != _REFERENCE[framework] and ref_cost > 0:
            vs += f"; {cost / ref_cost:.2f}x the reference's overhead"
            if key in WSGI_TARGETS:
                target = share_target(cost / ref_cost, WSGI_TARGETS[key])
        rows.append(Row(label, f"{total:,.0f} instr/req", vs, target))
    return rows
