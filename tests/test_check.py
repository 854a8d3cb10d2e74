"""`release-guard check`: every check that applies, one table — against real git repositories,
a real pypiserver and real builds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conftest import GitRepo, need
from index_servers import LocalIndex, free_port

PYPROJECT = ('[build-system]\nrequires = ["setuptools>=77"]\nbuild-backend = "setuptools.build_meta"\n\n'
             '[project]\nname = "demo-pkg"\nversion = "{version}"\ndescription = "A demo"\n'
             'readme = "README.md"\n')


def project(repo: GitRepo, version: str, tag: str | None = None) -> GitRepo:
    repo.write("pyproject.toml", PYPROJECT.format(version=version))
    repo.write("README.md", "# demo\n")
    repo.write("src/demo_pkg/__init__.py", "")
    repo.commit(f"version {version}")
    if tag:
        repo.tag(tag)
    return repo


def table(out: str) -> list[list[str]]:
    """The summary table's rows: [check, result] (times left out)."""
    lines = out[out.index("release-guard check:\n"):].splitlines()[1:]
    rows = []
    for line in lines:
        check, _, rest = line.strip().partition(" ")
        rows.append([check, rest.strip().split(" s  ", 1)[-1].strip()])
    return rows


def test_offline_runs_what_needs_no_network_and_says_what_it_skipped(repo: GitRepo, cli: Any) -> None:
    project(repo, "1.2", "v1.2")
    result = cli("check", "--offline", cwd=repo.path)
    assert result.code == 0, result.out + result.err
    assert table(result.out) == [
        ["version", "ok"],
        ["tags", "ok: v1.2"],
        ["index", "skipped (--offline)"],
        ["name", "ok: project name demo-pkg ok: valid (normalized demo-pkg, file names start demo_pkg-), no "
                 "standard-library module; the index was not read (--offline)"],
        ["auth", "skipped (twine would find no credentials; --auth checks all the same)"],
        ["dist", "skipped (--build to build and check the sdist and wheel)"],
    ]


def test_a_finding_fails_its_row_and_the_run(repo: GitRepo, cli: Any) -> None:
    project(repo, "1.2", "v1.1")
    result = cli("check", "--offline", cwd=repo.path)
    assert result.code == 1
    assert "RG201 tag v1.1" in result.out
    assert table(result.out)[1] == ["tags", "failed: v1.1"]


@pytest.mark.slow
def test_a_version_already_on_the_index(repo: GitRepo, cli: Any, pypiserver_index: LocalIndex) -> None:
    project(repo, "1.1")
    result = cli("check", "--repository-url", pypiserver_index.upload_url, cwd=repo.path)
    assert result.code == 1
    assert f"RG401 demo-pkg 1.1 is already on {pypiserver_index.simple_url}" in result.out
    assert table(result.out)[2][0] == "index"
    assert table(result.out)[2][1].startswith("failed")


@pytest.mark.slow
def test_a_new_version_and_its_build_pass(repo: GitRepo, cli: Any, pypiserver_index: LocalIndex) -> None:
    project(repo, "1.1", "v1.1")  # the index's demo-pkg 1.1 is this repository's release
    project(repo, "1.2")
    result = cli("check", "--build", "--no-isolation", "--repository-url", pypiserver_index.upload_url,
                 cwd=repo.path)
    assert result.code == 0, result.out + result.err
    assert table(result.out) == [
        ["version", "ok"],
        ["tags", "ok: no release tag on HEAD"],
        ["index", f"ok: 1.2 is new on {pypiserver_index.simple_url}"],
        ["name", f"ok: project name demo-pkg ok: valid (normalized demo-pkg, file names start demo_pkg-); on "
                 f"{pypiserver_index.simple_url} with the versions of this repository's release tags (v1.1)"],
        ["auth", "skipped (twine would find no credentials; --auth checks all the same)"],
        ["dist", "ok: the built sdist and wheel"],
    ]


