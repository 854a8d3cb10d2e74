"""The project readers treat the project's files as data from a stranger.

A symlink inside the project is followed the same way on every tree (B9), and nothing is
read from outside the project. Real git repositories, the CLI run in-process.
"""

from __future__ import annotations

import weakref
from typing import Any

import pytest

from conftest import GitRepo
from release_guard import backend

PREFIX = "release-guard: error: "
SECRET = "pypi-SECRET-ENVIRON-42"
OUTSIDE_HINT = ("(hint: use a path inside the project directory; setuptools refuses a file outside "
                "the project too)")
BACKEND_HINT = ("(hint: declare it as a literal, or allow the build backend: --backend or "
                "allow-backend = true in [tool.release-guard])")
SETUPTOOLS = '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n'
HATCHLING = '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
FLIT = '[build-system]\nrequires = ["flit_core >=3.2,<4"]\nbuild-backend = "flit_core.buildapi"\n'
PDM = '[build-system]\nrequires = ["pdm-backend"]\nbuild-backend = "pdm.backend"\n'
MATURIN = '[build-system]\nrequires = ["maturin>=1.0,<2.0"]\nbuild-backend = "maturin"\n'

# How each tree is read: `version` reads the working tree, `check-version` the staged index
# (the pre-commit hook), `check-version --ref HEAD` a revision.
TREES = {
    "worktree": ("version",),
    "staged": ("check-version",),
    "revision": ("check-version", "--ref", "HEAD"),
}


def dynamic(build: str, tables: str, name: str = "demo") -> str:
    """[build-system], then [project] with a dynamic version (dynamic on line 6), then tables."""
    return build + f'\n[project]\nname = "{name}"\ndynamic = ["version"]\n\n' + tables


def committed(repo: GitRepo, files: dict[str, str]) -> str:
    for path, text in files.items():
        repo.write(path, text)
    return repo.commit("project")


def one_line(result: Any) -> str:
    """Exit 2, nothing on stdout, one stderr line with a hint: that line, without PREFIX."""
    assert (result.code, result.out) == (2, ""), result
    assert result.err.count("\n") == 1, result.err
    assert result.err.endswith("\n"), result.err
    assert result.err.startswith(PREFIX), result.err
    assert "internal error" not in result.err
    assert "(hint: " in result.err
    line: str = result.err[len(PREFIX):].rstrip("\n")
    return line


def at(repo: GitRepo, tree: str, path: str) -> str:
    """How a message names `path` on each tree: a revision prefixes the commit."""
    return f"{repo.git('rev-parse', 'HEAD')}:{path}" if tree == "revision" else path


@pytest.fixture(autouse=True)
def no_backend(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The build backend is never run here: a call is recorded and answers nothing usable."""
    monkeypatch.setattr(backend, "_CACHE", weakref.WeakKeyDictionary())
    calls: list[Any] = []

    def refuse(tree: Any) -> tuple[str, str]:
        calls.append(tree)
        raise AssertionError("the build backend ran")

    monkeypatch.setattr(backend, "_run_backend", refuse)
    return calls


# --- 2. a symlink inside the project is followed on every tree (B9) ---------------------------

@pytest.mark.parametrize("flags", [(), ("--staged",), ("--ref", "HEAD")], ids=list(TREES))
def test_a_symlinked_pyproject_is_followed_on_every_tree(repo: GitRepo, cli: Any,
                                                         flags: tuple[str, ...]) -> None:
    repo.write("real/pyproject.toml", '[project]\nname = "linked"\nversion = "1.0"\n')
    (repo.path / "pyproject.toml").symlink_to("real/pyproject.toml")
    repo.write("setup.cfg", "[metadata]\nname = linked\nversion = file: VERSION\n")
    (repo.path / "VERSION").symlink_to("real/VERSION")  # a symlinked version file, one more hop
    repo.write("real/VERSION", "1.0\n")
    repo.commit("linked")
    result = cli("version", *flags, cwd=repo.path)
    assert result.code == 0, result
    assert result.out.splitlines()[:3] == [
        "name:            linked  pyproject.toml:2",
        "normalized name: linked",
        "version:         1.0  pyproject.toml:3",
    ]
    checked = cli("check-version", *flags, cwd=repo.path)
    assert (checked.code, checked.err) == (0, ""), checked
    assert checked.out == "release-guard: version 1.0 ok (pyproject.toml:3)\n"


@pytest.mark.parametrize("tree", list(TREES))
def test_a_symlinked_setup_cfg_and_version_file(repo: GitRepo, cli: Any, tree: str) -> None:
    repo.write("conf/setup.cfg", "[metadata]\nname = demo\nversion = file: VERSION\n")
    (repo.path / "setup.cfg").symlink_to("conf/setup.cfg")
    repo.write("conf/VERSION", "2.5.0")  # no newline: the blob looks like a link, but is a file
    (repo.path / "VERSION").symlink_to("./conf/../conf/VERSION")
    repo.commit("linked")
    result = cli(*TREES[tree], cwd=repo.path)
    assert result.code == 0, result
    expected = "version:         2.5.0  VERSION:1 (whole file)" if tree == "worktree" else \
        "release-guard: version 2.5.0 ok (VERSION:1 (whole file))"
    assert expected in result.out.splitlines()


def test_a_symlink_loop_in_git(repo: GitRepo, cli: Any) -> None:
    (repo.path / "pyproject.toml").symlink_to("a.toml")
    (repo.path / "a.toml").symlink_to("pyproject.toml")
    repo.commit("loop")
    assert one_line(cli("check-version", cwd=repo.path)) == (
        "pyproject.toml: more than 8 symlinks in a row (a symlink loop?) (hint: point pyproject.toml at a "
        "file, not a chain of links)")


@pytest.mark.parametrize("flags", [(), ("--staged",), ("--ref", "HEAD")], ids=list(TREES))
def test_a_subproject_link_to_a_sibling_leaves_the_project(repo: GitRepo, cli: Any,
                                                           flags: tuple[str, ...]) -> None:
    """Inside the repository, but outside the project directory (-C sub): refused, as setuptools does."""
    repo.write("shared/pyproject.toml", '[project]\nname = "shared"\nversion = "1.0"\n')
    (repo.path / "sub").mkdir()
    (repo.path / "sub" / "pyproject.toml").symlink_to("../shared/pyproject.toml")
    repo.commit("linked")
    line = one_line(cli("version", "-C", "sub", *flags, cwd=repo.path))
    assert line.startswith("pyproject.toml leaves the project (")
