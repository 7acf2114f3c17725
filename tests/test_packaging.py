"""What ``pip install okta-session-mw`` gets: the sdist and wheel built from this tree.

Both are built once (``uv build``, isolated, as a release would be) and read back: the
license, the metadata PyPI shows, and what the sdist carries.
"""

from __future__ import annotations

import email
import re
import subprocess
import sys
import tarfile
import zipfile
from email.message import Message
from pathlib import Path

import pytest
from trove_classifiers import classifiers as known_classifiers
from uv import find_uv_bin

if sys.version_info >= (3, 11):
    import tomllib
else:  # pytest's own dependency there
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
SUPPORTED = ("3.10", "3.11", "3.12", "3.13")


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [find_uv_bin(), "build", "--quiet", "--out-dir", str(out), str(ROOT)],
        check=True,
        timeout=300,
    )
    return out


def sdist_names(dist: Path) -> list[str]:
    (path,) = dist.glob("*.tar.gz")
    with tarfile.open(path) as sdist:
        return [name.split("/", 1)[1] for name in sdist.getnames() if "/" in name]


def wheel_metadata(dist: Path) -> tuple[Message, list[str]]:
    (path,) = dist.glob("*.whl")
    with zipfile.ZipFile(path) as wheel:
        names = wheel.namelist()
        (metadata,) = [n for n in names if n.endswith(".dist-info/METADATA")]
        return email.message_from_bytes(wheel.read(metadata)), names


def test_i10_22_license_file_says_mit_and_ships_in_both(dist: Path) -> None:
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License")
    assert "the okta-session-mw authors" in text
    assert "LICENSE" in sdist_names(dist)
    metadata, names = wheel_metadata(dist)
    assert metadata["License-Expression"] == "MIT"
    assert metadata.get_all("License-File") == ["LICENSE"]
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)


def test_i10_22_classifiers_are_known_and_name_every_supported_python(dist: Path) -> None:
    metadata, _ = wheel_metadata(dist)
    classifiers = metadata.get_all("Classifier") or []
    assert classifiers
    assert set(classifiers) <= known_classifiers, set(classifiers) - known_classifiers
    versions = {c.rsplit(" :: ", 1)[1] for c in classifiers if c.count(".") == 1 and "Python" in c}
    assert versions == set(SUPPORTED)
    assert metadata["Requires-Python"] == f">={SUPPORTED[0]}"
    assert f"{sys.version_info.major}.{sys.version_info.minor}" in SUPPORTED
    nox_versions = re.search(r"^SUPPORTED = \(([^)]*)\)", (ROOT / "noxfile.py").read_text(), re.M)
    assert nox_versions is not None
    assert tuple(re.findall(r'"([0-9.]+)"', nox_versions[1])) == SUPPORTED  # what scripts/test runs
    assert not any(c.startswith("License ::") for c in classifiers)  # PEP 639: the expression


def test_i10_22_project_urls_name_no_made_up_host(dist: Path) -> None:
    """The project has no public home yet: no URL rather than an invented one."""
    metadata, _ = wheel_metadata(dist)
    assert metadata.get_all("Project-URL") is None
    assert "urls" not in PYPROJECT["project"]


def test_i10_22_sdist_ships_no_tests_that_cannot_run(dist: Path) -> None:
    """The tests need the repository (helpers, fixtures, example app, shared docs); an
    sdist with some test files and none of those could not run them."""
    names = sdist_names(dist)
    for folder in ("tests/", "benchmarks/", "example_app/"):
        assert not any(n.startswith(folder) for n in names), folder
    assert "okta_session_mw/testing/fake_okta.py" in names  # the fake is the library's
    assert "okta_session_mw/py.typed" in names
    assert "README.md" in names


def test_i10_22_testing_extra_brings_httpx2_for_starlettes_testclient(dist: Path) -> None:
    metadata, _ = wheel_metadata(dist)
    assert "testing" in (metadata.get_all("Provides-Extra") or [])
    requires = metadata.get_all("Requires-Dist") or []
    assert any(r.startswith("httpx2") and 'extra == "testing"' in r for r in requires)
    # With it installed (as here), TestClient does not ask for it.
    probe = [sys.executable, "-W", "always", "-c", "import starlette.testclient"]
    imported = subprocess.run(probe, capture_output=True, text=True, check=True)
    assert "httpx2" not in imported.stderr


def test_i15_50_every_package_of_the_tree_is_listed_in_pyproject() -> None:
    """``packages`` in pyproject.toml is a list written by hand. setuptools still ships a
    package missing from it, but warns that it "is absent from the packages
    configuration" and that this will stop working: a new package (the doctor's, say)
    must join the list."""
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    for init in (ROOT / "okta_session_mw").rglob("__init__.py"):
        package = ".".join(init.parent.relative_to(ROOT).parts)
        assert package in listed, f"{package} is missing from pyproject.toml's packages"
