"""The project's name and version, from every source a build backend would use.

Everything is read as text from a Tree, one module a source; no user code is imported or
run. A version that only code can compute is asked of the build backend (`computed`).
"""

from __future__ import annotations

from typing import Any

from release_guard.errors import ProjectError
from release_guard.project.declarations import other_declarations, read_version_file
from release_guard.project.files import Files, key_line, parse_toml
from release_guard.project.flit import flit_module
from release_guard.project.hatch import hatch_version
from release_guard.project.maturin import cargo_version
from release_guard.project.model import (
    BACKEND,
    COMPUTED,
    FILE,
    STATIC,
    VCS,
    Declaration,
    ProjectInfo,
    Source,
)
from release_guard.project.pdm import pdm_file
from release_guard.project.pysource import computed, read_python_version
from release_guard.project.setuptools import setup_py, setuptools_dynamic
from release_guard.project.static import read_name, static_version
from release_guard.project.vcs import vcs_tool
from release_guard.tree import Tree

__all__ = [
    "BACKEND",
    "COMPUTED",
    "FILE",
    "STATIC",
    "VCS",
    "Declaration",
    "ProjectInfo",
    "Source",
    "key_line",
    "parse_toml",
    "read_project",
    "read_python_version",
    "read_version_file",
]


def _declared_dynamic(files: Files) -> bool:
    return "version" in (files.table("project").get("dynamic") or [])


def _dynamic_version(files: Files, name: str | None) -> tuple[Declaration | None, str | None]:
    """(declaration, vcs tool): file-based dynamic sources first, then VCS tools."""
    for reader in (hatch_version, pdm_file, setuptools_dynamic, cargo_version):
        declaration = reader(files)
        if declaration is not None:
            return declaration, None
    declaration = flit_module(files, name)
    if declaration is not None:
        return declaration, None
    tool = vcs_tool(files)
    if tool is not None:
        return None, tool
    declaration, tool = setup_py(files)
    return declaration, tool


def _kind(declaration: Declaration, primary_config: str) -> str | None:
    if "build backend" in declaration.source.detail:
        return BACKEND
    if declaration.source.detail.startswith("computed"):
        return COMPUTED
    return STATIC if declaration.source.path == primary_config else FILE


def read_project(tree: Tree) -> ProjectInfo:
    """Name and version of the project in `tree`, with every declaration of the version."""
    files = Files.read(tree)
    if files.pyproject_text is None and files.setup_cfg_text is None and tree.read_bytes("setup.py") is None:
        raise ProjectError(
            f"no pyproject.toml, setup.cfg or setup.py in the {tree.label} of {tree.describe('.')}",
            hint="run release-guard in the project's directory (or pass --project DIR)",
        )
    named = read_name(files)
    name, name_source = named if named else (None, None)
    primary_config = _primary_config(files, name_source)
    tool = None
    declaration = None if _declared_dynamic(files) and files.cfg("metadata", "version") is None \
        else static_version(files)
    if declaration is None:
        declaration, tool = _dynamic_version(files, name)
    if declaration is None and tool is None:
        declaration = _backend_fallback(files)
    if named is None and declaration is not None and declaration.source.detail.endswith("build backend"):
        from release_guard.backend import backend_name
        name = backend_name(tree)
        name_source = Source(declaration.source.path, None, "computed by the build backend")
    if declaration is None:
        where = "pyproject.toml" if vcs_tool(files) else "setup.py"  # where the tool is configured
        source = Source(where, None, f"derived from VCS tags by {tool}")
        return ProjectInfo(name, name_source, None, source, VCS, tool, (), tree.label,
                           _config_table(files))
    declarations = [declaration, *other_declarations(files, name, declaration)]
    return ProjectInfo(name, name_source, declaration.version, declaration.source,
                       _kind(declaration, primary_config), None, tuple(declarations), tree.label,
                       _config_table(files))


def _primary_config(files: Files, name_source: Source | None) -> str:
    """The file that declares the project: where its name is, else the first one present."""
    if name_source is not None:
        return name_source.path
    if files.pyproject_text is not None:
        return "pyproject.toml"
    return "setup.cfg" if files.setup_cfg_text is not None else "setup.py"


def _config_table(files: Files) -> Any:
    tool = files.pyproject.get("tool")
    return tool.get("release-guard") if isinstance(tool, dict) else None


def _backend_fallback(files: Files) -> Declaration | None:
    if files.table("build-system") or files.tree.read_bytes("setup.py") is not None:
        return computed(files, "pyproject.toml" if files.pyproject_text else "setup.py",
                         "no version declared as text")
    raise ProjectError(
        f"{files.tree.describe('pyproject.toml')}: declares no version "
        "([project] version, [tool.poetry] version, setup.cfg [metadata] version, or a dynamic source)",
        hint='add version = "0.1.0" to [project] in pyproject.toml',
    )
