"""Read a project's files as of a state: the working tree, the staged index, or a revision.

Every reader in project.py takes a Tree, so "the version at the tagged commit" and "the
version about to be committed" are the same code. Paths are relative to the project
directory and use forward slashes.
"""

from __future__ import annotations

import os
import posixpath
from typing import Protocol

from release_guard.errors import ProjectError
from release_guard.git import BlobReader, Repo


class Tree(Protocol):
    def read_bytes(self, path: str) -> bytes | None:
        """The file's bytes, or None when it does not exist in this state."""

    def describe(self, path: str) -> str:
        """How to name the file in a message (`pyproject.toml`, `HEAD:pyproject.toml`)."""

    @property
    def label(self) -> str:
        """Which state this is: `working tree`, `index`, or the revision."""


def _clean(path: str) -> str:
    return posixpath.normpath(path.replace("\\", "/")).lstrip("/")


class WorkTree:
    """Files as they are on disk below `root`."""

    label = "working tree"

    def __init__(self, root: str | os.PathLike[str], display_prefix: str = "") -> None:
        self.root = os.fspath(root)  # str paths: pathlib costs 4 ms to import on the hook path
        self._display_prefix = display_prefix

    def read_bytes(self, path: str) -> bytes | None:
        target = os.path.join(self.root, _clean(path))
        try:
            with open(target, "rb") as handle:
                return handle.read()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None
        except OSError as exc:
            raise ProjectError(
                f"{target}: cannot be read ({exc.strerror or exc})",
                hint=f"check the file's permissions (ls -l {target})",
            ) from None

    def describe(self, path: str) -> str:
        return self._display_prefix + _clean(path)


class GitTree:
    """Files as of a git revision, or of the staged index when `rev` is ``""``."""

    def __init__(self, repo: Repo, rev: str, reader: BlobReader | None = None) -> None:
        self.repo = repo
        self.rev = rev
        self._reader = reader or BlobReader(repo.top)

    @property
    def label(self) -> str:
        return self.rev or "index"

    def read_bytes(self, path: str) -> bytes | None:
        return self._reader.read(f"{self.rev}:{self.repo.prefix}{_clean(path)}")

    def describe(self, path: str) -> str:
        return f"{self.rev}:{_clean(path)}" if self.rev else _clean(path)

    def at(self, rev: str) -> GitTree:
        """The same project at another revision, sharing the one cat-file process."""
        return GitTree(self.repo, rev, self._reader)


def read_text(tree: Tree, path: str) -> str | None:
    """The file decoded as UTF-8 (a BOM is dropped); a non-UTF-8 file is a ProjectError."""
    data = tree.read_bytes(path)
    if data is None:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ProjectError(
            f"{tree.describe(path)}: not valid UTF-8 (byte {exc.start})",
            hint=f"save {path} as UTF-8",
        ) from None
