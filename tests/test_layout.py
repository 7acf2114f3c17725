"""The layout stays the way issue 11 left it: small files, short functions, and every
public import path DESIGN.md names still importable.

Sizes are counted on the package's own sources (``okta_session_mw/`` and ``integrations/``;
``okta_session_mw/integrations`` is a symlink to the latter and is not counted twice).
"""

from __future__ import annotations

import ast
import importlib
import re
from collections.abc import Iterator
from pathlib import Path

import django_project
import pytest

django_project.configure()  # the Django adapter's modules read settings when imported

ROOT = Path(__file__).resolve().parents[1]
MAX_FILE_LINES = 300
MAX_FUNCTION_LINES = 50  # from the ``def`` line to the last line of the body

# Files and functions allowed over the limit, with their size: none since issue 11. An
# entry may only shrink, and goes once it is under the limit.
FILES_OVER_THE_LIMIT: dict[str, int] = {}
# Likewise for functions (``file::qualified name``: its length in lines).
FUNCTIONS_OVER_THE_LIMIT: dict[str, int] = {}


def package_sources() -> list[Path]:
    symlinked = ROOT / "okta_session_mw" / "integrations"
    return [
        path
        for base in ("okta_session_mw", "integrations")
        for path in sorted((ROOT / base).rglob("*.py"))
        if not path.is_relative_to(symlinked)
    ]


def functions(tree: ast.AST, prefix: str = "") -> Iterator[tuple[str, int]]:
    """``(qualified name, lines)`` of every function and method, nested ones included."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            assert node.end_lineno is not None
            yield prefix + node.name, node.end_lineno - node.lineno + 1
            yield from functions(node, f"{prefix}{node.name}.")
        elif isinstance(node, ast.ClassDef):
            yield from functions(node, f"{prefix}{node.name}.")
        else:
            yield from functions(node, prefix)


def over_the_limit(sizes: dict[str, int], limit: int, allowed: dict[str, int]) -> list[str]:
    """What breaks the limit or the allow-list (an entry that grew or is no longer needed)."""
    problems = [
        f"{name}: {size} lines, over {limit}"
        for name, size in sizes.items()
        if size > limit and name not in allowed
    ]
    for name, was in allowed.items():
        size = sizes.get(name)
        if size is None:
            problems.append(f"{name}: gone; remove it from the allow-list")
        elif size > was:
            problems.append(f"{name}: {size} lines, grew from {was} (allowed only to shrink)")
        elif size <= limit:
            problems.append(f"{name}: {size} lines now; remove it from the allow-list")
    return problems


def test_i11_06_modules_stay_small() -> None:
    sizes = {
        path.relative_to(ROOT).as_posix(): len(path.read_text().splitlines())
        for path in package_sources()
    }
    assert len(sizes) > 50  # the walk found the package
    problems = over_the_limit(sizes, MAX_FILE_LINES, FILES_OVER_THE_LIMIT)
    assert not problems, "\n".join(problems)


def test_i11_06_functions_stay_short() -> None:
    sizes = {
        f"{path.relative_to(ROOT).as_posix()}::{name}": lines
        for path in package_sources()
        for name, lines in functions(ast.parse(path.read_text(), str(path)))
    }
    # methods count too
    assert "okta_session_mw/engine/refresh_backoff.py::RefreshBackoff.allows" in sizes
    problems = over_the_limit(sizes, MAX_FUNCTION_LINES, FUNCTIONS_OVER_THE_LIMIT)
    assert not problems, "\n".join(problems)


# -- DESIGN.md's public import paths ---------------------------------------------------------

_DESIGN_CANDIDATES = [
    ROOT.parent / "shared" / "DESIGN.md",
    ROOT.parent.parent / "shared" / "DESIGN.md",
]
_FROM_IMPORT = re.compile(r"^from (okta_session_mw[\w.]*) import ([\w, ]+)", re.MULTILINE)
_DOTTED = re.compile(r"\bokta_session_mw(?:\.\w+)+")


def design_text() -> str:
    for candidate in _DESIGN_CANDIDATES:
        if candidate.is_file():
            return candidate.read_text()
    pytest.fail(
        "DESIGN.md not found; clone the shared folder beside the repository (looked at: "
        f"{', '.join(str(c) for c in _DESIGN_CANDIDATES)})"
    )


def design_import_paths(text: str) -> list[str]:
    """Every ``module.name`` DESIGN.md spells out: its ``from ... import ...`` lines and the
    dotted paths it quotes (``okta_session_mw.integrations.django.OktaSessionMiddleware``)."""
    paths = [
        f"{module}.{name.strip()}"
        for module, names in _FROM_IMPORT.findall(text)
        for name in names.split(",")
    ]
    return list(dict.fromkeys([*paths, *_DOTTED.findall(text)]))


def importable(path: str) -> bool:
    """``path`` is a module, or a name a module holds (``package.module.Name``)."""
    try:
        importlib.import_module(path)
        return True
    except ModuleNotFoundError as error:
        if error.name is None or not (path + ".").startswith(error.name + "."):
            raise  # the module exists but imports something that does not
        if error.name != path:
            return False  # a package on the way is missing
    module, _, name = path.rpartition(".")
    return hasattr(importlib.import_module(module), name)


def test_i11_03_public_import_paths_of_design_keep_working() -> None:
    text = design_text()
    paths = design_import_paths(text)
    for expected in (  # the parse still finds what DESIGN lists (guards the regexes)
        "okta_session_mw.OktaSessionMiddleware",
        "okta_session_mw.testing.FakeOkta",
        "okta_session_mw.integrations.flask.OktaSession",
        "okta_session_mw.integrations.django.OktaSessionMiddleware",
        "okta_session_mw.integrations.django.urls",
    ):
        assert expected in paths
    assert [path for path in paths if not importable(path)] == []
    # "``okta_session_required`` is importable from each adapter's module"
    assert "`okta_session_required` is importable from each adapter's module" in text
    for adapter in (
        "okta_session_mw",
        "okta_session_mw.integrations.flask",
        "okta_session_mw.integrations.django",
    ):
        assert callable(importlib.import_module(adapter).okta_session_required), adapter
