"""install-hook / install-hook --uninstall and git's pre-push protocol.

The hooks are installed into real repositories and exercised by real `git push`es to a
bare remote. No index is needed here: a pushed tag makes the guard read a closed port on
127.0.0.1, which it reports as "could not reach" (exit 2), enough to see that it ran.
"""

from __future__ import annotations

import os
import shlex
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import GitRepo, Result, reported_git
from index_servers import free_port
from release_guard.errors import HookError
from release_guard.hook import CHAINED_SUFFIX, MARKER, PRE_COMMIT_MARKER, PushedRef, parse_pre_push

NULL = "0" * 40
SHA_A = "a" * 40
SHA_B = "b" * 40
TIMEOUT = 120

Cli = Callable[..., Result]


@pytest.fixture(autouse=True)
def _git_before_config_hooks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What install-hook prints depends on git's version (2.54 adds config-based hooks):
    these tests pin it below, so that they pass on a newer git too."""
    reported_git("2.39.5", tmp_path, monkeypatch)



def hooks(repo: GitRepo) -> Path:
    return repo.path / ".git" / "hooks"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def is_executable(path: Path) -> bool:
    return os.access(path, os.X_OK)


def foreign_hook(path: Path, log: Path, exit_code: int = 0, file_mode: int = 0o750) -> bytes:
    """A hook that is not ours: it logs its arguments and stdin, then exits `exit_code`."""
    text = (f"#!/bin/sh\n# someone else's pre-push hook\necho \"args: $*\" >> {shlex.quote(str(log))}\n"
            f"cat >> {shlex.quote(str(log))}\nexit {exit_code}\n")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(file_mode)
    return path.read_bytes()


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT, check=False)


def output(proc: subprocess.CompletedProcess[str]) -> str:
    return proc.stdout + proc.stderr


@pytest.fixture
def project(repo: GitRepo) -> GitRepo:
    """One commit of demo-pkg 1.0 whose index is a closed port."""
    repo.write("pyproject.toml", '[project]\nname = "demo-pkg"\nversion = "1.0"\n\n[tool.release-guard]\n'
               f'repository = "http://127.0.0.1:{free_port()}/"\n')
    repo.commit("first")
    return repo


@pytest.fixture
def bare(project: GitRepo, tmp_path: Path) -> Path:
    """A bare remote `origin`, empty."""
    path = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(path)], check=True)
    project.git("remote", "add", "origin", str(path))
    return path


@pytest.fixture
def pre_commit_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "pre-commit-home"
    monkeypatch.setenv("PRE_COMMIT_HOME", str(home))
    monkeypatch.setenv("PRE_COMMIT_COLOR", "never")
    return home


def install_pre_commit(repo: GitRepo) -> None:
    repo.write(".pre-commit-config.yaml", "repos: []\n")
    proc = run(repo.path, sys.executable, "-m", "pre_commit", "install", "--hook-type", "pre-push")
    assert proc.returncode == 0, output(proc)
    assert PRE_COMMIT_MARKER in (hooks(repo) / "pre-push").read_text()


def remote_refs(bare: Path) -> list[str]:
    out = run(bare, "git", "for-each-ref", "--format=%(refname)").stdout
    return sorted(out.split())


# --- install ----------------------------------------------------------------------------


def test_install_writes_an_executable_hook(project: GitRepo, cli: Cli) -> None:
    result = cli("install-hook", cwd=project.path)
    hook = hooks(project) / "pre-push"
    assert (result.code, result.err) == (0, ""), result
    assert result.out == f"release-guard: installed {hook} as the git pre-push hook\n"
    text = hook.read_text()
    assert text.startswith("#!/bin/sh\n")
    assert MARKER in text.splitlines()
    assert f"INSTALL_PYTHON={shlex.quote(sys.executable)}\n" in text
    assert '"$INSTALL_PYTHON" -m release_guard pre-push "$@"' in text
    assert is_executable(hook)
    assert sorted(p.name for p in hooks(project).glob("pre-push*")) == ["pre-push", "pre-push.sample"]


def test_install_is_idempotent(project: GitRepo, cli: Cli) -> None:
    first = cli("install-hook", cwd=project.path)
    before = (hooks(project) / "pre-push").read_bytes()
    second = cli("install-hook", cwd=project.path)
    assert (second.code, second.out) == (0, first.out)
    assert (hooks(project) / "pre-push").read_bytes() == before
    assert not list(hooks(project).glob(f"*{CHAINED_SUFFIX}"))


def test_install_from_a_subdirectory(project: GitRepo, cli: Cli) -> None:
    sub = project.path / "src" / "demo"
    sub.mkdir(parents=True)
    assert cli("install-hook", cwd=sub).code == 0
    assert MARKER in (hooks(project) / "pre-push").read_text()
    assert not (sub / ".git").exists()


def test_not_a_repository(tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    outside = tmp_path / "not-a-repo"
    outside.mkdir()
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    for args in (("install-hook",), ("install-hook", "--uninstall")):
        result = cli(*args, cwd=outside)
        assert result.code == 2, result
        assert result.out == ""
        [line] = result.err.splitlines()
        assert line.startswith("release-guard: error: "), line
        assert "is not inside a git repository (hint: " in line
        assert "Traceback" not in result.err
    missing = cli("install-hook", "-C", str(outside / "nope"), cwd=outside)
    assert missing.code == 2, missing
    assert len(missing.err.splitlines()) == 1


def test_core_hooks_path_absolute(project: GitRepo, cli: Cli, tmp_path: Path) -> None:
    shared = tmp_path / "shared-hooks"
    project.git("config", "core.hooksPath", str(shared))
    result = cli("install-hook", cwd=project.path)
    assert result.code == 0, result
    assert result.out == f"release-guard: installed {shared / 'pre-push'} as the git pre-push hook\n"
    assert MARKER in (shared / "pre-push").read_text()
    assert not (hooks(project) / "pre-push").exists()


@pytest.mark.slow
def test_core_hooks_path_relative_is_used_by_git(project: GitRepo, bare: Path, cli: Cli) -> None:
    project.git("config", "core.hooksPath", ".githooks")
    assert cli("install-hook", cwd=project.path).code == 0
    hook = project.path / ".githooks" / "pre-push"
    assert MARKER in hook.read_text()
    assert not (hooks(project) / "pre-push").exists()
    project.tag("v1.0")
    proc = run(project.path, "git", "push", "origin", "v1.0")  # the guard runs: the index is down
    assert proc.returncode != 0, output(proc)
    assert "release-guard: error: could not reach " in output(proc)
    assert remote_refs(bare) == []


def test_install_from_a_linked_worktree(project: GitRepo, cli: Cli, tmp_path: Path) -> None:
    """git runs hooks from the common directory; a worktree's install must land there."""
    other = tmp_path / "wt"
    project.git("worktree", "add", "-q", "-b", "side", str(other))
    assert cli("install-hook", cwd=other).code == 0
    assert MARKER in (hooks(project) / "pre-push").read_text()


