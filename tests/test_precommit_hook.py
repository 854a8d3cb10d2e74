"""The `version-bump` hook as pre-commit runs it, installed from this checkout.

pre-commit builds the hook's environment by pip-installing the checkout into a fresh
virtualenv (about 10 s here). pip installs it offline, from the wheelhouse that the
README's test command downloads beside the checkout (`.wheelhouse/`): tests never reach
a package index. `pre-commit try-repo` builds it in a throw-away store on
every run, and includes the checkout's uncommitted changes to tracked files; the
installed-hook tests use `rev: <HEAD>`, that is the committed code, and share one
PRE_COMMIT_HOME per test session (per xdist worker), so that environment is built once.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import GitRepo, need

pytestmark = pytest.mark.slow

CHECKOUT = Path(__file__).resolve().parents[1]
WHEELHOUSE = Path(os.environ.get("RELEASE_GUARD_WHEELHOUSE", CHECKOUT / ".wheelhouse"))
WHEELHOUSE_MISSING = (f"no wheelhouse at {WHEELHOUSE}: run `python -m pip download -d .wheelhouse "
                      "'.[release]' 'setuptools>=77'` first (the README's test command does)")
HOOKS_FILE = ".pre-commit-hooks.yaml"
TIMEOUT = 600


def _git_out(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(CHECKOUT), *args], capture_output=True, text=True, check=False)


def _require_tracked_hooks_file() -> None:
    need((CHECKOUT / HOOKS_FILE).is_file(), f"{CHECKOUT} has no {HOOKS_FILE}")
    need(_git_out("ls-files", "--error-unmatch", HOOKS_FILE).returncode == 0,
         f"{HOOKS_FILE} is not tracked by git in {CHECKOUT}; try-repo would not see it")


@pytest.fixture(scope="session")
def checkout_head() -> str:
    """The checkout's HEAD, read once per session, when it has the hooks file committed.

    pre-commit clones that revision; reading it once keeps one hook environment per session
    even when someone commits to the checkout while the tests run.
    """
    head = _git_out("rev-parse", "HEAD")
    need(head.returncode == 0, f"{CHECKOUT} is not a git checkout")
    need(_git_out("cat-file", "-e", f"HEAD:{HOOKS_FILE}").returncode == 0,
         f"{HOOKS_FILE} is not committed in {CHECKOUT} HEAD yet: pre-commit installs hooks from a "
         "committed revision")
    return head.stdout.strip()


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture
def hook_env(clean_environment: None, monkeypatch: pytest.MonkeyPatch, pre_commit_home: Path) -> None:
    """Every subprocess below (pre-commit, and git running the installed hooks) shares the store,
    and pip installs the hook from the wheelhouse alone."""
    need(any(WHEELHOUSE.glob("*.whl")), WHEELHOUSE_MISSING)
    monkeypatch.setenv("PRE_COMMIT_HOME", str(pre_commit_home))
    monkeypatch.setenv("PRE_COMMIT_COLOR", "never")
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(WHEELHOUSE))
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple/")  # were it asked, it would fail
    monkeypatch.setenv("VIRTUALENV_NO_PERIODIC_UPDATE", "1")


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), cwd=cwd, capture_output=True, text=True, check=False,
                          timeout=TIMEOUT)


def pre_commit(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run(cwd, sys.executable, "-m", "pre_commit", *args)


def write_version(repo: GitRepo, version: str) -> None:
    repo.write("pyproject.toml", f'[project]\nname = "demo"\nversion = "{version}"\n')


def change_code(repo: GitRepo, n: int) -> None:
    repo.write("src/demo/core.py", f"def f():\n    return {n}\n")


@pytest.fixture
def released(repo: GitRepo, hook_env: None) -> GitRepo:
    """A project committed at 1.2.0 and tagged v1.2.0."""
    write_version(repo, "1.2.0")
    repo.write("src/demo/__init__.py", '"""demo."""\n')
    repo.commit("release 1.2.0")
    repo.tag("v1.2.0")
    return repo


DOWNGRADE = "pyproject.toml:3: RG105 version 1.1.0 is lower than the newest release tag v1.2.0 (1.2.0)"


def output(proc: subprocess.CompletedProcess[str]) -> str:
    return proc.stdout + proc.stderr


# --- pre-commit try-repo ----------------------------------------------------------------


def test_try_repo_blocks_a_downgrade(released: GitRepo) -> None:
    _require_tracked_hooks_file()
    write_version(released, "1.1.0")
    change_code(released, 1)
    released.stage()
    proc = pre_commit(released.path, "try-repo", str(CHECKOUT), "version-bump", "--verbose")
    assert proc.returncode == 1, output(proc)
    assert "release-guard version bump" in proc.stdout
    assert "Failed" in proc.stdout
    assert DOWNGRADE in proc.stdout.splitlines()


def test_try_repo_passes_an_allowed_change(released: GitRepo) -> None:
    _require_tracked_hooks_file()
    write_version(released, "1.2.1")
    change_code(released, 1)
    released.stage()
    proc = pre_commit(released.path, "try-repo", str(CHECKOUT), "version-bump", "--verbose")
    assert proc.returncode == 0, output(proc)
    assert "Passed" in proc.stdout
    assert "release-guard: version 1.2.1 ok (pyproject.toml:3)" in proc.stdout


def test_try_repo_twine_check_builds_and_checks(released: GitRepo) -> None:
    """twine-check at the manual stage: an isolated build from the wheelhouse, twine's strict
    check in the hook's environment; a project without a README fails, with one it passes."""
    _require_tracked_hooks_file()
    args = ("try-repo", str(CHECKOUT), "twine-check", "--hook-stage", "manual", "--all-files", "--verbose")
    proc = pre_commit(released.path, *args)
    assert proc.returncode == 1, output(proc)
    assert "release-guard twine check" in proc.stdout
    assert "demo-1.2.0.tar.gz: RG302 twine check --strict: `long_description` missing" in proc.stdout
    released.write("README.md", "# demo\n")
    released.write("pyproject.toml", '[project]\nname = "demo"\nversion = "1.2.0"\nreadme = "README.md"\n')
    released.stage("README.md", "pyproject.toml")  # not the build's src/demo.egg-info (python -m build's own)
    proc = pre_commit(released.path, *args)
    assert proc.returncode == 0, output(proc)
    assert "release-guard: demo 1.2.0: the built sdist and wheel pass twine check --strict" in proc.stdout


