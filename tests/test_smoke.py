from __future__ import annotations

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
