"""install-hook never loses a hook, never writes through a symlink, and never writes where
the change reaches beyond this clone (a tracked or shared hooks folder) without --force.

Each test here stages one of the data-loss risks found by the security probe (E6, E7, E8,
E12, E13, E18, concurrent installs) in real git repositories.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import GitRepo, Result, reported_git
from release_guard.hook import CHAINED_NAME, MARKER

Cli = Callable[..., Result]
PREFIX = "release-guard: error: "
USER_HOOK = "#!/bin/sh\n# the user's own pre-push hook\nexit 0\n"


@pytest.fixture(autouse=True)
def _git_before_config_hooks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What install-hook prints depends on git's version (2.54 adds config-based hooks):
    these tests pin it below, so that they pass on a newer git too."""
    reported_git("2.39.5", tmp_path, monkeypatch)



def hooks(repo: GitRepo) -> Path:
    return repo.path / ".git" / "hooks"


def user_hook(path: Path, text: str = USER_HOOK, mode: int = 0o750) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)
    return path.read_bytes()


def is_ours(path: Path) -> bool:
    return not path.is_symlink() and path.is_file() and MARKER in path.read_text()


def one_line_error(result: Result) -> str:
    assert (result.code, result.out) == (2, ""), result
    [line] = result.err.splitlines()
    assert line.startswith(PREFIX), line
    assert "(hint: " in line
    return line


def snapshot(folder: Path) -> dict[str, bytes | str]:
    """Every entry of a folder: a file's bytes, a symlink's target."""
    if not folder.exists():
        return {}
    return {p.name: f"-> {p.readlink()}" if p.is_symlink() else p.read_bytes()
            for p in sorted(folder.iterdir()) if not p.is_dir()}


# --- E8: a symlink, even a dangling one, is a hook -----------------------------------------


@pytest.mark.parametrize("dangling", [True, False], ids=["dangling", "live"])
def test_symlink_hook_is_chained_as_a_symlink_and_restored(repo: GitRepo, cli: Cli, tmp_path: Path,
                                                           dangling: bool) -> None:
    hook = hooks(repo) / "pre-push"
    real = tmp_path / "elsewhere" / "pre-push"
    if not dangling:
        user_hook(real)
    link_target = os.path.relpath(real, hook.parent)
    hook.symlink_to(link_target)
    assert os.path.lexists(hook)
    assert hook.exists() is not dangling

    result = cli("install-hook", cwd=repo.path)
    chained = hooks(repo) / CHAINED_NAME
    assert result.code == 0, result
    assert result.out == (f"release-guard: installed {hook} as the git pre-push hook, "
                          f"running {CHAINED_NAME} first\n")
    assert chained.is_symlink()
    assert str(chained.readlink()) == link_target
    assert is_ours(hook)

    removed = cli("install-hook", "--uninstall", cwd=repo.path)
    assert removed.code == 0, removed
    assert removed.out.startswith(f"release-guard: restored {hook} ")
    assert hook.is_symlink()
    assert str(hook.readlink()) == link_target
    assert not os.path.lexists(chained)
    assert not real.exists() if dangling else real.read_text() == USER_HOOK


# --- E13: temp files are unique and never followed -----------------------------------------


def test_a_symlink_at_the_old_temp_name_is_not_written_through(repo: GitRepo, cli: Cli,
                                                               tmp_path: Path) -> None:
    important = tmp_path / "important.txt"
    important.write_text("do not touch\n")
    stale = hooks(repo) / "pre-push.tmp-release-guard"
    stale.symlink_to(important)
    before = snapshot(hooks(repo))

    result = cli("install-hook", cwd=repo.path)
    assert result.code == 0, result
    assert important.read_text() == "do not touch\n"
    assert stale.is_symlink()
    assert stale.readlink() == important
    hook = hooks(repo) / "pre-push"
    assert is_ours(hook)
    assert set(snapshot(hooks(repo))) == {*before, "pre-push"}  # no temp file left behind

    assert cli("install-hook", "--uninstall", cwd=repo.path).code == 0
    assert snapshot(hooks(repo)) == before
    assert important.read_text() == "do not touch\n"


def test_a_symlink_in_the_hooks_place_is_replaced_not_written_through(repo: GitRepo, cli: Cli,
                                                                      tmp_path: Path) -> None:
    """A symlink at pre-push to a file holding our marker is not ours: it is kept aside."""
    outside = tmp_path / "outside-hook"
    outside.write_text(f"#!/bin/sh\n{MARKER}\n")
    hook = hooks(repo) / "pre-push"
    hook.symlink_to(outside)
    assert cli("install-hook", cwd=repo.path).code == 0
    assert outside.read_text() == f"#!/bin/sh\n{MARKER}\n"
    assert is_ours(hook)
    assert (hooks(repo) / CHAINED_NAME).readlink() == outside


# --- E12: a directory in the hook's place ----------------------------------------------------


