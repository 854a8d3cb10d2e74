"""The slow path: ask the project's PEP 517 build backend for its metadata.

Taken only when the version is computed by code that the text readers cannot follow, and
only when running the project's code was allowed: `--backend`, RELEASE_GUARD_ALLOW_BACKEND
or the project's `allow-backend = true` (project.pysource.computed checks; the hooks never
get here by default). The backend runs in the current environment when it already has the
build requirements (no network), otherwise in an isolated environment that `build` creates.
"""

from __future__ import annotations

import os
import warnings
import weakref
from collections.abc import Mapping, Sequence
from email.parser import Parser
from pathlib import Path

from release_guard.errors import ProjectError
from release_guard.tree import GitTree, Tree, WorkTree

_NOT_COPIED = (".git", ".hg", ".tox", ".nox", ".venv", "venv", "node_modules", "build", "dist",
               "*.egg-info", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache")


def _materialize(tree: Tree, target: Path) -> Path:
    """A copy of the tree's project files: the backend may write (egg-info) where it runs."""
    if isinstance(tree, WorkTree):
        import shutil

        shutil.copytree(tree.root, target / "src", ignore=shutil.ignore_patterns(*_NOT_COPIED),
                        symlinks=True)
        return target / "src"
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
        if hasattr(tarfile, "data_filter"):  # Python 3.10.12+ / 3.11.4+
            tar.extractall(target / "src", filter="data")
        else:  # pragma: no cover - the archive is the user's own git tree
            tar.extractall(target / "src")  # noqa: S202
    return target / "src"


_CACHE: weakref.WeakKeyDictionary[Tree, tuple[str, str]] = weakref.WeakKeyDictionary()


def _metadata(tree: Tree) -> tuple[str, str]:
    """(Name, Version) from the backend's wheel metadata; one backend run per tree."""
    if tree not in _CACHE:
        _CACHE[tree] = _run_backend(tree)
    return _CACHE[tree]


# Run before the backend (Linux): the kernel sends it SIGKILL when release-guard dies, even
# by a SIGKILL that no handler sees; then exec the backend. A parent already gone: exit.
# `-I`: the backend's folder (the project's files) is the wrapper's working directory, and
# `-c` would put it first on sys.path: a ctypes.py there would run in place of ctypes.
_PDEATHSIG = ("import ctypes, os, sys; ctypes.CDLL(None).prctl(1, 9); "
              "os.getppid() == int(sys.argv[1]) or os._exit(1); os.execv(sys.argv[2], sys.argv[2:])")


def _runner(cmd: Sequence[str], cwd: str | None = None,
            extra_environ: Mapping[str, str] | None = None) -> None:
    """pyproject_hooks' quiet runner, with the backend in a process group of its own that the
    interrupt handler ends (a backend outlives a parent that just exits: shared/FACTS.md)."""
    import subprocess
    import sys

    from release_guard import interrupt

    # _run_backend has taken the upload token out of os.environ (NOT_FOR_THE_BUILD)
    env = {**os.environ, **(extra_environ or {})}
    command = list(cmd)
    if sys.platform.startswith("linux"):
        command = [sys.executable, "-I", "-c", _PDEATHSIG, str(os.getpid()), *command]
    code, output, _ = interrupt.communicate(command, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if code:
        raise subprocess.CalledProcessError(code, cmd, output)


def _wheel_metadata(srcdir: Path, workdir: Path) -> str:
    """METADATA text: in this environment when it has the backend, else isolated."""
    import build
    import build.util

    quiet = _runner  # the backend's output is not ours to print
    with warnings.catch_warnings():  # nor are its warnings, which build re-emits here
        warnings.simplefilter("ignore")
        builder = build.ProjectBuilder(srcdir, runner=quiet)
        if builder.check_dependencies("wheel"):
            return str(build.util.project_wheel_metadata(srcdir, isolated=True, runner=quiet))
        dist_info = Path(builder.metadata_path(workdir / "metadata"))
    return (dist_info / "METADATA").read_text(encoding="utf-8")


def _run_backend(tree: Tree) -> tuple[str, str]:
    from release_guard import extra, interrupt

    extra.require("asking the build backend for the version", extra.BUILD)
    interrupt.install("asking the build backend for the version")  # the hooks' path has none yet
    with interrupt.temp_dir("release-guard-") as tmp, \
            interrupt.doing("asking the build backend for the version"):
        # build's isolated environment runs pip from this process, with this environment:
        # pip's temporary folders go to ours (pip ended by a signal removes none of them; the
        # handler removes ours), and pip (which may build a requirement's sdist: its code) gets
        # no upload token, as the build and the backend do not (NOT_FOR_THE_BUILD)
        from release_guard.dist_guard import NOT_FOR_THE_BUILD

        saved = {k: v for k, v in os.environ.items()
                 if k.upper().startswith(NOT_FOR_THE_BUILD) or k == "TMPDIR"}
        for name in saved:
            del os.environ[name]
        os.environ["TMPDIR"] = tmp
        try:
            text = _wheel_metadata(_materialize(tree, Path(tmp)), Path(tmp))
        except Exception as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[-1]
            raise ProjectError(
                f"{tree.describe('pyproject.toml')}: the build backend could not report the "
                f"version: {first}",
                hint="run `python -m build --sdist` to see the backend's full error",
            ) from None
        finally:
            os.environ.pop("TMPDIR", None)
            os.environ.update(saved)
    parsed = Parser().parsestr(text)
    return str(parsed.get("Name", "")), str(parsed.get("Version", ""))


def ask_backend(tree: Tree) -> str:
    return _metadata(tree)[1]


def backend_name(tree: Tree) -> str:
    return _metadata(tree)[0]
