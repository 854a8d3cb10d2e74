"""README promises about pushes, end to end: real `git push` to a bare remote, the real
pypiserver fixture, the shipped hooks of this checkout's `.pre-commit-hooks.yaml` under real
pre-commit (built offline from `.wheelhouse`, as tests/test_precommit_hook.py builds them), and
the native hook of `release-guard install-hook` (issue 12).
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import GitRepo
from index_servers import LocalIndex
from test_precommit_hook import CHECKOUT, checkout_head, hook_env, pre_commit_home  # noqa: F401
from test_tag_guard import NULL, RELEASE_GUARD, install_native, pyproject, rg202

pytestmark = pytest.mark.slow

TIMEOUT = 600
SKIPPED = "release-guard: pypi-tag-guard skipped (SKIP=pypi-tag-guard)"
# A hook that shows what pre-commit itself gives the hooks at the pre-push stage.
SHOW_REFS_ENTRY = ("""sh -c 'echo "FROM=${PRE_COMMIT_FROM_REF-unset} TO=${PRE_COMMIT_TO_REF-unset} """
                   """LOCAL=$PRE_COMMIT_LOCAL_BRANCH"'""")
SHOW_REFS = f"""\
  - repo: local
    hooks:
      - id: show-refs
        name: show-refs
        entry: {SHOW_REFS_ENTRY}
        language: system
        pass_filenames: false
        always_run: true
        verbose: true
        stages: [pre-push]
"""


def run(cwd: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT, check=False,
                          env={**os.environ, **env})


def output(proc: subprocess.CompletedProcess[str]) -> str:
    return proc.stdout + proc.stderr


@dataclass
class Pushing:
    """A project (demo-pkg, reading `index` from [tool.release-guard] repository), its bare
    remote `origin`, which has `main` at 1.0 and no tag yet."""

    repo: GitRepo
    bare: Path
    index: LocalIndex

    def release(self, version: str, tag: str | None = None) -> str:
        self.repo.write("pyproject.toml", pyproject("demo-pkg", version, repository=self.index.upload_url))
        sha = self.repo.commit(f"release {version}")
        if tag:
            self.repo.tag(tag, annotated=True)
        return sha

    def push(self, *refs: str, **env: str) -> subprocess.CompletedProcess[str]:
        return run(self.repo.path, "git", "push", "origin", *refs, **env)

    def tags(self) -> set[str]:
        out = self.repo.git("ls-remote", "--tags", str(self.bare))
        return {line.split()[1].removeprefix("refs/tags/").removesuffix("^{}") for line in out.splitlines()}

    def remote(self, ref: str) -> str | None:
        out = self.repo.git("ls-remote", str(self.bare), ref)
        return out.split()[0] if out else None


@pytest.fixture
def pushing(repo: GitRepo, tmp_path: Path, pypiserver_index: LocalIndex) -> Pushing:
    bare = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)
    project = Pushing(repo, bare, pypiserver_index)
    repo.write("src/demo_pkg/__init__.py", "")
    project.release("1.0")
    repo.git("remote", "add", "origin", str(bare))
    repo.git("push", "-q", "--no-verify", "origin", "main")
    return project


def shipped_hooks(pushing: Pushing, head: str, *hook_ids: str, extra: str = "") -> None:
    """`repo: <this checkout>`, `rev: <its HEAD>` with `hook_ids`, installed for pre-push."""
    hooks = "".join(f"      - id: {hook_id}\n" for hook_id in hook_ids)
    pushing.repo.write(".pre-commit-config.yaml",
                       f"repos:\n  - repo: {CHECKOUT}\n    rev: {head}\n    hooks:\n{hooks}{extra}")
    pushing.repo.commit("pre-commit config")
    pushing.repo.git("push", "-q", "--no-verify", "origin", "main")
    proc = run(pushing.repo.path, sys.executable, "-m", "pre_commit", "install", "--install-hooks",
               "--hook-type", "pre-push")
    assert proc.returncode == 0, output(proc)


# --- 1. the shipped pypi-tag-guard hook at the pre-push stage -----------------------------------


def test_shipped_pypi_tag_guard_refuses_a_released_tag_and_passes_a_new_one(
        pushing: Pushing, hook_env: None, checkout_head: str) -> None:  # noqa: F811
    """README "pre-commit hooks": `pypi-tag-guard` (`release-guard check-tag`, stage pre-push)
    blocks "a pushed tag whose version is already on the index"; RG202. The tag comes with a
    new commit, so pre-commit runs its hooks (see test_tag_guard.py for the tag-only push)."""
    shipped_hooks(pushing, checkout_head, "pypi-tag-guard")
    pushing.repo.write("README.md", "notes\n")
    pushing.repo.commit("notes, still 1.0")
    pushing.repo.tag("v1.0", annotated=True)
    refused = pushing.push("v1.0")
    assert refused.returncode == 1, output(refused)
    lines = refused.stdout.splitlines()
    assert lines[0].startswith("release-guard tag guard."), lines
    assert lines[0].endswith("Failed"), lines
    assert rg202(pushing.index, "v1.0", "1.0") in lines
    assert "error: failed to push some refs to " in refused.stderr
    assert pushing.tags() == set()
    skipped = pushing.push("v1.0", SKIP="pypi-tag-guard")  # pre-commit's own SKIP, for its hook
    assert skipped.returncode == 0, output(skipped)
    assert skipped.stdout.splitlines()[0].startswith("release-guard tag guard.")
    assert skipped.stdout.splitlines()[0].endswith("Skipped"), skipped.stdout
    assert pushing.tags() == {"v1.0"}
    pushing.release("1.2", "v1.2")
    accepted = pushing.push("v1.2")
    assert accepted.returncode == 0, output(accepted)
    assert accepted.stdout.splitlines()[0].startswith("release-guard tag guard.")
    assert accepted.stdout.splitlines()[0].endswith("Passed"), accepted.stdout
    assert pushing.tags() == {"v1.0", "v1.2"}