# --- the hook installed from .pre-commit-config.yaml -----------------------------------


@pytest.fixture
def installed(released: GitRepo, checkout_head: str) -> GitRepo:
    """`repo: <checkout>`, `rev: <HEAD>`, installed for pre-commit and pre-push."""
    released.write(".pre-commit-config.yaml", f"repos:\n  - repo: {CHECKOUT}\n    rev: {checkout_head}\n"
                                              "    hooks:\n      - id: version-bump\n")
    released.commit("pre-commit config")
    proc = pre_commit(released.path, "install", "--install-hooks", "-t", "pre-commit", "-t", "pre-push")
    assert proc.returncode == 0, output(proc)
    return released


def commit_count(repo: GitRepo) -> int:
    return int(repo.git("rev-list", "--count", "HEAD"))


def git_commit(repo: GitRepo, message: str) -> subprocess.CompletedProcess[str]:
    """A real `git commit`, hooks and all."""
    repo.git("add", "-A")
    return run(repo.path, "git", "commit", "-q", "-m", message)


def test_installed_hook_blocks_a_downgrade_commit(installed: GitRepo) -> None:
    before = commit_count(installed)
    write_version(installed, "1.1.0")
    change_code(installed, 1)
    proc = git_commit(installed, "downgrade")
    assert proc.returncode != 0, output(proc)
    assert DOWNGRADE in output(proc).splitlines()
    assert commit_count(installed) == before


def test_installed_hook_blocks_an_unbumped_change_and_lets_the_bump_through(installed: GitRepo) -> None:
    before = commit_count(installed)
    change_code(installed, 1)
    proc = git_commit(installed, "unbumped fix")
    assert proc.returncode != 0, output(proc)
    assert ("pyproject.toml:3: RG106 1.2.0 is already released (tag v1.2.0), but release files change "
            "(src/demo/core.py); bump the version") in output(proc).splitlines()
    assert commit_count(installed) == before
    write_version(installed, "1.2.1")
    proc = git_commit(installed, "fix, bumped")
    assert proc.returncode == 0, output(proc)
    assert commit_count(installed) == before + 1
    installed.write("README.md", "docs only\n")
    proc = git_commit(installed, "docs")
    assert proc.returncode == 0, output(proc)
    assert commit_count(installed) == before + 2


@pytest.fixture
def with_remote(installed: GitRepo, tmp_path: Path) -> GitRepo:
    """A bare remote `origin` that already has main at 1.2.0."""
    remote = tmp_path / "remote.git"
    remote.mkdir()
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], check=True)
    installed.git("remote", "add", "origin", str(remote))
    installed.git("push", "-q", "--no-verify", "origin", "main")
    return installed


def remote_main(repo: GitRepo) -> str:
    return repo.git("ls-remote", "origin", "refs/heads/main").split()[0]


def test_installed_pre_push_blocks_an_unbumped_range(with_remote: GitRepo) -> None:
    repo = with_remote
    before = remote_main(repo)
    change_code(repo, 1)
    repo.commit("unbumped, committed with --no-verify")
    repo.write("README.md", "docs\n")
    repo.commit("docs")
    proc = run(repo.path, "git", "push", "origin", "main")
    assert proc.returncode != 0, output(proc)
    lines = output(proc).splitlines()
    assert ("pyproject.toml:3: RG106 1.2.0 is already released (tag v1.2.0), but release files change "
            "(src/demo/core.py); bump the version") in lines
    assert remote_main(repo) == before
    write_version(repo, "1.2.1")
    repo.commit("bump")
    proc = run(repo.path, "git", "push", "origin", "main")
    assert proc.returncode == 0, output(proc)
    assert remote_main(repo) == repo.git("rev-parse", "HEAD")


def test_installed_pre_push_lets_the_tagged_release_through(with_remote: GitRepo) -> None:
    """The everyday release: bump, commit (the hook passes), tag, push --follow-tags."""
    repo = with_remote
    write_version(repo, "1.2.1")
    change_code(repo, 1)
    proc = git_commit(repo, "release 1.2.1")
    assert proc.returncode == 0, output(proc)
    repo.tag("v1.2.1", annotated=True)
    proc = run(repo.path, "git", "push", "--follow-tags", "origin", "main")
    assert proc.returncode == 0, output(proc)