def test_directory_hook_is_moved_aside_and_restored(repo: GitRepo, cli: Cli) -> None:
    place = hooks(repo) / "pre-push"
    (place / "inner").mkdir(parents=True)
    (place / "inner" / "notes.txt").write_text("keep me\n")
    (place / "run.sh").write_text("#!/bin/sh\n")

    result = cli("install-hook", cwd=repo.path)
    chained = hooks(repo) / CHAINED_NAME
    assert result.code == 0, result
    assert chained.is_dir()
    assert (chained / "inner" / "notes.txt").read_text() == "keep me\n"
    assert is_ours(place)

    removed = cli("install-hook", "--uninstall", cwd=repo.path)
    assert removed.code == 0, removed
    assert removed.out == (f"release-guard: restored {place} (the hook release-guard had moved to "
                           f"{CHAINED_NAME})\n")
    assert place.is_dir()
    assert (place / "inner" / "notes.txt").read_text() == "keep me\n"
    assert (place / "run.sh").read_text() == "#!/bin/sh\n"
    assert not os.path.lexists(chained)


# --- concurrent installs -----------------------------------------------------------------


@pytest.mark.slow
def test_concurrent_installs_keep_the_user_hook_exactly_once(repo: GitRepo) -> None:
    """8 install-hook processes at once, a few rounds: the user's hook is moved aside exactly
    once, never overwritten by ours, and no temp file is left behind."""
    folder = hooks(repo)
    for round_ in range(5):
        for entry in folder.iterdir():
            if entry.name != "pre-push.sample":
                entry.unlink()
        original = user_hook(folder / "pre-push", USER_HOOK + f"# round {round_}\n")
        procs = [subprocess.Popen([sys.executable, "-m", "release_guard", "install-hook"],
                                  cwd=repo.path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(8)]
        results = [(proc.wait(timeout=60), *proc.communicate()) for proc in procs]
        for code, out, err in results:
            assert "Traceback" not in err, err
            # A clean one-line exit 2 would not lose anything, but nothing here has a reason
            # to refuse: each install either moves the user's hook or finds it moved.
            assert (code, err) == (0, ""), (round_, code, err)
            assert out.startswith(f"release-guard: installed {folder / 'pre-push'} "), out
        assert sorted(p.name for p in folder.iterdir()) == ["pre-push", CHAINED_NAME, "pre-push.sample"]
        chained = folder / CHAINED_NAME
        assert chained.read_bytes() == original, round_
        assert chained.stat().st_nlink == 1
        assert is_ours(folder / "pre-push")
        assert [p.name for p in folder.iterdir() if p.read_bytes() == original] == [CHAINED_NAME]


# --- E7: a hooks folder that git tracks --------------------------------------------------


def test_tracked_hooks_folder_needs_force(repo: GitRepo, cli: Cli) -> None:
    team = repo.path / "githooks"
    original = user_hook(team / "pre-push")
    repo.commit("team hooks")
    repo.git("config", "core.hooksPath", "githooks")

    line = one_line_error(cli("install-hook", cwd=repo.path))
    assert f"{team} is a folder that git tracks in this repository" in line
    assert "would change files committed for the whole team" in line
    assert "--force" in line
    assert repo.git("status", "--porcelain") == ""
    nothing = cli("install-hook", "--uninstall", cwd=repo.path)  # nothing of ours to remove
    assert nothing.out == f"release-guard: no release-guard hook in {team}: nothing to do\n"
    assert (team / "pre-push").read_bytes() == original

    forced = cli("install-hook", "--force", cwd=repo.path)
    assert forced.code == 0, forced
    assert forced.out.startswith(f"release-guard: installed {team / 'pre-push'} as the git pre-push hook")
    assert (f"; --force: this changes {team}, which git tracks: `git status` shows the change, and "
            "committing it would give it to the whole team") in forced.out
    assert is_ours(team / "pre-push")
    assert (team / CHAINED_NAME).read_bytes() == original

    one_line_error(cli("install-hook", "--uninstall", cwd=repo.path))
    assert is_ours(team / "pre-push")
    removed = cli("install-hook", "--uninstall", "--force", cwd=repo.path)
    assert removed.code == 0, removed
    assert removed.out.startswith(f"release-guard: restored {team / 'pre-push'} ")
    assert "--force: this changes" in removed.out
    assert repo.git("status", "--porcelain") == ""


def test_tracked_hooks_folder_without_a_pre_push_hook(repo: GitRepo, cli: Cli) -> None:
    user_hook(repo.path / ".githooks" / "commit-msg")
    repo.commit("team hooks")
    repo.git("config", "core.hooksPath", ".githooks")
    line = one_line_error(cli("install-hook", cwd=repo.path))
    assert "git tracks in this repository" in line
    assert not os.path.lexists(repo.path / ".githooks" / "pre-push")


def test_untracked_hooks_folder_in_the_work_tree_is_fine(repo: GitRepo, cli: Cli) -> None:
    repo.write("README", "x\n")
    repo.commit("first")
    repo.git("config", "core.hooksPath", ".githooks")
    result = cli("install-hook", cwd=repo.path)
    assert result.code == 0, result
    assert "--force" not in result.out
    assert is_ours(repo.path / ".githooks" / "pre-push")


# --- E6 / E18: a hooks folder that other repositories share ------------------------------


def test_global_hooks_path_needs_force(repo: GitRepo, cli: Cli, tmp_path: Path) -> None:
    shared = tmp_path / "global-hooks"
    original = user_hook(shared / "pre-push")
    repo.git("config", "--global", "core.hooksPath", str(shared))
    gitconfig = Path(os.environ["GIT_CONFIG_GLOBAL"])
    before = snapshot(shared)

    line = one_line_error(cli("install-hook", cwd=repo.path))
    assert line.startswith(f"{PREFIX}{shared} is shared (core.hooksPath is set in "
                           f"{os.path.realpath(gitconfig)}): every repository using it would run the hook")
    assert snapshot(shared) == before

    forced = cli("install-hook", "--force", cwd=repo.path)
    assert forced.code == 0, forced
    assert "every repository using it now runs the hook" in forced.out
    assert is_ours(shared / "pre-push")
    assert (shared / CHAINED_NAME).read_bytes() == original

    line = one_line_error(cli("install-hook", "--uninstall", cwd=repo.path))
    assert "every repository using it would stop running the hook" in line
    removed = cli("install-hook", "--uninstall", "--force", cwd=repo.path)
    assert removed.code == 0, removed
    assert "every repository using it no longer runs the hook" in removed.out
    assert snapshot(shared) == before


@pytest.mark.parametrize("how", ["include", "command line"])
def test_hooks_path_from_another_config_needs_force(repo: GitRepo, cli: Cli, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    shared = tmp_path / "shared-hooks"
    if how == "include":
        included = tmp_path / "team.gitconfig"
        included.write_text(f"[core]\n\thooksPath = {shared}\n")
        repo.git("config", "include.path", str(included))
        expected = f"core.hooksPath is set in {included}"
    else:
        monkeypatch.setenv("GIT_CONFIG_PARAMETERS", f"'core.hooksPath={shared}'")
        expected = "core.hooksPath comes from the command line"
    line = one_line_error(cli("install-hook", cwd=repo.path))
    assert f"{shared} is shared ({expected}): every repository using it would run the hook" in line
    assert not shared.exists()


def test_hooks_path_in_this_worktrees_config_is_not_shared(repo: GitRepo, cli: Cli, tmp_path: Path) -> None:
    repo.commit("first")
    other = tmp_path / "wt"
    repo.git("worktree", "add", "-q", "-b", "side", str(other))
    repo.git("config", "extensions.worktreeConfig", "true")
    subprocess.run(["git", "config", "--worktree", "core.hooksPath", ".wt-hooks"], cwd=other, check=True)
    result = cli("install-hook", cwd=other)
    assert result.code == 0, result
    assert "--force" not in result.out
    assert is_ours(other / ".wt-hooks" / "pre-push")


def test_symlinked_hooks_folder_needs_force(repo: GitRepo, cli: Cli, tmp_path: Path) -> None:
    shared = tmp_path / "shared-hooks"
    shared.mkdir()
    shutil.rmtree(hooks(repo))
    hooks(repo).symlink_to(shared, target_is_directory=True)

    line = one_line_error(cli("install-hook", cwd=repo.path))
    assert line.startswith(f"{PREFIX}{hooks(repo)} is shared (it resolves to {os.path.realpath(shared)}, "
                           "outside this repository): every repository using it would run the hook")
    assert list(shared.iterdir()) == []

    forced = cli("install-hook", "--force", cwd=repo.path)
    assert forced.code == 0, forced
    assert "every repository using it now runs the hook" in forced.out
    assert is_ours(shared / "pre-push")


# --- RELEASE_GUARD_DEBUG -------------------------------------------------------------------


def test_debug_shows_the_traceback_and_still_exits_2(repo: GitRepo, tmp_path: Path) -> None:
    """An internal error is exit 2 with RELEASE_GUARD_DEBUG=1 too (exit 1 means a failed check).

    A sitecustomize on PYTHONPATH breaks install() in the real `python -m release_guard`.
    """
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(
        "import release_guard.hook\n\n\n"
        "def broken(*args, **kwargs):\n"
        "    raise RuntimeError('broken on purpose')\n\n\n"
        "release_guard.hook.install = broken\n")
    path = os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path, "RELEASE_GUARD_DEBUG": "1"}
    proc = subprocess.run([sys.executable, "-m", "release_guard", "install-hook"], cwd=repo.path,
                          capture_output=True, text=True, env=env, timeout=60, check=False)
    assert proc.returncode == 2, proc
    assert "Traceback (most recent call last):" in proc.stderr
    assert "RuntimeError: broken on purpose" in proc.stderr
    last = proc.stderr.splitlines()[-1]
    assert last.startswith(f"{PREFIX}internal error: RuntimeError at sitecustomize.py:"), last
    del env["RELEASE_GUARD_DEBUG"]
    quiet = subprocess.run([sys.executable, "-m", "release_guard", "install-hook"], cwd=repo.path,
                           capture_output=True, text=True, env=env, timeout=60, check=False)
    assert quiet.returncode == 2, quiet
    assert "Traceback" not in quiet.stderr
    assert len(quiet.stderr.splitlines()) == 1