# --- 9. what real pre-commit sets: PRE_COMMIT_FROM_REF / PRE_COMMIT_TO_REF ---------------------


def shown_refs(proc: subprocess.CompletedProcess[str]) -> str:
    [line] = [line for line in proc.stdout.splitlines() if line.startswith("FROM=")]
    return line


def test_real_pre_commit_refs_for_a_new_branch_and_a_tag_pushed_with_its_commit(
        pushing: Pushing, hook_env: None, checkout_head: str) -> None:  # noqa: F811
    """README: "At the `pre-push` stage it reads the pushed commit, and the release files changed
    in the pushed range (since the remote's commit, `PRE_COMMIT_FROM_REF`) count as the change
    for RG106". Here pre-commit sets the variables itself; the `show-refs` hook prints them.

    A new branch: FROM is the remote's commit the branch starts from, TO the branch's tip.
    A tag with its commit: LOCAL is the tag, TO the annotated tag's object (not its commit)."""
    pushing.repo.tag("v1.0", annotated=True)
    pushing.repo.git("push", "-q", "--no-verify", "origin", "v1.0")
    shipped_hooks(pushing, checkout_head, "version-bump", "pypi-tag-guard", extra=SHOW_REFS)
    base = pushing.repo.git("rev-parse", "HEAD")
    pushing.repo.git("checkout", "-q", "-b", "feature")
    pushing.repo.write("src/demo_pkg/core.py", "x = 1\n")
    pushing.repo.commit("unbumped fix after the 1.0 release")
    pushing.repo.write("README.md", "docs\n")
    feature = pushing.repo.commit("docs")
    pushing.repo.git("checkout", "-q", "main")  # the pushed branch is not HEAD
    new_branch = pushing.push("feature")
    assert new_branch.returncode == 1, output(new_branch)
    assert shown_refs(new_branch) == f"FROM={base} TO={feature} LOCAL=refs/heads/feature"
    assert ("pyproject.toml:3: RG106 1.0 is already released (tag v1.0), but release files change "
            "(src/demo_pkg/core.py); bump the version") in new_branch.stdout.splitlines()
    assert pushing.remote("refs/heads/feature") is None
    pushing.repo.git("checkout", "-q", "feature")
    pushing.release("1.0.1")
    bumped = pushing.push("feature")
    assert bumped.returncode == 0, output(bumped)
    assert shown_refs(bumped) == f"FROM={base} TO={pushing.repo.git('rev-parse', 'HEAD')} " \
                                 "LOCAL=refs/heads/feature"
    # a tag pushed with its (new) commit, alone: no branch in the push
    pushing.repo.write("README.md", "more docs\n")
    commit = pushing.repo.commit("docs, still 1.0.1")
    pushing.repo.tag("v1.1", annotated=True)  # 1.1 is on the index, and the project says 1.0.1: RG201
    tag_object = pushing.repo.git("rev-parse", "refs/tags/v1.1")
    assert tag_object != commit
    tag_push = pushing.push("v1.1")
    assert tag_push.returncode == 1, output(tag_push)
    remote_feature = pushing.remote("refs/heads/feature")
    assert shown_refs(tag_push) == f"FROM={remote_feature} TO={tag_object} LOCAL=refs/tags/v1.1"
    assert ("pyproject.toml:3: RG201 tag v1.1 says 1.1 but the project version at the tagged commit is "
            "1.0.1") in tag_push.stdout.splitlines()
    assert rg202(pushing.index, "v1.1", "1.1") in tag_push.stdout.splitlines()
    assert pushing.tags() == {"v1.0"}


# --- 2. SKIP=pypi-tag-guard through the native hook and `release-guard pre-push` ----------------


def test_skip_through_the_native_hook(pushing: Pushing) -> None:
    """README: "`SKIP=pypi-tag-guard git push ...` (pre-commit's own convention, honoured by the
    native hook too)": the push goes through and says it was skipped."""
    pushing.repo.tag("v1.0", annotated=True)  # 1.0 is on the index
    install_native(pushing.repo)
    refused = pushing.push("v1.0")
    assert refused.returncode == 1, output(refused)
    assert rg202(pushing.index, "v1.0", "1.0") in refused.stdout.splitlines()
    assert pushing.tags() == set()
    skipped = pushing.push("v1.0", SKIP="version-bump,pypi-tag-guard")
    assert skipped.returncode == 0, output(skipped)
    assert skipped.stdout.splitlines() == [SKIPPED]
    assert pushing.tags() == {"v1.0"}


