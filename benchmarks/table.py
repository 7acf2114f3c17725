"""The one table every benchmark section feeds: rows, sections, and how they print.

Each measurement module returns a ``Section`` (its rows and the notes that say how the
figures were made); ``render`` lays all sections out as one aligned table, or as one
GitHub Markdown table for the README.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

__all__ = ["Row", "Section", "ms", "render", "us", "verdict"]

_HEADINGS = ("variant", "result", "vs baseline", "target")


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the table: what was run, what it gave, and how that compares."""

    variant: str
    result: str
    vs_baseline: str = ""
    target: str = ""


@dataclass(slots=True)
class Section:
    """A block of rows under a title, with notes on method (sizes, tools, caveats)."""

    title: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def verdict(met: bool) -> str:
    return "MET" if met else "MISSED"


def render(sections: Sequence[Section], *, markdown: bool = False) -> str:
    return _markdown(sections) if markdown else _plain(sections)


def _plain(sections: Sequence[Section]) -> str:
    rows = [r for s in sections for r in s.rows]
    widths = [max([len(h)] + [len(_cells(r)[i]) for r in rows]) for i, h in enumerate(_HEADINGS)]
    total = sum(widths) + 3 * (len(widths) - 1)

    def line(cells: Sequence[str]) -> str:
        return " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    out = [line(_HEADINGS), "-" * total]
    for section in sections:
        out.append(f"== {section.title}")
        out.extend(line(_cells(r)) for r in section.rows)
        out.extend(f"   note: {n}" for n in section.notes)
        out.append("-" * total)
    return "\n".join(out)


def _markdown(sections: Sequence[Section]) -> str:
    out = ["| " + " | ".join(_HEADINGS) + " |", "|" + " --- |" * len(_HEADINGS)]
    for section in sections:
        out.append(f"| **{section.title}** | | | |")
        out.extend("| " + " | ".join(_cells(r)) + " |" for r in section.rows)
    notes = [f"- {s.title}: {n}" for s in sections for n in s.notes]
    return "\n".join(out + (["", *notes] if notes else []))


def _cells(row: Row) -> tuple[str, str, str, str]:
    return row.variant, row.result, row.vs_baseline, row.target


def us(seconds: float) -> str:
    """Seconds as microseconds, for per-request costs."""
    return f"{seconds * 1e6:.2f} µs"


def ms(seconds: float) -> str:
    """Seconds as milliseconds, for latencies."""
    return f"{seconds * 1e3:.2f} ms"
