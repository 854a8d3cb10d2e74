"""The state of a project that a command reads, named in messages as the user gave it.

A commit is named by what the user typed — `tag v1.0 (commit ed4b86c)`, `--ref main` —
never by a bare hash; a project missing from a state, or unmerged in it, is said so.
"""

from __future__ import annotations

import posixpath

from release_guard import git
from release_guard.errors import ProjectError
from release_guard.tree import GitTree, Tree

BUILD_FILES = ("pyproject.toml", "setup.cfg", "setup.py")


class NamedTree(GitTree):
    """A GitTree whose messages name the revision as the user gave it."""

    def __init__(self, repo: git.Repo, rev: str, name: str, display_prefix: str = "",
                 reader: git.BlobReader | None = None) -> None:
        super().__init__(repo, rev, reader)
        self.name = name
        self._display_prefix = display_prefix

    @property
    def label(self) -> str:
        return self.name

    def describe(self, path: str) -> str:
        clean = posixpath.normpath(path.replace("\\", "/")).lstrip("/")
        return f"{self._display_prefix}{clean} at {self.name}"


def short(sha: str) -> str:
    return sha[:7]


def tag_name(tag: str, sha: str) -> str:
    return f"tag {tag} (commit {short(sha)})"


def display_prefix(project_dir: str) -> str:
    """How a project-relative path is shown: `pkg/pyproject.toml`, or as is for `.`."""
    shown = posixpath.normpath(project_dir.replace("\\", "/"))
    return "" if shown == "." else shown + "/"


def has_project(tree: Tree) -> bool:
    return any(tree.read_bytes(path) is not None for path in BUILD_FILES)


def missing_project(tree: Tree, project_dir: str) -> ProjectError | None:
    """The error for a state that holds no build file at all, naming that state; None when
    the project is there (and something else went wrong)."""
    if has_project(tree):
        return None
    folder = display_prefix(project_dir)
    what = "no pyproject.toml, setup.cfg or setup.py"
    if isinstance(tree, NamedTree):
        return ProjectError(f"{what} {f'in {folder} ' if folder else ''}at {tree.name}",
                            hint="check that the project existed there, or pass its directory "
                            "with --project DIR")
    if isinstance(tree, GitTree):  # the staged index
        return ProjectError(f"{what} is staged{f' in {folder}' if folder else ''}",
                            hint="stage the project's files (git add pyproject.toml), or run "
                            "release-guard in the project's directory (--project DIR)")
    return None  # the working tree: read_project's own message names the folder


def unmerged(repo: git.Repo, project_dir: str) -> ProjectError | None:
    """The error for files of the project left unmerged by a merge, rebase or stash pop:
    the staged index holds no version of them, so nothing can be read."""
    paths = [p for p in git.unmerged_paths(git.start_unmerged(repo).output())
             if p.startswith(repo.prefix)]
    if not paths:
        return None
    prefix = display_prefix(project_dir)
    shown = [prefix + p[len(repo.prefix):] for p in paths]
    listed = ", ".join(shown[:3]) + (f" and {len(shown) - 3} more" if len(shown) > 3 else "")
    verb = "is" if len(shown) == 1 else "are"
    return ProjectError(f"{listed} {verb} unmerged (resolve the conflict first)",
                        hint=f"edit the conflict out, then git add {shown[0]} (git status lists "
                        "every conflict)")