@pytest.mark.slow
def test_hook_for_a_project_in_a_subdirectory(repo: GitRepo, cli: Cli, tmp_path: Path) -> None:
    repo.write("python/pyproject.toml", '[project]\nname = "demo-pkg"\nversion = "1.0"\n\n'
               f'[tool.release-guard]\nrepository = "http://127.0.0.1:{free_port()}/"\n')
    repo.commit("project in python/")
    repo.tag("v1.0")
    bare = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)
    repo.git("remote", "add", "origin", str(bare))
    assert cli("install-hook", "-C", "python", cwd=repo.path).code == 0
    proc = run(repo.path, "git", "push", "origin", "v1.0")
    assert proc.returncode != 0, output(proc)
    assert "no pyproject.toml" not in output(proc)
    assert "release-guard: error: could not reach " in output(proc)  # it got as far as the index


# --- a foreign hook already in place ------------------------------------------------------


@pytest.mark.slow
def test_foreign_hook_is_chained_and_runs_first(project: GitRepo, bare: Path, cli: Cli,
                                                tmp_path: Path) -> None:
    log = tmp_path / "foreign.log"
    original = foreign_hook(hooks(project) / "pre-push", log)
    result = cli("install-hook", cwd=project.path)
    chained = hooks(project) / f"pre-push{CHAINED_SUFFIX}"
    assert result.code == 0, result
    assert result.out == (f"release-guard: installed {hooks(project) / 'pre-push'} as the git pre-push hook, "
                          f"running pre-push{CHAINED_SUFFIX} first\n")
    assert chained.read_bytes() == original
    assert mode(chained) == 0o750
    assert MARKER in (hooks(project) / "pre-push").read_text()
    # A branch push: the foreign hook runs, with git's arguments and stdin; ours passes.
    head = project.git("rev-parse", "HEAD")
    proc = run(project.path, "git", "push", "origin", "main")
    assert proc.returncode == 0, output(proc)
    assert log.read_text().splitlines() == [f"args: origin {bare}",
                                            f"refs/heads/main {head} refs/heads/main {NULL}"]
    assert remote_refs(bare) == ["refs/heads/main"]
    # A tag push: the foreign hook runs and passes, then ours reads the same refs and checks.
    log.unlink()
    project.tag("v1.0")
    proc = run(project.path, "git", "push", "origin", "v1.0")
    assert proc.returncode != 0, output(proc)
    assert log.read_text().splitlines()[1] == f"refs/tags/v1.0 {head} refs/tags/v1.0 {NULL}"
    assert "release-guard: error: could not reach " in output(proc)
    assert remote_refs(bare) == ["refs/heads/main"]


