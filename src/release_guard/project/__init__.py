"""The project's name and version, from every source a build backend would use.

Everything is read as text from a Tree, one module a source; no user code is imported or
run. A version that only code can compute is asked of the build backend (`computed`).
"""

from __future__ import annotations

from typing import Any

from release_guard.errors import ProjectError
from release_guard.project.declarations import other_declarations, read_version_file
from release_guard.project.files import Files, key_line, parse_toml
from release_guard.project.flit import flit_version
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
from release_guard.project.packages import shipped
from release_guard.project.pysource import PLACEHOLDERS, computed, read_python_version
from release_guard.project.setuptools import setup_py, setuptools_dynamic
from release_guard.project.static import poetry_version, read_name, static_version
from release_guard.tree import OutsideProject, Tree, contained

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
    return "version" in (files.strings("project", "dynamic") or [])


def _check_tables(files: Files) -> None:
    """The top-level shapes every reader relies on: a wrong type is an error here, never a
    reader quietly finding nothing and falling through to the build backend."""
    for table in ("project", "tool", "build-system"):
        files.table(table)
    files.strings("project", "dynamic")
    files.strings("build-system", "requires")
    files.string("build-system", "build-backend")


def _config_allows_backend(files: Files) -> bool:
    """The project's own `[tool.release-guard] allow-backend = true` (a real boolean)."""
    table = _config_table(files)
    return isinstance(table, dict) and table.get("allow-backend") is True


def _check_version_files(files: Files) -> None:
    """`version-files` in [tool.release-guard] stay inside the project (the readers refuse
    them too; here the error names the key that gave the path)."""
    table = _config_table(files)
    paths = table.get("version-files") if isinstance(table, dict) else None
    if not isinstance(paths, list):
        return  # the config loader reports a wrong type
    line = key_line(files.pyproject_text, "tool.release-guard", "version-files")
    origin = f"{files.tree.describe('pyproject.toml')}:{line or ''}: [tool.release-guard] version-files"
    for path in paths:
        if isinstance(path, str):
            try:
                contained(path)
            except OutsideProject as exc:
                raise exc.given_by(origin) from None


def _dynamic_version(files: Files, name: str | None) -> tuple[Declaration | None, str | None]:
    """(declaration, vcs tool): file-based dynamic sources first, then VCS tools."""
    # imported here: a literal version, the usual case on the commit hook's path, needs
    # none of these readers (hatch's compiles a regular expression at import)
    from release_guard.project.hatch import hatch_version
    from release_guard.project.pdm import pdm_file
    from release_guard.project.vcs import vcs_tool

    for reader in (hatch_version, pdm_file, setuptools_dynamic, cargo_version, poetry_version):
        declaration = reader(files)
        if declaration is not None:
            return declaration, None
    declaration = flit_version(files, name)
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


def read_project(tree: Tree, allow_backend: bool = False) -> ProjectInfo:
    """Name and version of the project in `tree`, with every declaration of the version.

    A version that only code can compute is asked of the build backend, which runs the
    project's code, only with `allow_backend` or the project's own `allow-backend = true`;
    otherwise it is a ProjectError that says so."""
    files = Files.read(tree)
    if files.pyproject_text is None and files.setup_cfg_text is None and tree.read_bytes("setup.py") is None:
        raise ProjectError(
            f"no pyproject.toml, setup.cfg or setup.py in the {tree.label} of {tree.describe('.')}",
            hint="run release-guard in the project's directory (or pass --project DIR)",
        )
    _check_tables(files)
    files.allow_backend = allow_backend or _config_allows_backend(files)
    _check_version_files(files)
    named = read_name(files)
    name, name_source = named if named else (None, None)
    primary_config = _primary_config(files, name_source)
    tool = None
    declaration = None if _declared_dynamic(files) and files.cfg("metadata", "version") is None \
        else static_version(files)
    if declaration is None:
        declaration, tool = _dynamic_version(files, name)
    if declaration is None and tool is None:
        declaration = _backend_fallback(files, named is not None)
    if named is None and declaration is not None and declaration.source.detail.endswith("build backend"):
        from release_guard.backend import backend_name
        name = backend_name(tree)
        if name in PLACEHOLDERS or not name:
            raise ProjectError(
                f"{tree.describe(primary_config)}: declares no name/version: the build backend reported "
                f"the placeholder name {name or '(none)'}",
                hint='declare the name in pyproject.toml ([project] name = "...")')
        name_source = Source(declaration.source.path, None, "computed by the build backend")
    packages = shipped(files, name, declaration)
    if declaration is None:
        from release_guard.project.vcs import vcs_tool

        where = "pyproject.toml" if vcs_tool(files) else "setup.py"  # where the tool is configured
        source = Source(where, None, f"derived from VCS tags by {tool}")
        return ProjectInfo(name, name_source, None, source, VCS, tool, (), tree.label,
                           _config_table(files), packages)
    declarations = [declaration, *other_declarations(files, name, declaration)]
    return ProjectInfo(name, name_source, declaration.version, declaration.source,
                       _kind(declaration, primary_config), None, tuple(declarations), tree.label,
                       _config_table(files), packages)


def _primary_config(files: Files, name_source: Source | None) -> str:
    """The file that declares the project: where its name is, else the first one present."""
    if name_source is not None:
        return name_source.path
    if files.pyproject_text is not None:
        return "pyproject.toml"
    return "setup.cfg" if files.setup_cfg_text is not None else "setup.py"


def _config_table(files: Files) -> Any:
    return files.table("tool").get("release-guard")


_SETUPTOOLS = ("setuptools.build_meta", "setuptools.build_meta:__legacy__")


def _backend_fallback(files: Files, named: bool) -> Declaration:
    """No version as text: code computes it (setup.py, or a backend of its own), or there is none."""
    if files.tree.read_bytes("setup.py") is not None:
        return computed(files, "setup.py", "setup.py", "the version")
    backend = files.string("build-system", "build-backend")
    if _declared_dynamic(files) and backend and backend not in _SETUPTOOLS:
        # a backend release-guard has no reader for (meson-python, scikit-build-core, in-tree)
        return computed(files, "pyproject.toml", f"dynamic version of {backend}",
                        f"the dynamic version of {backend}")
    where = files.tree.describe("pyproject.toml" if files.pyproject_text is not None else "setup.cfg")
    if not named:
        raise ProjectError(
            f"{where}: declares no name/version ([project] name and version, [tool.poetry], "
            "setup.cfg [metadata] or setup.py)",
            hint='add [project] with name = "..." and version = "0.1.0" to pyproject.toml')
    raise ProjectError(
        f"{where}: declares no version "
        "([project] version, [tool.poetry] version, setup.cfg [metadata] version, or a dynamic source)",
        hint='add version = "0.1.0" to [project] in pyproject.toml',
    )
