"""Monorepos: `projects = [...]` in a root's [tool.release-guard] names the projects it guards.

An entry is a folder below the root that holds a project (pyproject.toml, setup.cfg or
setup.py). An entry that leaves the root (`..`, an absolute path, a symlink out) or holds
no project is a ConfigError naming the entry: a typo must never turn a guard off.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Mapping
from typing import Any

from release_guard import config as config_mod
from release_guard.errors import ConfigError
from release_guard.states import BUILD_FILES, has_project
from release_guard.tree import Tree, read_text

_HINT = "list folders below the root, relative to its pyproject.toml, e.g. projects = [\"pkgs/a\"]"


def root_table(tree: Tree, where: str) -> Mapping[str, Any] | None:
    """The root's [tool.release-guard] table when it lists `projects`, else None.

    A substring test first: on the commit hook's path a root without `projects` costs no
    second TOML parse.
    """
    text = read_text(tree, "pyproject.toml")
    if text is None or "projects" not in text:
        return None
    from release_guard.project import parse_toml

    tool = parse_toml(text, tree.describe("pyproject.toml")).get("tool")
    table = tool.get("release-guard") if isinstance(tool, dict) else None
    if not isinstance(table, dict):
        return None
    return table if config_mod.from_table(table, where).get("projects") else None


def entry_path(entry: str, where: str) -> str:
    """The entry as a clean relative path (`.` for the root itself); one that leaves the
    root is a ConfigError."""
    clean = posixpath.normpath(entry.replace("\\", "/")) if entry.strip() else ""
    if not clean or posixpath.isabs(clean) or clean == ".." or clean.startswith("../") or (
            len(clean) > 1 and clean[1] == ":"):  # C:/... on Windows
        raise ConfigError(f"{where} [tool.release-guard]: projects entry {entry!r} is not a folder "
                          "inside the root", hint=_HINT)
    return clean


def require_project(tree: Tree, entry: str, where: str, state: str) -> None:
    """A listed folder must hold a project in the state being read."""
    if not has_project(tree):
        raise ConfigError(
            f"{where} [tool.release-guard]: projects entry {entry!r} has no "
            f"{', '.join(BUILD_FILES[:-1])} or {BUILD_FILES[-1]} {state}",
            hint=f"fix the path in projects = [...]; {_HINT}")


def require_inside(root_dir: str, entry: str, where: str) -> None:
    """On disk, the entry's folder must not lead out of the root through a symlink."""
    real_root = os.path.realpath(root_dir)
    real = os.path.realpath(os.path.join(root_dir, entry_path(entry, where)))
    if real != real_root and not real.startswith(real_root.rstrip(os.sep) + os.sep):
        raise ConfigError(f"{where} [tool.release-guard]: projects entry {entry!r} leads outside the "
                          f"root (to {real})", hint=_HINT)


def inherit(root: Mapping[str, Any], own: Any) -> Any:
    """A project's own [tool.release-guard] table over the root's (less `projects`: one level)."""
    if own is not None and not isinstance(own, Mapping):
        return own  # not a table: config.load names the project's file and refuses it
    merged = {key: value for key, value in root.items() if key != "projects"}
    merged.update({key: value for key, value in (own or {}).items() if key != "projects"})
    return merged