@pytest.mark.slow
def test_failing_foreign_hook_still_refuses_the_push(project: GitRepo, bare: Path, cli: Cli,
                                                     tmp_path: Path) -> None:
    log = tmp_path / "foreign.log"
    foreign_hook(hooks(project) / "pre-push", log, exit_code=1)
    assert cli("install-hook", cwd=project.path).code == 0
    proc = run(project.path, "git", "push", "origin", "main")
    assert proc.returncode != 0, output(proc)
    assert log.exists()
    assert remote_refs(bare) == []


def test_reinstall_keeps_the_chain(project: GitRepo, cli: Cli, tmp_path: Path) -> None:
    original = foreign_hook(hooks(project) / "pre-push", tmp_path / "foreign.log")
    first = cli("install-hook", cwd=project.path)
    ours = (hooks(project) / "pre-push").read_bytes()
    second = cli("install-hook", cwd=project.path)
    assert (second.code, second.out) == (0, first.out)
    assert (hooks(project) / "pre-push").read_bytes() == ours
    assert (hooks(project) / f"pre-push{CHAINED_SUFFIX}").read_bytes() == original


def test_uninstall_restores_the_foreign_hook_exactly(project: GitRepo, cli: Cli, tmp_path: Path) -> None:
    hook = hooks(project) / "pre-push"
    original = foreign_hook(hook, tmp_path / "foreign.log", file_mode=0o700)
    assert cli("install-hook", cwd=project.path).code == 0
    result = cli("install-hook", "--uninstall", cwd=project.path)
    assert result.code == 0, result
    assert result.out == (f"release-guard: restored {hook} (the hook release-guard had moved to "
                          f"pre-push{CHAINED_SUFFIX})\n")
    assert hook.read_bytes() == original
    assert mode(hook) == 0o700
    assert not (hooks(project) / f"pre-push{CHAINED_SUFFIX}").exists()


def test_uninstall_removes_ours_and_leaves_others_alone(project: GitRepo, cli: Cli, tmp_path: Path) -> None:
    assert cli("install-hook", cwd=project.path).code == 0
    result = cli("install-hook", "--uninstall", cwd=project.path)
    assert result.code == 0, result
    assert result.out == f"release-guard: removed {hooks(project) / 'pre-push'}\n"  # nothing restored
    assert not (hooks(project) / "pre-push").exists()
    again = cli("install-hook", "--uninstall", cwd=project.path)
    assert again.code == 0, again
    assert again.out == f"release-guard: no release-guard hook in {hooks(project)}: nothing to do\n"
    original = foreign_hook(hooks(project) / "pre-push", tmp_path / "foreign.log")
    assert cli("install-hook", "--uninstall", cwd=project.path).code == 0
    assert (hooks(project) / "pre-push").read_bytes() == original


def test_install_refuses_when_the_chain_slot_is_taken(project: GitRepo, cli: Cli, tmp_path: Path) -> None:
    original = foreign_hook(hooks(project) / "pre-push", tmp_path / "a.log")
    taken = foreign_hook(hooks(project) / f"pre-push{CHAINED_SUFFIX}", tmp_path / "b.log")
    result = cli("install-hook", cwd=project.path)
    assert result.code == 2, result
    [line] = result.err.splitlines()
    assert "already exists" in line
    assert "(hint: " in line
    assert (hooks(project) / "pre-push").read_bytes() == original
    assert (hooks(project) / f"pre-push{CHAINED_SUFFIX}").read_bytes() == taken


@pytest.mark.slow
def test_non_executable_foreign_hook_stays_inactive(project: GitRepo, bare: Path, cli: Cli,
                                                    tmp_path: Path) -> None:
    foreign_hook(hooks(project) / "pre-push", tmp_path / "foreign.log", exit_code=1, file_mode=0o644)
    assert run(project.path, "git", "push", "origin", "main").returncode == 0  # git ignores it
    project.commit("more")
    assert cli("install-hook", cwd=project.path).code == 0
    proc = run(project.path, "git", "push", "origin", "main")
    assert proc.returncode == 0, output(proc)


