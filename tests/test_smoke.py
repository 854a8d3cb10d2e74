from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import GitRepo


def test_check_version_blocks_unbumped_release_change(repo: GitRepo, cli: Any) -> None:
    repo.write("pyproject.toml", '[project]\nname = "demo"\nversion = "0.1.2"\n')
    repo.commit("release 0.1.2")
    repo.tag("v0.1.2")
    repo.write("src/demo/__init__.py", "x = 1\n")
    repo.stage()
    result = cli("check-version", cwd=repo.path)
    assert result.code == 1
    assert "pyproject.toml:3: RG106 0.1.2 is already released (tag v0.1.2)" in result.out
    assert "0.1.3, 0.2.0, 1.0.0, 0.1.3.dev0" in result.out


def test_in_process_runs_leave_no_descriptor_open(repo: GitRepo, cli: Any) -> None:
    """Every git process a command starts is reaped and its pipes closed: a tox run or a
    test session calls main() many times, and select() refuses descriptors above 1023."""
    repo.write("pyproject.toml", '[project]\nname = "demo"\nversion = "1.1"\n')
    repo.commit("first")
    repo.tag("v1.0")
    repo.write("pyproject.toml", '[project]\nname = "demo"\nversion = "1.2"\n')
    repo.commit("second")
    commands = [("check-version",), ("check-version", "--ref", "HEAD", "--base", "HEAD~1"),
                ("version",), ("version", "--ref", "HEAD~1")]
    for args in commands:  # warm up: lazy imports may open files once
        assert cli(*args, cwd=repo.path).code == 0
    before = len(list(Path("/proc/self/fd").iterdir()))
    for _ in range(5):
        for args in commands:
            assert cli(*args, cwd=repo.path).code == 0
    assert len(list(Path("/proc/self/fd").iterdir())) == before
