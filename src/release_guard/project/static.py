"""Versions and names declared as literals: [project], [tool.poetry], setup.cfg [metadata]."""

from __future__ import annotations

from release_guard.errors import ProjectError
from release_guard.project.files import Files, key_line
from release_guard.project.model import Declaration, Source
from release_guard.project.setuptools import from_attr, from_file, setup_py_literal


def read_name(files: Files) -> tuple[str, Source] | None:
    text = files.pyproject_text
    for section in ("project", "tool.poetry"):
        value = files.string(section, "name")
        if value is not None and value.strip():
            return value.strip(), Source("pyproject.toml", key_line(text, section, "name"))
    cfg_name = files.cfg("metadata", "name")
    if cfg_name:
        return cfg_name, Source("setup.cfg", key_line(files.setup_cfg_text, "metadata", "name", "=:"))
    return setup_py_literal(files.tree, "name")


def static_version(files: Files) -> Declaration | None:
    """A literal version in [project], [tool.poetry] or setup.cfg [metadata]."""
    project = files.table("project")
    if "version" in project and "version" not in (project.get("dynamic") or []):
        value = project["version"]
        if not isinstance(value, str):
            raise ProjectError(
                f"pyproject.toml:{key_line(files.pyproject_text, 'project', 'version') or ''}: "
                f"[project] version must be a string, got {value!r}",
                hint='write it as version = "1.2.3"',
            )
        line = key_line(files.pyproject_text, "project", "version")
        return Declaration(value, Source("pyproject.toml", line))
    declaration = poetry_version(files)
    if declaration is not None:
        return declaration
    cfg_version = files.cfg("metadata", "version")
    if cfg_version:
        line = key_line(files.setup_cfg_text, "metadata", "version", "=:")
        if cfg_version.startswith("attr:"):
            return from_attr(files, cfg_version[5:].strip(), "setup.cfg", line)
        if cfg_version.startswith("file:"):
            return from_file(files, cfg_version[5:].split(",")[0], "setup.cfg", line)
        return Declaration(cfg_version, Source("setup.cfg", line))
    return None


def poetry_version(files: Files) -> Declaration | None:
    """[tool.poetry] version: the version (Poetry 1), or beside [project] dynamic (Poetry 2)."""
    version = files.string("tool.poetry", "version")
    if version is None or poetry_dynamic(files):
        return None
    line = key_line(files.pyproject_text, "tool.poetry", "version")
    return Declaration(version, Source("pyproject.toml", line))


def poetry_dynamic(files: Files) -> bool:
    return files.table("tool", "poetry-dynamic-versioning").get("enable") is True