# --- together with pre-commit's own pre-push hook -----------------------------------------


def test_pre_commit_first_ours_goes_to_legacy(project: GitRepo, cli: Cli, pre_commit_home: Path) -> None:
    install_pre_commit(project)
    theirs = (hooks(project) / "pre-push").read_bytes()
    result = cli("install-hook", cwd=project.path)
    legacy = hooks(project) / "pre-push.legacy"
    assert result.code == 0, result
    assert result.out == (f"release-guard: installed {legacy}, which pre-commit's pre-push hook runs "
                          "before its own hooks\n")
    assert MARKER in legacy.read_text()
    assert is_executable(legacy)
    assert (hooks(project) / "pre-push").read_bytes() == theirs
    again = cli("install-hook", cwd=project.path)
    assert again.out == result.out
    removed = cli("install-hook", "--uninstall", cwd=project.path)
    assert removed.out == f"release-guard: removed {legacy}\n"
    assert not legacy.exists()
    assert (hooks(project) / "pre-push").read_bytes() == theirs


def test_pre_commit_after_us_moves_ours_to_legacy(project: GitRepo, cli: Cli, pre_commit_home: Path) -> None:
    assert cli("install-hook", cwd=project.path).code == 0
    ours = (hooks(project) / "pre-push").read_bytes()
    install_pre_commit(project)
    legacy = hooks(project) / "pre-push.legacy"
    assert legacy.read_bytes() == ours
    result = cli("install-hook", cwd=project.path)  # a refresh finds ours where pre-commit put it
    assert result.out == (f"release-guard: installed {legacy}, which pre-commit's pre-push hook runs "
                          "before its own hooks\n")
    assert PRE_COMMIT_MARKER in (hooks(project) / "pre-push").read_text()
    assert sorted(p.name for p in hooks(project).glob("pre-push*")) == [
        "pre-push", "pre-push.legacy", "pre-push.sample"]


@pytest.mark.slow
def test_pre_commit_legacy_foreign_hook_is_chained_and_restored(
    project: GitRepo, bare: Path, cli: Cli, pre_commit_home: Path, tmp_path: Path
) -> None:
    """A foreign hook that pre-commit already moved to pre-push.legacy."""
    log = tmp_path / "foreign.log"
    original = foreign_hook(hooks(project) / "pre-push", log)
    install_pre_commit(project)
    legacy = hooks(project) / "pre-push.legacy"
    assert legacy.read_bytes() == original
    assert cli("install-hook", cwd=project.path).code == 0
    assert MARKER in legacy.read_text()
    assert (hooks(project) / f"pre-push{CHAINED_SUFFIX}").read_bytes() == original
    project.commit("config")
    proc = run(project.path, "git", "push", "origin", "main")
    assert proc.returncode == 0, output(proc)
    assert log.exists()
    assert cli("install-hook", "--uninstall", cwd=project.path).code == 0
    assert legacy.read_bytes() == original
    assert mode(legacy) == 0o750


@pytest.mark.slow
def test_refresh_after_pre_commit_keeps_running_the_foreign_hook(
    project: GitRepo, bare: Path, cli: Cli, pre_commit_home: Path, tmp_path: Path
) -> None:
    log = tmp_path / "foreign.log"
    foreign_hook(hooks(project) / "pre-push", log)
    assert cli("install-hook", cwd=project.path).code == 0
    install_pre_commit(project)
    assert cli("install-hook", cwd=project.path).code == 0
    project.commit("config")
    proc = run(project.path, "git", "push", "origin", "main")
    assert proc.returncode == 0, output(proc)
    assert log.exists(), "the foreign hook did not run"


def test_uninstall_after_pre_commit_restores_the_foreign_hook(
    project: GitRepo, cli: Cli, pre_commit_home: Path, tmp_path: Path
) -> None:
    original = foreign_hook(hooks(project) / "pre-push", tmp_path / "foreign.log")
    assert cli("install-hook", cwd=project.path).code == 0
    install_pre_commit(project)
    assert cli("install-hook", "--uninstall", cwd=project.path).code == 0
    legacy = hooks(project) / "pre-push.legacy"  # where pre-commit runs it
    assert legacy.is_file(), "the foreign hook was not put back"
    assert legacy.read_bytes() == original
    assert not (hooks(project) / f"pre-push{CHAINED_SUFFIX}").exists()


