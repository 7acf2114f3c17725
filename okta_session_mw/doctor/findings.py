"""What one check found: a level word, the check's name and a short sentence."""

from __future__ import annotations

import enum
from dataclasses import dataclass

__all__ = ["Finding", "Level"]


class Level(enum.Enum):
    """How a finding counts: ``FAIL`` makes the exit status non-zero, ``WARN`` only under
    ``--strict``; ``SKIP`` is a check that does not apply (or cannot run) here."""

    OK = "OK"
    WARN = "WARN"
    FAIL = "FAIL"
    SKIP = "SKIP"


@dataclass(frozen=True, slots=True)
class Finding:
    level: Level
    check: str
    detail: str

    @classmethod
    def ok(cls, check: str, detail: str) -> Finding:
        return cls(Level.OK, check, detail)

    @classmethod
    def warn(cls, check: str, detail: str) -> Finding:
        return cls(Level.WARN, check, detail)

    @classmethod
    def fail(cls, check: str, detail: str) -> Finding:
        return cls(Level.FAIL, check, detail)

    @classmethod
    def skip(cls, check: str, detail: str) -> Finding:
        return cls(Level.SKIP, check, detail)