def test_skip_through_release_guard_pre_push(pushing: Pushing) -> None:
    """README "Commands": `release-guard pre-push REMOTE URL` reads git's pre-push lines on stdin;
    with SKIP=pypi-tag-guard it checks nothing and says so."""
    pushing.repo.tag("v1.0", annotated=True)
    tag = pushing.repo.git("rev-parse", "refs/tags/v1.0")
    head = pushing.repo.git("rev-parse", "HEAD")
    stdin = f"refs/heads/main {head} refs/heads/main {head}\nrefs/tags/v1.0 {tag} refs/tags/v1.0 {NULL}\n"

    def pre_push(**env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([RELEASE_GUARD, "pre-push", "origin", str(pushing.bare)], cwd=pushing.repo.path,
                              input=stdin, capture_output=True, text=True, timeout=TIMEOUT, check=False,
                              env={**os.environ, **env})

    checked = pre_push()
    assert checked.returncode == 1, checked
    assert checked.stdout.splitlines()[0] == rg202(pushing.index, "v1.0", "1.0")
    for skip in ("pypi-tag-guard", "version-bump, pypi-tag-guard"):
        skipped = pre_push(SKIP=skip)
        assert (skipped.returncode, skipped.stdout, skipped.stderr) == (0, SKIPPED + "\n", ""), skip
    other = pre_push(SKIP="version-bump")  # another hook's name skips nothing here
    assert other.returncode == 1, other


def test_real_pre_commit_first_push_of_a_branch_that_is_not_head(
        repo: GitRepo, tmp_path: Path, hook_env: None, checkout_head: str) -> None:  # noqa: F811
    """The first push to an empty remote brings the root commit: pre-commit then sets neither
    PRE_COMMIT_FROM_REF nor PRE_COMMIT_TO_REF (it runs the hooks on all files), only the pushed
    ref. README: "At the `pre-push` stage it reads the pushed commit": the pushed branch's, not
    HEAD's."""
    bare = tmp_path / "empty.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)
    repo.git("remote", "add", "origin", str(bare))
    repo.write(".pre-commit-config.yaml", f"repos:\n  - repo: {CHECKOUT}\n    rev: {checkout_head}\n"
                                          f"    hooks:\n      - id: version-bump\n{SHOW_REFS}")
    repo.write("pyproject.toml", '[project]\nname = "demo"\nversion = "1.0"\n')
    repo.commit("1.0")
    proc = run(repo.path, sys.executable, "-m", "pre_commit", "install", "--install-hooks",
               "--hook-type", "pre-push")
    assert proc.returncode == 0, output(proc)
    repo.git("checkout", "-q", "-b", "feature")
    repo.write("pyproject.toml", '[project]\nname = "demo"\nversion = "1.0-final!"\n')
    repo.commit("an invalid version, committed with --no-verify")
    repo.git("checkout", "-q", "main")
    pushed = run(repo.path, "git", "push", "origin", "feature")
    assert shown_refs(pushed) == "FROM=unset TO=unset LOCAL=refs/heads/feature"
    assert pushed.returncode == 1, output(pushed)
    assert [line for line in pushed.stdout.splitlines() if " RG" in line] == [
        "pyproject.toml:3: RG101 version '1.0-final!' is not valid PEP 440"]
    assert repo.git("ls-remote", str(bare)) == ""


# --- the shipped release-preflight hook, at the manual stage -------------------------------------


def test_shipped_release_preflight_runs_check_at_the_manual_stage(
        pushing: Pushing, hook_env: None, checkout_head: str) -> None:  # noqa: F811
    """README, the hooks table: `release-preflight` runs `release-guard check` at the `manual`
    stage, "run it before a release with `pre-commit run release-preflight --hook-stage manual`;
    it reads the index"."""
    pushing.repo.tag("v1.0", annotated=True)  # the index's 1.0 is this repository's: the name is ours
    shipped_hooks(pushing, checkout_head, "release-preflight")
    pushing.release("1.1")  # 1.1 is on the index
    args = (sys.executable, "-m", "pre_commit", "run", "release-preflight", "--hook-stage", "manual")
    released = run(pushing.repo.path, *args)
    assert released.returncode == 1, output(released)
    lines = released.stdout.splitlines()
    assert lines[0].startswith("release-guard release preflight.")
    assert lines[0].endswith("Failed")
    rg401 = f"RG401 demo-pkg 1.1 is already on {pushing.index.simple_url}"
    assert [line for line in lines if rg401 in line] != [], lines
    pushing.release("1.2")
    new = run(pushing.repo.path, *args)
    assert new.returncode == 0, output(new)
    assert new.stdout.splitlines()[0].startswith("release-guard release preflight.")
    assert new.stdout.splitlines()[0].endswith("Passed")
