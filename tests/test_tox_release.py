"""`tox -e release` end to end: a sample project released to a real local index.

The sample project configures nothing of release-guard but `requires = ["release-guard"]`
in its tox configuration: release-guard is installed beside the tox under test, so tox
loads the plugin from its entry point, and the plugin's environment installs this
checkout (offline, from the wheelhouse: see tox_projects.py). The index is pypiserver
(--disable-fallback), credentials in TWINE_USERNAME / TWINE_PASSWORD only.
"""

from __future__ import annotations

import re
import urllib.request
from pathlib import Path

import pytest

from conftest import GitRepo
from index_servers import LocalIndex
from tox_projects import offline_pip, output, require_local_release_guard, run_tox, tox_environ

PYPROJECT = """\
[build-system]
requires = ["setuptools>=77"]
build-backend = "setuptools.build_meta"

[project]
name = "tox-release-demo"
version = "1.0.0"
description = "A sample project that tox -e release releases"
readme = "README.md"
license = "MIT"
requires-python = ">=3.10"

[tool.setuptools.packages.find]
where = ["src"]
"""
# The pipeline's build step, as `release-guard [5/9] build (python -m build) ...`.
BUILD_STEP = re.compile(r"^release-guard \[\d+/\d+\] build\b", re.MULTILINE)
RELEASED_FILE = re.compile(r"tox[-_.]release[-_.]demo-1\.0\.0(?:\.tar\.gz|-py3-none-any\.whl)")


def sample_project(repo: GitRepo, tox_file: str, tox_config: str) -> GitRepo:
    """A committed setuptools project at 1.0.0 whose build leaves the work tree clean."""
    repo.write("pyproject.toml", PYPROJECT)
    repo.write("README.md", "# tox-release-demo\n\nReleased by `tox -e release`.\n")
    repo.write("src/tox_release_demo/__init__.py", '"""tox-release-demo."""\n')
    repo.write(".gitignore", ".tox/\ndist/\nbuild/\n*.egg-info/\n")
    repo.write(tox_file, tox_config)
    repo.commit("release 1.0.0")
    return repo


def simple_page(index: LocalIndex, project: str) -> str:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(f"{index.simple_url}{project}/", timeout=10) as response:
        return str(response.read().decode())


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    if not folder.is_dir():
        return {}
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir()}


@pytest.mark.slow
def test_zero_config_release_uploads_once_and_refuses_the_second_time(repo: GitRepo,
                                                                      pypiserver_empty: LocalIndex) -> None:
    require_local_release_guard()
    project = sample_project(repo, "tox.toml", 'requires = ["release-guard"]\n').path
    env = tox_environ(**offline_pip(), TWINE_USERNAME=pypiserver_empty.username,
                      TWINE_PASSWORD=pypiserver_empty.password)
    args = ("run", "-e", "release", "--", "--repository-url", pypiserver_empty.upload_url)

    first = run_tox(project, *args, env=env)
    assert first.returncode == 0, output(first)
    assert f"release: commands[0]> release-guard release --repository-url {pypiserver_empty.upload_url}" \
        in first.stdout
    assert BUILD_STEP.search(output(first))
    assert RELEASED_FILE.search(simple_page(pypiserver_empty, "tox-release-demo"))

    dist = snapshot(project / "dist")
    assert dist  # the release builds into dist/
    second = run_tox(project, *args, env=env)
    assert second.returncode != 0, output(second)
    assert re.search(r"RG401 tox-release-demo 1\.0\.0 is already on ", output(second)), output(second)
    assert not BUILD_STEP.search(output(second)), output(second)
    assert snapshot(project / "dist") == dist  # nothing was cleaned or built


@pytest.mark.slow
def test_the_projects_own_release_environment_runs_instead(repo: GitRepo) -> None:
    own = ('[tox]\nrequires = release-guard\n\n[testenv:release]\nskip_install = true\n'
           "commands = python -c \"print('users own release')\"\n")
    project = sample_project(repo, "tox.ini", own).path
    proc = run_tox(project, "run", "-e", "release", env=tox_environ(**offline_pip()))
    assert proc.returncode == 0, output(proc)
    assert "users own release" in proc.stdout.splitlines()
    assert "release-guard release" not in proc.stdout
