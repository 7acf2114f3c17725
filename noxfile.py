"""The test sessions ``scripts/test`` runs (``.venv/bin/nox -l`` lists them).

- ``tests_newest``: the suite on the newest supported Python found, with the newest
  release of every dependency (what ``pip install`` gives a new user today).
- ``tests_lowest``: the suite on the oldest supported Python found, with every direct
  dependency at the lowest version ``pyproject.toml`` declares (``uv``'s
  ``--resolution lowest-direct``), so each ``>=`` bound is one that passes.

Virtual environments are made by ``uv`` (installed beside nox in ``.venv``) under
``.nox/``, afresh each run. A supported Python that is not on ``PATH`` is reported, never
skipped in silence. pyenv's versions are found here too (its shims run only the active
one), so ``.venv/bin/nox -s tests_newest`` works as well as ``scripts/test``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import nox

SUPPORTED = ("3.10", "3.11", "3.12", "3.13")
"""Keep in step with ``requires-python`` and the classifiers in ``pyproject.toml``."""

EXTRAS = "flask,flask-login,django,redis,opentelemetry,testing,dev"

LOWEST_IGNORES = (
    # Starlette before 1.2 reaches anyio's deprecated alias from its own TestClient
    # module; anyio is Starlette's dependency, not ours, and takes its newest release.
    "ignore:The anyio.abc.BlockingPortal alias is deprecated:DeprecationWarning",
)
"""Warnings of old dependency releases meeting new releases of *their* dependencies:
ignored in the lowest-bounds session only (``filterwarnings = error`` stays for ours)."""

nox.options.default_venv_backend = "uv"
nox.options.download_python = "never"  # no network but the package registries
nox.options.error_on_missing_interpreters = True
nox.options.sessions = ["tests_newest", "tests_lowest"]


def _pyenv_pythons_on_path() -> None:
    """Link each pyenv ``pythonX.Y`` into ``.nox/pythons`` and put that first on ``PATH``."""
    versions = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    links = Path(__file__).parent / ".nox" / "pythons"
    for minor in SUPPORTED:
        found = sorted(versions.glob(f"{minor}.*/bin/python{minor}"))
        if found and os.access(found[-1], os.X_OK):
            links.mkdir(parents=True, exist_ok=True)
            # Made aside, then renamed over the old link in one step: scripts/test loads
            # this file in two nox processes at once, and an unlink-then-link would race.
            aside = links / f".python{minor}.{os.getpid()}"
            aside.unlink(missing_ok=True)
            aside.symlink_to(found[-1])
            os.replace(aside, links / f"python{minor}")
    if links.is_dir():
        os.environ["PATH"] = f"{links}{os.pathsep}{os.environ.get('PATH', '')}"


def _runs(version: str) -> bool:
    """True when ``pythonX.Y`` on ``PATH`` starts (a pyenv shim of an inactive one does not)."""
    path = shutil.which(f"python{version}")
    if path is None:
        return False
    try:
        probe = subprocess.run(  # noqa: S603 - an interpreter found on PATH, no input
            [path, "-c", ""], capture_output=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return probe.returncode == 0


_pyenv_pythons_on_path()
FOUND = [v for v in SUPPORTED if _runs(v)] or [SUPPORTED[-1]]
MISSING = [v for v in SUPPORTED if v not in FOUND]
NEWEST, OLDEST = FOUND[-1], FOUND[0]


def _say_what_runs(session: nox.Session, wanted: str, got: str, what: str) -> None:
    if MISSING:
        session.warn(f"Python {', '.join(MISSING)} not found on PATH: not tested here")
    if got != wanted:
        session.warn(f"{what}: Python {wanted} is missing, running on Python {got} instead")


@nox.session(python=[NEWEST])
def tests_newest(session: nox.Session) -> None:
    """The suite on the newest Python here, with the newest dependency releases."""
    _say_what_runs(session, SUPPORTED[-1], NEWEST, "newest dependencies")
    session.install("--upgrade", "-e", f".[{EXTRAS}]")
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session(python=[OLDEST])
def tests_lowest(session: nox.Session) -> None:
    """The suite on the oldest Python here, every direct dependency at its lowest bound."""
    _say_what_runs(session, SUPPORTED[0], OLDEST, "lowest bounds")
    session.install("--resolution", "lowest-direct", "-e", f".[{EXTRAS}]")
    ignores = [arg for warning in LOWEST_IGNORES for arg in ("-W", warning)]
    session.run("python", "-m", "pytest", *ignores, *session.posargs)
