"""Read a project's files as of a state: the working tree, the staged index, or a revision.

Every reader in project/ takes a Tree, so "the version at the tagged commit" and "the
version about to be committed" are the same code. Paths are relative to the project
directory and use forward slashes.

No read leaves the project: a path that is absolute, climbs above the project with
`..`, or reaches outside through a symlink is an `OutsideProject` error, on every tree
(setuptools' `_assert_local` refuses the same paths). A symlink inside the project is
followed on every tree alike: the file system follows it for the working tree, GitTree
follows the link that git stores (mode 120000) at the same revision or index.
"""

from __future__ import annotations

import os
import posixpath
from typing import Protocol

from release_guard.errors import ProjectError
from release_guard.git import BlobReader, Repo, entry_mode

_OUTSIDE_HINT = ("use a path inside the project directory; setuptools refuses a file outside "
                 "the project too")
_MAX_LINKS = 8  # symlink hops GitTree follows before calling it a loop


class OutsideProject(ProjectError):
    """Raised when a path names a file outside the project (absolute, `..`, a symlink out)."""

    def __init__(self, path: str, why: str) -> None:
        super().__init__(f"{path} leaves the project ({why})", hint=_OUTSIDE_HINT)
        self.path = path
        self.why = why

    def given_by(self, origin: str) -> ProjectError:
        """The same error, naming where the path came from (`setup.cfg:3: version = file:`)."""
        return ProjectError(f"{origin}: {self.path} leaves the project ({self.why})", hint=_OUTSIDE_HINT)


class Tree(Protocol):
    def read_bytes(self, path: str) -> bytes | None:
        """The file's bytes, or None when it does not exist in this state.

        A path that leaves the project raises OutsideProject."""

    def describe(self, path: str) -> str:
        """How to name the file in a message (`pyproject.toml`, `HEAD:pyproject.toml`)."""

    @property
    def label(self) -> str:
        """Which state this is: `working tree`, `index`, or the revision."""


def _clean(path: str) -> str:
    return posixpath.normpath(path.replace("\\", "/")).lstrip("/")


def contained(path: str) -> str:
    """`path` normalized and project-relative; OutsideProject when it leaves the project.

    Lexical only: the working tree also checks where symlinks lead (WorkTree.read_bytes)."""
    raw = path.replace("\\", "/")
    if "\0" in raw:
        raise OutsideProject(repr(path), "a path cannot contain a NUL character")
    if raw.startswith("/") or (len(raw) > 1 and raw[1] == ":" and raw[0].isalpha()):
        raise OutsideProject(path, "an absolute path")
    clean = posixpath.normpath(raw)
    if clean == ".." or clean.startswith("../"):
        raise OutsideProject(path, "'..' climbs above the project directory")
    return clean


def link_target(link: str, target: str) -> str:
    """Where a symlink at project-relative `link` with text `target` leads, inside the project."""
    if target.startswith("/") or (len(target) > 1 and target[1] == ":" and target[0].isalpha()):
        raise OutsideProject(link, f"a symlink to {target}")
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(link), target))
    if resolved == ".." or resolved.startswith("../"):
        raise OutsideProject(link, f"a symlink to {target}, outside the project")
    return resolved


class WorkTree:
    """Files as they are on disk below `root`."""

    label = "working tree"

    def __init__(self, root: str | os.PathLike[str], display_prefix: str = "") -> None:
        self.root = os.fspath(root)  # str paths: pathlib costs 4 ms to import on the hook path
        self._display_prefix = display_prefix
        self._real_root: str | None = None

    def _inside(self, path: str, target: str) -> None:
        """OutsideProject when a symlink on the way to `target` leads out of the project."""
        if self._real_root is None:
            self._real_root = os.path.realpath(self.root)
        real = os.path.realpath(target)
        if os.path.commonpath([self._real_root, real]) != self._real_root:
            raise OutsideProject(path, f"a symlink leads to {real}, outside the project")

    def read_bytes(self, path: str) -> bytes | None:
        clean = contained(path)
        target = os.path.join(self.root, clean)
        self._inside(path, target)
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


def shown_path(project_dir: str, path: str) -> str:
    """How a message names a project-relative path: `pkg/pyproject.toml` for `-C pkg`."""
    return os.path.normpath(os.path.join(project_dir, path)) if project_dir != "." else path


def work_tree(project_dir: str, *, require: bool = False) -> WorkTree:
    """The project's files on disk, named as `shown_path` names them; with `require`, a
    missing directory is a ProjectError (where no git call has said so already)."""
    if require and not os.path.isdir(project_dir):
        raise ProjectError(f"{project_dir}: no such directory",
                           hint="pass the project's directory with --project DIR")
    prefix = "" if project_dir == "." else os.path.normpath(project_dir) + "/"
    return WorkTree(project_dir, prefix)


def _may_be_link(data: bytes) -> bool:
    """Whether a blob could be a symlink's text: short, one line, no trailing newline.

    git stores a symlink as a blob holding the target path, and `cat-file --batch` does
    not give the entry's mode. Asking git for the mode costs a process (~2 ms), so it is
    asked only for blobs that look like a link; a text file nearly always ends with a
    newline, so a real pyproject.toml or setup.cfg never pays for it."""
    return 0 < len(data) <= 1024 and b"\n" not in data and b"\0" not in data


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
        clean = contained(path)
        for _ in range(_MAX_LINKS):
            data = self._reader.read(f"{self.rev}:{self.repo.prefix}{clean}")
            if data is None or not _may_be_link(data):
                return data
            if entry_mode(self.repo, self.rev, self.repo.prefix + clean) != "120000":
                return data
            try:
                clean = link_target(clean, data.decode("utf-8", "surrogateescape"))
            except OutsideProject as exc:
                raise OutsideProject(path, exc.why) from None
        raise ProjectError(f"{self.describe(path)}: more than {_MAX_LINKS} symlinks in a row "
                           "(a symlink loop?)", hint=f"point {_clean(path)} at a file, not a chain of links")

    def describe(self, path: str) -> str:
        return f"{self.rev}:{_clean(path)}" if self.rev else _clean(path)

    def at(self, rev: str) -> GitTree:
        """The same project at another revision, sharing the one cat-file process."""
        return GitTree(self.repo, rev, self._reader)


def decode(tree: Tree, path: str, data: bytes) -> str:
    """`data` (the file at `path`) as UTF-8 text, a BOM dropped; otherwise a ProjectError."""
    # as the utf-8-sig codec does, without importing it (0.5 ms): a BOM is dropped, and a
    # position in the error counts from after it
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProjectError(
            f"{tree.describe(path)}: not valid UTF-8 (byte {exc.start})",
            hint=f"save {path} as UTF-8",
        ) from None


def read_text(tree: Tree, path: str, origin: str | None = None) -> str | None:
    """The file decoded as UTF-8 (a BOM is dropped); a non-UTF-8 file is a ProjectError.

    `origin` names where the path came from (`setup.cfg:3: version = file:`), for the
    error when the path leaves the project."""
    try:
        data = tree.read_bytes(path)
    except OutsideProject as exc:
        if origin is None:
            raise
        raise exc.given_by(origin) from None
    return None if data is None else decode(tree, path, data)
