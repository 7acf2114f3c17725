"""Running ``python -m okta_session_mw doctor`` as an operator does: a real subprocess with
its own environment (``OKTA_*`` and nothing inherited that could change its answer)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["DoctorRun", "run_doctor"]

_DROPPED_PREFIXES = ("OKTA_", "DJANGO_SETTINGS_MODULE", "SSL_CERT_", "REQUESTS_CA_BUNDLE")


@dataclass(frozen=True)
class DoctorRun:
    status: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    def lines(self) -> dict[str, tuple[str, str]]:
        """check name -> (level word, finding), from every line but the summary."""
        found: dict[str, tuple[str, str]] = {}
        for line in self.stdout.splitlines():
            if line.startswith("doctor:"):
                continue
            level, check, detail = line.split(None, 2)
            found[check] = (level, detail)
        return found

    def level(self, check: str) -> str:
        return self.lines()[check][0]

    def detail(self, check: str) -> str:
        return self.lines()[check][1]


def run_doctor(env: Mapping[str, str], *args: str) -> DoctorRun:
    """Run the doctor with ``env`` added to a clean copy of this environment; a run that
    hangs fails the test (the bound is generous: the doctor waits at most its timeouts)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(_DROPPED_PREFIXES)}
    clean.update(env)
    done = subprocess.run(
        [sys.executable, "-m", "okta_session_mw", "doctor", *args],
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return DoctorRun(done.returncode, done.stdout, done.stderr)