# --- git's pre-push protocol ------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "tag", "deleted"),
    [
        (f"refs/tags/v1.0 {SHA_A} refs/tags/v1.0 {NULL}", "v1.0", False),
        (f"refs/tags/v1.0 {SHA_A} refs/tags/v1.0 {SHA_B}", "v1.0", False),  # forced update
        (f"HEAD {SHA_A} refs/tags/v2.0 {NULL}", "v2.0", False),  # git push origin HEAD:refs/tags/v2.0
        (f"refs/tags/old {SHA_A} refs/tags/v1.1 {NULL}", "v1.1", False),  # the remote's name counts
        (f"refs/heads/main {SHA_A} refs/heads/main {SHA_B}", None, False),
        (f"refs/heads/main {SHA_A} refs/heads/release {NULL}", None, False),
        (f"(delete) {NULL} refs/tags/v1.0 {SHA_B}", None, True),
        (f"(delete) {NULL} refs/heads/old {SHA_B}", None, True),
    ],
)
def test_parse_pre_push_line(line: str, tag: str | None, deleted: bool) -> None:
    [ref] = parse_pre_push([line])
    assert ref == PushedRef(*line.split())
    assert ref.tag == tag
    assert ref.is_delete is deleted


def test_parse_pre_push_many_lines_and_blanks() -> None:
    refs = parse_pre_push(["", f"refs/heads/main {SHA_A} refs/heads/main {SHA_B}\n", "   ",
                           f"refs/tags/v1.0 {SHA_B} refs/tags/v1.0 {NULL}\n", ""])
    assert [r.local_ref for r in refs] == ["refs/heads/main", "refs/tags/v1.0"]
    assert [r.tag for r in refs] == [None, "v1.0"]
    assert parse_pre_push([]) == []


@pytest.mark.parametrize("line", ["refs/tags/v1.0", f"refs/tags/v1.0 {SHA_A} refs/tags/v1.0",
                                  f"refs/tags/v1.0 {SHA_A} refs/tags/v1.0 {NULL} extra"])
def test_parse_pre_push_malformed_line(line: str) -> None:
    with pytest.raises(HookError) as info:
        parse_pre_push([f"refs/heads/main {SHA_A} refs/heads/main {SHA_B}", line])
    assert info.value.message.startswith("pre-push input line 2 is not ")
    assert "\n" not in info.value.message
    assert info.value.hint


def test_hook_falls_back_to_release_guard_on_path(project: GitRepo, bare: Path, tmp_path: Path) -> None:
    """A recreated virtualenv: the installing interpreter is gone, the one on PATH is used."""
    from release_guard import hook as hook_module

    hook_module.install(str(project.path), python=str(tmp_path / "gone" / "python"))
    project.git("push", "-q", "--no-verify", "origin", "main")
    project.tag("v1.0")
    bindir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}",
           "RELEASE_GUARD_ALLOW_OFFLINE": "1"}
    proc = subprocess.run(["git", "push", "origin", "v1.0"], cwd=project.path, capture_output=True,
                          text=True, env=env, check=False)
    assert proc.returncode == 0, output(proc)
    assert "RG204 warning: could not reach" in proc.stdout + proc.stderr
    env["PATH"] = "/usr/bin:/bin"
    project.tag("v1.0.x")
    proc = subprocess.run(["git", "push", "origin", "v1.0.x"], cwd=project.path, capture_output=True,
                          text=True, env=env, check=False)
    assert proc.returncode != 0
    assert "release-guard: not found" in proc.stderr


def test_config_based_hook_needs_git_2_54(project: GitRepo, cli: Cli, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    reported_git("2.53.9", tmp_path, monkeypatch)
    result = cli("install-hook", "--config", cwd=project.path)
    assert (result.code, result.out) == (2, "")
    assert "config-based hooks need git 2.54 or newer" in result.err


def test_config_based_hook_on_a_newer_git(project: GitRepo, cli: Cli, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    reported_git("2.54.0", tmp_path, monkeypatch)
    plain = cli("install-hook", cwd=project.path)
    assert plain.out.rstrip().endswith("this git also runs config-based hooks: "
                                       "`release-guard install-hook --config`")
    result = cli("install-hook", "--config", cwd=project.path)
    assert result.code == 0, result
    assert project.git("config", "hook.release-guard.event") == "pre-push"
    assert project.git("config", "hook.release-guard.command") == (
        f"{shlex.quote(sys.executable)} -m release_guard pre-push")
    removed = cli("install-hook", "--uninstall", cwd=project.path)
    assert "the hook.release-guard config" in removed.out
    assert project.git("config", "--get-regexp", "^hook\\.", check=False) == ""
