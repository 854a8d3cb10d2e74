"""pdm-backend: [tool.pdm.version] source = "file", and pdm-pep517's legacy
`[tool.pdm] version = {from = "..."}`."""

from __future__ import annotations

from release_guard.errors import ProjectError
from release_guard.project.files import Files, key_line
from release_guard.project.model import Declaration
from release_guard.project.pysource import computed, read_python_version
from release_guard.tree import read_text


def _from_file(files: Files, path: str, section: str, key: str) -> Declaration:
    line = key_line(files.pyproject_text, section, key)
    origin = f"{files.tree.describe('pyproject.toml')}:{line or ''}: [{section}] {key}"
    if read_text(files.tree, path, origin=origin) is None:
        raise ProjectError(f"{origin} {path} does not exist", hint=f"create {path} or fix the path")
    return read_python_version(files.tree, path) or computed(files, path, f"[{section}]")


def pdm_file(files: Files) -> Declaration | None:
    section = "tool.pdm.version"
    if files.string(section, "source") == "file":
        path = files.string(section, "path")
        return _from_file(files, path, section, "path") if path is not None else None
    legacy = files.table("tool", "pdm", "version")  # pdm-pep517: version = {from = "pkg/__init__.py"}
    if "from" in legacy:
        path = files.value(section, "from", str, "a string")
        return _from_file(files, path, "tool.pdm", "version")
    return None
