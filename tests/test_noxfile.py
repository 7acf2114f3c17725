"""``noxfile.py`` loaded by two nox processes at once (``scripts/test`` runs its two
sessions side by side): each links pyenv's interpreters into ``.nox/pythons`` as it
loads, and neither may fail because the other is doing the same (CI once failed on
``FileExistsError`` there, the newest session never run).

Four processes load a copy of the noxfile beside a pyenv tree of stand-in interpreters
and relink 300 times each, all at once.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RELINK = """
import importlib.util, sys
spec = importlib.util.spec_from_file_location("noxfile_copy", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)  # links once as it loads, as nox does
for _ in range(300):
    module._pyenv_pythons_on_path()
"""


def test_two_noxes_loading_at_once_both_link_the_interpreters(tmp_path: Path) -> None:
    versions = tmp_path / "pyenv" / "versions"
    for minor in ("3.10", "3.11", "3.12", "3.13"):
        binary = versions / f"{minor}.0" / "bin" / f"python{minor}"
        binary.parent.mkdir(parents=True)
        binary.write_text("#!/bin/sh\nexit 0\n")
        binary.chmod(0o755)
    shutil.copy(ROOT / "noxfile.py", tmp_path / "noxfile.py")
    env = {**os.environ, "PYENV_ROOT": str(tmp_path / "pyenv")}
    racers = [
        subprocess.Popen(  # this interpreter, our own script
            [sys.executable, "-c", RELINK, str(tmp_path / "noxfile.py")],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    errors = [racer.communicate(timeout=120)[1] for racer in racers]
    assert [racer.returncode for racer in racers] == [0] * 4, "\n".join(errors)
    links = tmp_path / ".nox" / "pythons"
    assert sorted(link.name for link in links.iterdir()) == [
        "python3.10",
        "python3.11",
        "python3.12",
        "python3.13",
    ]
    assert (links / "python3.13").resolve() == (versions / "3.13.0/bin/python3.13").resolve()
