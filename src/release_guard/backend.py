"""The slow path: ask the project's PEP 517 build backend for its metadata.

Taken only when the version is computed by code that the text readers cannot follow.
The backend runs in the current environment when it already has the build requirements
(no network), otherwise in an isolated environment that `build` creates.
"""

from __future__ import annotations

import tempfile
from email.parser import Parser
from pathlib import Path

from release_guard.errors import ProjectError
from release_guard.tree import GitTree, Tree, WorkTree


def _materialize(tree: Tree, target: Path) -> Path:
    """A directory holding the tree's project files (git archive for a revision or the index)."""
    if isinstance(tree, WorkTree):
        return tree.root
    assert isinstance(tree, GitTree)
    from release_guard import git

    repo = tree.repo
    if tree.rev:
        treeish = f"{tree.rev}:{repo.prefix}" if repo.prefix else tree.rev
    else:
        treeish = git.run(["write-tree", *([f"--prefix={repo.prefix}"] if repo.prefix else [])],
                          repo.top).stdout.strip()
    archive = target / "project.tar"
    git.run(["archive", "--format=tar", "-o", str(archive), treeish], repo.top)
    import tarfile

    with tarfile.open(archive) as tar:
        tar.extractall(target / "src", filter="data")
    return target / "src"


_CACHE: dict[str, tuple[str, str]] = {}


def _metadata(tree: Tree) -> tuple[str, str]:
    """(Name, Version) from the backend's wheel metadata; one backend run per tree."""
    key = f"{id(tree)}:{tree.describe('.')}"
    if key not in _CACHE:
        _CACHE[key] = _run_backend(tree)
    return _CACHE[key]


def _run_backend(tree: Tree) -> tuple[str, str]:
    import build
    import build.util

    with tempfile.TemporaryDirectory(prefix="release-guard-") as tmp:
        srcdir = _materialize(tree, Path(tmp))
        try:
            builder = build.ProjectBuilder(srcdir)
            isolated = bool(builder.check_dependencies("wheel"))
            message = build.util.project_wheel_metadata(srcdir, isolated=isolated)
        except Exception as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[-1]
            raise ProjectError(
                f"{tree.describe('pyproject.toml')}: the build backend could not report the "
                f"version: {first}",
                hint="run `python -m build --sdist` to see the backend's full error",
            ) from None
    parsed = Parser().parsestr(str(message)) if not hasattr(message, "get") else message
    return str(parsed.get("Name", "")), str(parsed.get("Version", ""))


def ask_backend(tree: Tree) -> str:
    return _metadata(tree)[1]


def backend_name(tree: Tree) -> str:
    return _metadata(tree)[0]