@pytest.mark.slow
def test_a_first_release(repo: GitRepo, cli: Any, pypiserver_empty: LocalIndex) -> None:
    project(repo, "0.1")
    result = cli("check", "--repository-url", pypiserver_empty.upload_url, cwd=repo.path)
    assert result.code == 0, result.out + result.err
    first = f"ok: first release of demo-pkg on {pypiserver_empty.simple_url}"
    assert table(result.out)[2] == ["index", first]


def test_an_unreachable_index_is_exit_2_after_the_table(repo: GitRepo, cli: Any) -> None:
    project(repo, "1.2")
    url = f"http://127.0.0.1:{free_port()}/"
    result = cli("check", "--repository-url", url, "--timeout", "2", cwd=repo.path)
    assert result.code == 2
    assert table(result.out)[0] == ["version", "ok"]
    assert table(result.out)[2][1].startswith("could not run: ")
    assert result.err.startswith("release-guard: error: ")
    assert len(result.err.strip().splitlines()) == 1


@pytest.mark.slow
def test_the_auth_row_runs_when_there_are_credentials(repo: GitRepo, cli: Any, pypiserver_empty: LocalIndex,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    project(repo, "0.1")
    monkeypatch.setenv("TWINE_USERNAME", "guard")
    monkeypatch.setenv("TWINE_PASSWORD", "not-a-token-s3cret")
    result = cli("check", "--repository-url", pypiserver_empty.upload_url, cwd=repo.path)
    rows = dict(table(result.out))
    assert rows["auth"].startswith("ok: "), result.out
    assert "TWINE_PASSWORD" in rows["auth"]


def test_auth_checks_all_the_same_with_auth(repo: GitRepo, cli: Any) -> None:
    project(repo, "0.1")
    result = cli("check", "--offline", "--auth", cwd=repo.path)
    assert result.code == 1
    assert "RG501" in result.out
    assert dict(table(result.out))["auth"].startswith("failed")


@pytest.mark.slow
def test_a_name_that_belongs_to_another_project(repo: GitRepo, cli: Any,
                                                pypiserver_index: LocalIndex) -> None:
    project(repo, "1.2")
    result = cli("check", "--repository-url", pypiserver_index.upload_url, cwd=repo.path)
    assert result.code == 1
    assert "RG603" in result.out
    assert dict(table(result.out))["name"].startswith("failed")


SETUP_PY_RUNS = ("import pathlib\nfrom setuptools import setup\n\n"
                 "pathlib.Path('RAN').write_text('setup.py ran')\n"
                 "setup(name='demo-pkg', version='1.' + str(len('ab')))\n")


@pytest.mark.slow
def test_check_runs_no_project_code_unless_it_builds_or_backend_is_allowed(
        repo: GitRepo, cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """As check-version: a version only code computes needs --backend (or allow-backend);
    the release-preflight hook never runs the project's setup.py on its own."""
    repo.write("pyproject.toml", '[build-system]\nrequires = ["setuptools>=77"]\n'
                                 'build-backend = "setuptools.build_meta"\n')
    repo.write("setup.py", SETUP_PY_RUNS)
    repo.commit("computed version")
    result = cli("check", "--offline", cwd=repo.path)
    assert (result.code, result.out) == (2, "")
    assert result.err.startswith("release-guard: error: setup.py: the version is computed by code that "
                                 "release-guard does not run")
    assert not (repo.path / "RAN").exists()
    wheelhouse = Path(__file__).resolve().parents[1] / ".wheelhouse"
    need(any(wheelhouse.glob("setuptools-*.whl")), "no .wheelhouse with setuptools (the README's test "
         "command fills it)")
    monkeypatch.setenv("PIP_NO_INDEX", "1")  # the backend's isolated environment, offline
    monkeypatch.setenv("PIP_FIND_LINKS", str(wheelhouse))
    allowed = cli("check", "--offline", "--backend", cwd=repo.path)
    assert allowed.code == 0, allowed.out + allowed.err
    assert ["version", "ok"] in table(allowed.out)
    assert not (repo.path / "RAN").exists()  # the backend ran on a copy of the project
