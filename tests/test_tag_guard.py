"""check-tag and pre-push end to end: real git repositories, real local indexes, real pushes.

Every check reads a local server: pypiserver (PEP 503 HTML), devpi-server (PEP 691 JSON),
the scripted fault server, or a closed port on 127.0.0.1. Both real indexes hold
demo-pkg 1.0 and 1.1.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import GitRepo, Result
from index_servers import PASSWORD, USERNAME, FaultServers, LocalIndex, free_port
from release_guard.hook import MARKER

BIN = Path(sys.executable).parent
RELEASE_GUARD = str(BIN / "release-guard")
NULL = "0" * 40
TIMEOUT = 120
FREE_AFTER_1_1 = "1.1.1, 1.2.0, 2.0.0, 1.1.1.dev0"

Cli = Callable[..., Result]


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)  # strings and lists of strings are valid TOML this way


def pyproject(name: str = "demo-pkg", version: str = "1.0", **config: object) -> str:
    """[project] with the version on line 3, then [tool.release-guard] keys (dashes for _)."""
    text = f'[project]\nname = "{name}"\nversion = "{version}"\n'
    if config:
        text += "\n[tool.release-guard]\n"
        text += "".join(f"{k.replace('_', '-')} = {toml_value(v)}\n" for k, v in config.items())
    return text


def release(repo: GitRepo, version: str, tag: str | None = None, *, name: str = "demo-pkg",
            annotated: bool = True, **config: object) -> str:
    """Commit the project at `version` and (when given) tag it; returns the commit."""
    repo.write("pyproject.toml", pyproject(name, version, **config))
    sha = repo.commit(f"release {version}")
    if tag:
        repo.tag(tag, annotated=annotated)
    return sha


def lines(result: Result) -> list[str]:
    return result.out.splitlines()


def rg202(index: LocalIndex, tag: str, version: str, same: str = "", path: str = "pyproject.toml:3") -> str:
    return (f"{path}: RG202 tag {tag}: {version} is already on {index.simple_url}{same}; "
            "the upload would answer '400 File already exists'")


@pytest.fixture(params=["pypiserver_index", "devpi_index"], ids=["html-pypiserver", "json-devpi"])
def index(request: pytest.FixtureRequest) -> LocalIndex:
    """Each real index in turn: pypiserver serves HTML, devpi JSON."""
    served: LocalIndex = request.getfixturevalue(request.param)
    return served


def closed_port_url(with_credentials: bool = False) -> str:
    userinfo = f"{USERNAME}:{PASSWORD}@" if with_credentials else ""
    return f"http://{userinfo}127.0.0.1:{free_port()}/"


# --- against both indexes ---------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("annotated", [True, False], ids=["annotated", "lightweight"])
def test_released_version_is_refused(repo: GitRepo, cli: Cli, index: LocalIndex, annotated: bool) -> None:
    release(repo, "1.0", "v1.0", annotated=annotated)
    result = cli("check-tag", "v1.0", "--repository-url", index.upload_url, cwd=repo.path)
    assert result.code == 1, result
    assert lines(result) == [rg202(index, "v1.0", "1.0"),
                             f"  hint: bump to a free version: {FREE_AFTER_1_1}"]
    assert result.err == ""


@pytest.mark.slow
def test_1_0_0_is_the_released_1_0(repo: GitRepo, cli: Cli, index: LocalIndex) -> None:
    release(repo, "1.0.0", "v1.0.0")
    result = cli("check-tag", "v1.0.0", "--repository-url", index.upload_url, cwd=repo.path)
    assert result.code == 1, result
    assert rg202(index, "v1.0.0", "1.0.0", same=" as 1.0") in lines(result)


@pytest.mark.slow
def test_new_version_passes(repo: GitRepo, cli: Cli, index: LocalIndex) -> None:
    release(repo, "1.2", "v1.2")
    result = cli("check-tag", "v1.2", "--repository-url", index.upload_url, cwd=repo.path)
    assert (result.code, result.err) == (0, ""), result
    assert lines(result) == [f"release-guard: v1.2 ok: not on {index.simple_url}"]


@pytest.mark.slow
def test_older_than_the_newest_release(repo: GitRepo, cli: Cli, index: LocalIndex) -> None:
    release(repo, "0.9", "v0.9")
    result = cli("check-tag", "v0.9", "--repository-url", index.upload_url, cwd=repo.path)
    assert result.code == 1, result
    assert lines(result) == [
        f"pyproject.toml:3: RG203 tag v0.9: 0.9 is older than 1.1, the newest release on {index.simple_url}",
        f"  hint: bump to {FREE_AFTER_1_1}; for a backport set allow-older = true in [tool.release-guard]",
    ]
    flag = cli("check-tag", "v0.9", "--allow-older", "--repository-url", index.upload_url, cwd=repo.path)
    assert flag.code == 0, flag
    assert "RG203" not in flag.out


@pytest.mark.slow
def test_older_allowed_by_config(repo: GitRepo, cli: Cli, index: LocalIndex) -> None:
    release(repo, "0.9", "v0.9", repository=index.upload_url, allow_older=True)
    result = cli("check-tag", "v0.9", cwd=repo.path)
    assert result.code == 0, result
    assert lines(result) == [f"release-guard: v0.9 ok: not on {index.simple_url}"]


@pytest.mark.slow
def test_tag_that_names_another_version_than_the_project(repo: GitRepo, cli: Cli, index: LocalIndex) -> None:
    release(repo, "1.2", "v1.3")
    result = cli("check-tag", "v1.3", "--repository-url", index.upload_url, cwd=repo.path)
    assert result.code == 1, result
    assert lines(result)[:2] == [
        "pyproject.toml:3: RG201 tag v1.3 says 1.3 but the project version at the tagged commit is 1.2",
        "  hint: bump the version to 1.3 and re-tag (git tag -f v1.3), or tag the version the project "
        "declares",
    ]
    assert "RG202" not in result.out
    assert "RG203" not in result.out


@pytest.mark.slow
def test_version_at_the_tagged_commit_not_at_head(repo: GitRepo, cli: Cli, index: LocalIndex) -> None:
    release(repo, "1.0", "v1.0")
    release(repo, "1.2")  # HEAD moved on; the tag still names the released 1.0
    result = cli("check-tag", "v1.0", "--repository-url", index.upload_url, cwd=repo.path)
    assert result.code == 1, result
    assert rg202(index, "v1.0", "1.0") in lines(result)


@pytest.mark.slow
def test_project_not_on_the_index_yet(repo: GitRepo, cli: Cli, index: LocalIndex) -> None:
    """Said in words: a first release, not "this version is not uploaded yet"."""
    release(repo, "1.0", "v1.0", name="new-pkg")
    result = cli("check-tag", "v1.0", "--repository-url", index.upload_url, cwd=repo.path)
    assert (result.code, result.err) == (0, ""), result
    assert lines(result) == [f"release-guard: v1.0 ok: first release of new-pkg on {index.simple_url}"]


@pytest.mark.slow
def test_vcs_derived_version_is_still_checked_against_the_index(
    repo: GitRepo, cli: Cli, index: LocalIndex
) -> None:
    repo.write("pyproject.toml", '[build-system]\nrequires = ["setuptools>=68", "setuptools-scm>=8"]\n'
               'build-backend = "setuptools.build_meta"\n\n[project]\nname = "demo-pkg"\n'
               'dynamic = ["version"]\n\n[tool.setuptools_scm]\n')
    repo.commit("scm")
    repo.tag("v1.1", annotated=True)
    result = cli("check-tag", "v1.1", "--repository-url", index.upload_url, cwd=repo.path)
    assert result.code == 1, result
    assert rg202(index, "v1.1", "1.1", path="pyproject.toml") in lines(result)
    repo.tag("v1.2", annotated=True)
    assert cli("check-tag", "v1.2", "--repository-url", index.upload_url, cwd=repo.path).code == 0


def test_tag_outside_the_tag_format_is_skipped(repo: GitRepo, cli: Cli) -> None:
    """Nothing to check, so the index (here a closed port) is not even read."""
    release(repo, "1.0", "nightly")
    result = cli("check-tag", "nightly", "--repository-url", closed_port_url(), cwd=repo.path)
    assert (result.code, result.err) == (0, ""), result
    assert lines(result) == [
        "RG200 info: tag nightly does not match tag-format 'v{version}': not checked",
        "  hint: set tag-format in [tool.release-guard] if it is a release tag",
        "RG206 info: no release tag to check",
    ]


@pytest.mark.slow
def test_credentials_in_the_repository_url_are_not_printed(
    repo: GitRepo, cli: Cli, pypiserver_index: LocalIndex
) -> None:
    release(repo, "1.0", "v1.0")
    url = pypiserver_index.upload_url.replace("http://", f"http://{USERNAME}:{PASSWORD}@")
    result = cli("check-tag", "v1.0", "--repository-url", url, cwd=repo.path)
    assert result.code == 1, result
    assert rg202(pypiserver_index, "v1.0", "1.0") in lines(result)
    assert PASSWORD not in result.out + result.err


@pytest.mark.slow
def test_json_format(repo: GitRepo, cli: Cli, pypiserver_index: LocalIndex) -> None:
    release(repo, "1.0", "v1.0")
    result = cli("check-tag", "v1.0", "--format", "json", "--repository-url", pypiserver_index.upload_url,
                 cwd=repo.path)
    assert result.code == 1, result
    document = json.loads(result.out)
    assert document["exit_code"] == 1
    assert [(f["code"], f["path"], f["line"], f["severity"]) for f in document["findings"]] == [
        ("RG202", "pyproject.toml", 3, "error")]


# --- monorepo ---------------------------------------------------------------------------


@pytest.fixture
def monorepo(repo: GitRepo, index: LocalIndex) -> GitRepo:
    repo.write("pyproject.toml", pyproject_root(index.upload_url))
    repo.write("pkg-a/pyproject.toml", pyproject("demo-pkg", "1.1"))
    repo.write("pkg-b/pyproject.toml", pyproject("other", "0.1"))
    repo.commit("two projects")
    repo.tag("demo-pkg-v1.1", annotated=True)
    repo.tag("other-v0.1", annotated=True)
    return repo


def pyproject_root(upload_url: str) -> str:
    return ('[tool.release-guard]\ntag-format = "{name}-v{version}"\nprojects = ["pkg-a", "pkg-b"]\n'
            f'repository = "{upload_url}"\n')


@pytest.mark.slow
def test_monorepo_tag_chooses_its_project(monorepo: GitRepo, cli: Cli, index: LocalIndex) -> None:
    result = cli("check-tag", "demo-pkg-v1.1", cwd=monorepo.path)
    assert result.code == 1, result
    assert rg202(index, "demo-pkg-v1.1", "1.1", path="pkg-a/pyproject.toml:3") in lines(result)
    other = cli("check-tag", "other-v0.1", cwd=monorepo.path)
    assert other.code == 0, other
    assert lines(other) == [f"release-guard: other-v0.1 ok: first release of other on {index.simple_url}"]


@pytest.mark.slow
def test_monorepo_both_tags_at_once(monorepo: GitRepo, cli: Cli, index: LocalIndex) -> None:
    """No arguments: the two tags at HEAD, each against its own project."""
    result = cli("check-tag", cwd=monorepo.path)
    assert result.code == 1, result
    found = [line for line in lines(result) if " RG" in line]
    assert found == [rg202(index, "demo-pkg-v1.1", "1.1", path="pkg-a/pyproject.toml:3")]
    assert "other-v0.1" not in result.out


def test_monorepo_tag_naming_no_listed_project(repo: GitRepo, cli: Cli) -> None:
    """Another project's tag is not ours to judge; the index (a closed port) is not read."""
    repo.write("pyproject.toml", pyproject_root(closed_port_url()))
    repo.write("pkg-a/pyproject.toml", pyproject("demo-pkg", "1.1"))
    repo.write("pkg-b/pyproject.toml", pyproject("other", "0.1"))
    repo.commit("two projects")
    repo.tag("ghost-v1.0")
    result = cli("check-tag", "ghost-v1.0", cwd=repo.path)
    assert (result.code, result.err) == (0, ""), result
    assert lines(result) == [
        "RG200 info: tag ghost-v1.0 names another project: not checked",
        "  hint: list the monorepo's projects in projects = [...] in [tool.release-guard]",
        "RG206 info: no release tag to check",
    ]


@pytest.mark.slow
def test_monorepo_project_name_containing_dash_v(repo: GitRepo, cli: Cli, fault_server: FaultServers) -> None:
    """`pkg-viewer-v0.3` is project pkg-viewer at 0.3, not project `pkg` at `iewer-v0.3`."""
    repo.write("pyproject.toml", pyproject_root(fault_server.url))  # 404 for both: not on the index
    repo.write("pkg-a/pyproject.toml", pyproject("pkg-viewer", "0.2"))
    repo.write("pkg-b/pyproject.toml", pyproject("pkg", "0.1"))
    repo.commit("two projects")
    repo.tag("pkg-viewer-v0.3")
    repo.tag("pkg-viewer-v0.2")
    result = cli("check-tag", "pkg-viewer-v0.3", cwd=repo.path)
    assert result.code == 1, result
    assert lines(result)[0] == ("pkg-a/pyproject.toml:3: RG201 tag pkg-viewer-v0.3 says 0.3 but the project "
                                "version at the tagged commit is 0.2")
    assert cli("check-tag", "pkg-viewer-v0.2", cwd=repo.path).code == 0


# --- yanked releases --------------------------------------------------------------------


@pytest.mark.slow
def test_yanked_release_counts_as_released(repo: GitRepo, cli: Cli, fault_server: FaultServers) -> None:
    """The fault server's `yanked-pkg` page (PEP 503 HTML) has 1.0 yanked, 1.1 and 1.2 not."""
    release(repo, "1.0", "v1.0", name="yanked-pkg")
    args = ("--index-url", fault_server.simple_url, "--repository-url", fault_server.url)
    result = cli("check-tag", "v1.0", *args, cwd=repo.path)
    assert result.code == 1, result
    assert lines(result) == [
        f"pyproject.toml:3: RG202 tag v1.0: 1.0 is already on {fault_server.simple_url} (yanked, which "
        "still counts); the upload would answer '400 File already exists'",
        "  hint: bump to a free version: 1.2.1, 1.3.0, 2.0.0, 1.2.1.dev0",
    ]
    release(repo, "1.3", "v1.3", name="yanked-pkg")
    assert cli("check-tag", "v1.3", *args, cwd=repo.path).code == 0


# --- an unreachable index ---------------------------------------------------------------


def test_unreachable_index_cannot_check(repo: GitRepo, cli: Cli) -> None:
    release(repo, "1.2", "v1.2")
    url = closed_port_url(with_credentials=True)
    result = cli("check-tag", "v1.2", "--repository-url", url, cwd=repo.path)
    assert result.code == 2, result
    assert result.out == ""
    [line] = result.err.splitlines()
    shown = url.replace(f"{USERNAME}:{PASSWORD}@", "")
    assert line.startswith(f"release-guard: error: could not reach {shown}simple/demo-pkg/: "), line
    assert "(hint: " in line
    assert "--allow-offline" in line
    assert PASSWORD not in result.out + result.err


def test_allow_offline_warns_and_still_checks_the_tag(repo: GitRepo, cli: Cli) -> None:
    release(repo, "1.2", "v1.2")
    url = closed_port_url(with_credentials=True)
    shown = url.replace(f"{USERNAME}:{PASSWORD}@", "")
    result = cli("check-tag", "v1.2", "--allow-offline", "--repository-url", url, cwd=repo.path)
    assert (result.code, result.err) == (0, ""), result
    assert lines(result)[0] == (f"RG204 warning: could not reach {shown}simple/demo-pkg/: connection "
                                "refused; the index was not checked")
    assert result.out.splitlines()[-1] == (
        "release-guard: v1.2 ok: matches the project version (the index was not read)")
    repo.tag("v1.3")  # the same commit, still at 1.2
    mismatch = cli("check-tag", "v1.3", "--allow-offline", "--repository-url", url, cwd=repo.path)
    assert mismatch.code == 1, mismatch
    heads = [line for line in lines(mismatch) if not line.startswith("  ")]
    assert heads[0].startswith("RG204 warning: could not reach "), heads
    assert heads[1:] == ["pyproject.toml:3: RG201 tag v1.3 says 1.3 but the project version at the tagged "
                         "commit is 1.2"]
    assert PASSWORD not in result.out + result.err + mismatch.out + mismatch.err


# --- where the tags come from -----------------------------------------------------------


@pytest.mark.slow
def test_tags_from_arguments(repo: GitRepo, cli: Cli, pypiserver_index: LocalIndex) -> None:
    release(repo, "1.0", "v1.0")
    release(repo, "1.2", "v1.2")
    url = ("--repository-url", pypiserver_index.upload_url)
    assert cli("check-tag", "v1.2", *url, cwd=repo.path).code == 0
    full = cli("check-tag", "refs/tags/v1.0", *url, cwd=repo.path)
    assert full.code == 1, full
    assert rg202(pypiserver_index, "v1.0", "1.0") in lines(full)
    both = cli("check-tag", "v1.2", "refs/tags/v1.0", *url, cwd=repo.path)
    assert both.code == 1, both
    assert [line for line in lines(both) if " RG" in line] == [rg202(pypiserver_index, "v1.0", "1.0")]


@pytest.fixture
def pre_commit_push(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Set the variables pre-commit sets for a pre-push hook, with the values a real run gives
    (test_readme_promises_push.py::test_real_pre_commit_refs_for_a_new_branch_and_a_tag_pushed_with_its_commit):
    FROM_REF is the remote's commit the push starts from, never 000...0; TO_REF the pushed
    object, for an annotated tag the tag object. A push that includes the root commit gets
    neither (pre-commit runs the hooks on all files then)."""

    def setenv(local: str, remote: str, to_ref: str | None = None, from_ref: str | None = None) -> None:
        monkeypatch.setenv("PRE_COMMIT_REMOTE_NAME", "origin")
        monkeypatch.setenv("PRE_COMMIT_REMOTE_URL", "/nowhere/remote.git")
        monkeypatch.setenv("PRE_COMMIT_LOCAL_BRANCH", local)
        monkeypatch.setenv("PRE_COMMIT_REMOTE_BRANCH", remote)
        if to_ref:
            assert from_ref, "pre-commit sets both or neither"
            monkeypatch.setenv("PRE_COMMIT_FROM_REF", from_ref)
            monkeypatch.setenv("PRE_COMMIT_TO_REF", to_ref)

    return setenv


@pytest.mark.slow
def test_tag_from_pre_commits_environment(
    repo: GitRepo, cli: Cli, pypiserver_index: LocalIndex, pre_commit_push: Callable[..., None]
) -> None:
    on_remote = repo.commit("the remote's commit")
    release(repo, "1.0", "v1.0", annotated=True)
    tag_object = repo.git("rev-parse", "refs/tags/v1.0")
    release(repo, "1.2")  # HEAD is elsewhere: the tag's own commit must be read
    pre_commit_push("refs/tags/v1.0", "refs/tags/v1.0", tag_object, on_remote)
    result = cli("check-tag", "--repository-url", pypiserver_index.upload_url, cwd=repo.path)
    assert result.code == 1, result
    assert rg202(pypiserver_index, "v1.0", "1.0") in lines(result)


def test_branch_push_in_pre_commits_environment(
    repo: GitRepo, cli: Cli, pre_commit_push: Callable[..., None]
) -> None:
    """A branch push: nothing to check, even though HEAD carries a released tag."""
    on_remote = repo.commit("the remote's commit")
    release(repo, "1.0", "v1.0")
    pre_commit_push("refs/heads/main", "refs/heads/main", repo.git("rev-parse", "HEAD"), on_remote)
    result = cli("check-tag", "--repository-url", closed_port_url(), cwd=repo.path)
    assert (result.code, result.err) == (0, ""), result
    assert lines(result) == ["RG206 info: no release tag to check"]


@pytest.mark.slow
def test_no_arguments_checks_the_tags_at_head(repo: GitRepo, cli: Cli, pypiserver_index: LocalIndex) -> None:
    release(repo, "1.0", "v1.0")
    repo.tag("deployed")
    result = cli("check-tag", "--repository-url", pypiserver_index.upload_url, cwd=repo.path)
    assert result.code == 1, result
    assert rg202(pypiserver_index, "v1.0", "1.0") in lines(result)
    assert "RG200 info: tag deployed does not match tag-format 'v{version}': not checked" in lines(result)
    release(repo, "1.2")  # no tag at HEAD now
    untagged = cli("check-tag", "--repository-url", closed_port_url(), cwd=repo.path)
    assert untagged.code == 0, untagged
    assert lines(untagged) == ["RG206 info: no release tag to check"]


@pytest.mark.slow
def test_tag_not_created_yet_checks_head(repo: GitRepo, cli: Cli, pypiserver_index: LocalIndex) -> None:
    release(repo, "1.2")
    result = cli("check-tag", "v1.2", "--repository-url", pypiserver_index.upload_url, cwd=repo.path)
    assert result.code == 0, result
    assert lines(result) == [
        "RG205 info: tag v1.2 does not exist yet: checked the project at HEAD",
        "  hint: create it with `git tag v1.2` once this passes",
        f"release-guard: v1.2 ok: not on {pypiserver_index.simple_url}",
    ]
    wrong = cli("check-tag", "v1.3", "--repository-url", pypiserver_index.upload_url, cwd=repo.path)
    assert wrong.code == 1, wrong
    assert "pyproject.toml:3: RG201 tag v1.3 says 1.3 but the project version at the tagged commit is 1.2" \
        in lines(wrong)


# --- release-guard pre-push (git's protocol on stdin) ------------------------------------


@pytest.fixture
def pre_push(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Result]:
    def run(repo: GitRepo, stdin: str, *args: str) -> Result:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        return cli("pre-push", "origin", "/nowhere/remote.git", *args, cwd=repo.path)

    return run


@pytest.mark.slow
def test_pre_push_checks_every_pushed_tag(
    repo: GitRepo, pre_push: Callable[..., Result], pypiserver_index: LocalIndex
) -> None:
    release(repo, "1.0", "v1.0", annotated=True)
    release(repo, "1.2", "v1.2")
    v10, v12, head = (repo.git("rev-parse", ref) for ref in ("refs/tags/v1.0", "refs/tags/v1.2", "HEAD"))
    stdin = (f"refs/heads/main {head} refs/heads/main {NULL}\n"
             f"refs/tags/v1.2 {v12} refs/tags/v1.2 {NULL}\n"
             f"refs/tags/v1.0 {v10} refs/tags/v1.0 {NULL}\n")
    result = pre_push(repo, stdin, "--repository-url", pypiserver_index.upload_url)
    assert result.code == 1, result
    assert [line for line in lines(result) if "RG" in line] == [rg202(pypiserver_index, "v1.0", "1.0")]
    ok = pre_push(repo, "\n".join(stdin.splitlines()[:2]), "--repository-url", pypiserver_index.upload_url)
    assert ok.code == 0, ok
    # `git push origin v1.0:refs/tags/v1.2`: the remote's tag name, the pushed commit (at 1.0)
    renamed = pre_push(repo, f"refs/tags/v1.0 {v10} refs/tags/v1.2 {NULL}\n",
                       "--repository-url", pypiserver_index.upload_url)
    assert renamed.code == 1, renamed
    assert lines(renamed)[0] == ("pyproject.toml:3: RG201 tag v1.2 says 1.2 but the project version at the "
                                 "tagged commit is 1.0")


def test_pre_push_skips_deletions_and_branches(repo: GitRepo, pre_push: Callable[..., Result]) -> None:
    """The index (a closed port) is never read: there is no pushed tag to check."""
    head = release(repo, "1.0", "v1.0")
    url = ("--repository-url", closed_port_url())
    deletion = pre_push(repo, f"(delete) {NULL} refs/tags/v1.0 {head}\n", *url)
    assert (deletion.code, deletion.out, deletion.err) == (0, "", "")
    branch = pre_push(repo, f"refs/heads/main {head} refs/heads/main {NULL}\n\n", *url)
    assert (branch.code, branch.out, branch.err) == (0, "", "")


def test_pre_push_malformed_input(repo: GitRepo, pre_push: Callable[..., Result]) -> None:
    release(repo, "1.0", "v1.0")
    result = pre_push(repo, "refs/tags/v1.0 abc\n", "--repository-url", closed_port_url())
    assert result.code == 2, result
    assert result.out == ""
    [line] = result.err.splitlines()
    assert line.startswith("release-guard: error: pre-push input line 1 is not "), line


@pytest.mark.slow
def test_pre_push_console_script(repo: GitRepo, pypiserver_index: LocalIndex) -> None:
    release(repo, "1.0", "v1.0", annotated=True, repository=pypiserver_index.upload_url)
    sha = repo.git("rev-parse", "refs/tags/v1.0")
    proc = subprocess.run([RELEASE_GUARD, "pre-push", "origin", "/nowhere/remote.git"], cwd=repo.path,
                          input=f"refs/tags/v1.0 {sha} refs/tags/v1.0 {NULL}\n", capture_output=True,
                          text=True, timeout=TIMEOUT, check=False)
    assert proc.returncode == 1, proc
    assert rg202(pypiserver_index, "v1.0", "1.0") in proc.stdout.splitlines()


# --- real pushes to a bare remote through the hooks --------------------------------------

PRE_COMMIT_CONFIG = """\
repos:
  - repo: local
    hooks:
      - id: noop
        name: noop
        entry: "true"
        language: system
        pass_filenames: false
        stages: [pre-push]
"""


@dataclass
class Remote:
    repo: GitRepo
    bare: Path
    upload_url: str

    def push(self, *refs: str, no_verify: bool = False) -> subprocess.CompletedProcess[str]:
        args = ["git", "push", *(["--no-verify"] if no_verify else []), "origin", *refs]
        return subprocess.run(args, cwd=self.repo.path, capture_output=True, text=True, timeout=TIMEOUT,
                              check=False)

    def tags(self) -> set[str]:
        out = self.repo.git("ls-remote", "--tags", str(self.bare))
        return {line.split()[1].removeprefix("refs/tags/").removesuffix("^{}") for line in out.splitlines()}

    def main(self) -> str:
        return self.repo.git("ls-remote", str(self.bare), "refs/heads/main").split()[0]


def install_native(repo: GitRepo) -> None:
    proc = subprocess.run([RELEASE_GUARD, "install-hook"], cwd=repo.path, capture_output=True, text=True,
                          timeout=TIMEOUT, check=False)
    assert proc.returncode == 0, proc


def install_pre_commit(repo: GitRepo) -> None:
    proc = subprocess.run([sys.executable, "-m", "pre_commit", "install", "--hook-type", "pre-push"],
                          cwd=repo.path, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    assert proc.returncode == 0, proc


def output(proc: subprocess.CompletedProcess[str]) -> str:
    return proc.stdout + proc.stderr


@pytest.fixture
def remote(
    repo: GitRepo, tmp_path: Path, pypiserver_index: LocalIndex, monkeypatch: pytest.MonkeyPatch
) -> Remote:
    """main at demo-pkg 1.0 (tagged v1.0, annotated) is on the bare remote; the tag is not."""
    monkeypatch.setenv("PRE_COMMIT_HOME", str(tmp_path / "pre-commit-home"))
    monkeypatch.setenv("PRE_COMMIT_COLOR", "never")
    repo.write(".pre-commit-config.yaml", PRE_COMMIT_CONFIG)
    release(repo, "1.0", "v1.0", repository=pypiserver_index.upload_url)
    bare = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)
    repo.git("remote", "add", "origin", str(bare))
    repo.git("push", "-q", "--no-verify", "origin", "main")
    return Remote(repo, bare, pypiserver_index.upload_url)


HOOK_SETUPS = {
    "native": (install_native,),
    "native-then-pre-commit": (install_native, install_pre_commit),
    "pre-commit-then-native": (install_pre_commit, install_native),
}


@pytest.mark.slow
@pytest.mark.parametrize("setup", list(HOOK_SETUPS))
def test_push_of_a_released_tag_is_refused(remote: Remote, pypiserver_index: LocalIndex, setup: str) -> None:
    for install in HOOK_SETUPS[setup]:
        install(remote.repo)
    hooks = remote.repo.path / ".git" / "hooks"
    ours = hooks / ("pre-push" if setup == "native" else "pre-push.legacy")
    assert MARKER in ours.read_text()
    proc = remote.push("v1.0")
    assert proc.returncode != 0, output(proc)
    assert rg202(pypiserver_index, "v1.0", "1.0") in output(proc).splitlines()
    assert remote.tags() == set()


@pytest.mark.slow
@pytest.mark.parametrize(("setup", "refs"), [
    ("native", ["v1.2"]),
    ("pre-commit-then-native", ["v1.2"]),
    ("native", ["--follow-tags", "main"]),
])
def test_push_of_a_new_version_is_accepted(remote: Remote, setup: str, refs: list[str]) -> None:
    assert remote.push("v1.0", no_verify=True).returncode == 0  # released long ago, like every old tag
    for install in HOOK_SETUPS[setup]:
        install(remote.repo)
    release(remote.repo, "1.2", "v1.2", repository=remote.upload_url)
    proc = remote.push(*refs)
    assert proc.returncode == 0, output(proc)
    assert remote.tags() == {"v1.0", "v1.2"}


@pytest.mark.slow
@pytest.mark.parametrize("setup", ["native", "pre-commit-then-native"])
def test_branch_and_released_tag_together_are_refused(
    remote: Remote, pypiserver_index: LocalIndex, setup: str
) -> None:
    for install in HOOK_SETUPS[setup]:
        install(remote.repo)
    before = remote.main()
    remote.repo.write("README.md", "notes\n")
    remote.repo.commit("notes")
    remote.repo.git("tag", "-f", "-a", "v1.0", "-m", "re-tag 1.0")  # still version 1.0: released
    proc = remote.push("main", "v1.0")
    assert proc.returncode != 0, output(proc)
    assert rg202(pypiserver_index, "v1.0", "1.0") in output(proc).splitlines()
    assert remote.tags() == set()
    assert remote.main() == before


@pytest.mark.slow
def test_deleting_a_tag_is_not_blocked(remote: Remote) -> None:
    install_native(remote.repo)
    assert remote.push("v1.0", no_verify=True).returncode == 0
    assert remote.tags() == {"v1.0"}
    proc = remote.push(":refs/tags/v1.0")
    assert proc.returncode == 0, output(proc)
    assert remote.tags() == set()


@pytest.mark.slow
def test_pre_commit_shows_check_tag_a_tag_pushed_with_its_commit(
    remote: Remote, pypiserver_index: LocalIndex
) -> None:
    """The tag brings a new commit: pre-commit runs check-tag with the tag in its environment."""
    remote.repo.write(".pre-commit-config.yaml", PRE_COMMIT_CONFIG.replace(
        'entry: "true"', f"entry: {RELEASE_GUARD} check-tag"))
    remote.repo.commit("check-tag through pre-commit")
    remote.repo.git("tag", "-f", "-a", "v1.0", "-m", "re-tag 1.0")
    install_pre_commit(remote.repo)
    proc = remote.push("v1.0")
    assert proc.returncode != 0, output(proc)
    assert rg202(pypiserver_index, "v1.0", "1.0") in output(proc).splitlines()
    assert remote.tags() == set()


# --- escape hatches and the index's view of "newest" ------------------------------------


def test_skip_environment_variable_skips_the_tag_guard(repo: GitRepo, cli: Cli,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    release(repo, "1.2", "v1.2")
    monkeypatch.setenv("SKIP", "version-bump,pypi-tag-guard")
    result = cli("check-tag", "v1.2", "--repository-url", closed_port_url(), cwd=repo.path)
    assert (result.code, lines(result)) == (0, ["release-guard: pypi-tag-guard skipped "
                                                "(SKIP=pypi-tag-guard)"])


def test_allow_offline_from_the_environment(repo: GitRepo, cli: Cli,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    release(repo, "1.2", "v1.2")
    url = closed_port_url()
    assert cli("check-tag", "v1.2", "--repository-url", url, cwd=repo.path).code == 2
    monkeypatch.setenv("RELEASE_GUARD_ALLOW_OFFLINE", "1")
    result = cli("check-tag", "v1.2", "--repository-url", url, cwd=repo.path)
    assert result.code == 0, result
    assert lines(result)[0].startswith("RG204 warning: could not reach ")


@pytest.mark.parametrize("value", ["0", "-1", "soon", "inf", "nan"])
def test_timeout_must_be_positive(repo: GitRepo, cli: Cli, value: str) -> None:
    release(repo, "1.2", "v1.2")
    result = cli("check-tag", "v1.2", "--timeout", value, cwd=repo.path)
    assert (result.code, result.out) == (2, "")
    assert result.err.count("\n") == 1
    assert result.err == (f"release-guard: error: check-tag: argument --timeout: {value!r} is not a positive "
                          "number of seconds (up to 3600) (hint: see `release-guard check-tag --help`)\n")


# --- which index, and which project --------------------------------------------------------


def test_twine_repository_environment_is_honoured(repo: GitRepo, cli: Cli, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """TWINE_REPOSITORY beats the file's default (pypi), as it does for twine itself."""
    release(repo, "1.2", "v1.2")
    port = free_port()
    pypirc = tmp_path / "pypirc"
    pypirc.write_text(f"[distutils]\nindex-servers =\n    local\n\n[local]\n"
                      f"repository = http://127.0.0.1:{port}/\n")
    monkeypatch.setenv("TWINE_REPOSITORY", "local")
    result = cli("check-tag", "v1.2", "--config-file", str(pypirc), cwd=repo.path)
    assert result.code == 2, result
    assert f"could not reach http://127.0.0.1:{port}/simple/demo-pkg/" in result.err
    monkeypatch.setenv("RELEASE_GUARD_REPOSITORY", f"http://127.0.0.1:{port + 1}/")
    result = cli("check-tag", "v1.2", "--config-file", str(pypirc), cwd=repo.path)
    assert f"could not reach http://127.0.0.1:{port + 1}/simple/demo-pkg/" in result.err


def test_setup_py_name_is_asked_of_the_index(repo: GitRepo, cli: Cli) -> None:
    repo.write("setup.py", 'from setuptools import setup\n\nsetup(name="demo_pkg", version="1.0")\n')
    repo.commit("setup.py only")
    repo.tag("v1.0")
    url = closed_port_url()
    result = cli("check-tag", "v1.0", "--repository-url", url, cwd=repo.path)
    assert result.code == 2, result  # the index was asked (and is down), not skipped
    assert "simple/demo-pkg/" in result.err


def test_a_project_without_a_readable_name_is_an_error(repo: GitRepo, cli: Cli) -> None:
    repo.write("pyproject.toml", '[build-system]\nrequires = ["setuptools"]\n'
               'build-backend = "setuptools.build_meta"\n')
    repo.write("setup.cfg", "[metadata]\nversion = 1.0\n")
    repo.commit("no name")
    repo.tag("v1.0")
    result = cli("check-tag", "v1.0", "--repository-url", closed_port_url(), cwd=repo.path)
    assert (result.code, result.out) == (2, "")
    assert "declares no name that release-guard can read" in result.err


FAULTS = ["always-500", "bad-gateway", "bad-request", "unauthorized", "forbidden", "hang", "hang-in-body",
          "reset", "truncated", "not-utf8", "redirect-loop", "redirect-no-location", "redirect-other-host",
          "redirect-userinfo", "garbage-json", "wrong-shape", "bad-file-entry", "api-v2", "text-plain",
          "echo-secret", "json-deep", "huge-declared", "cr-reason", "redirect-escape-location"]


@pytest.mark.parametrize("fault", FAULTS)
def test_a_misbehaving_index_is_exit_2_in_one_line(repo: GitRepo, cli: Cli, fault_server: FaultServers,
                                                   fault: str) -> None:
    """Through the whole command: one stderr line with a hint, exit 2, never the credential."""
    release(repo, "1.0", "v1.0", name=fault)
    with_secret = fault_server.url.replace("http://", f"http://{USERNAME}:{PASSWORD}@")
    result = cli("check-tag", "v1.0", "--repository-url", with_secret, "--index-url",
                 fault_server.simple_url, "--timeout", "0.3", cwd=repo.path)
    assert (result.code, result.out) == (2, ""), result
    assert result.err.count("\n") == 1, result.err
    assert "\r" not in result.err
    assert result.err.startswith("release-guard: error: ")
    assert "(hint: " in result.err
    assert PASSWORD not in result.err


# --- the version a tag names (B7, B8, C3) -------------------------------------------------------


def offline(cli: Cli, repo: GitRepo, *tags: str) -> Result:
    """check-tag with the index down and --allow-offline: every check but the index's."""
    return cli("check-tag", *tags, "--allow-offline", "--repository-url", closed_port_url(), cwd=repo.path)


def heads(result: Result) -> list[str]:
    """The finding lines, less the RG204 warning about the closed index."""
    return [line for line in lines(result) if not line.startswith(("  ", "RG204 ", "release-guard: "))]


def test_tag_with_a_non_canonical_version_warns(repo: GitRepo, cli: Cli) -> None:
    release(repo, "1.2", "vv1.2")
    result = offline(cli, repo, "vv1.2")
    assert (result.code, heads(result)) == (0, [
        "RG102 warning: tag vv1.2: version 'v1.2' is not in canonical form; the index will list it as '1.2'"])
    assert "  hint: name the tag v1.2" in lines(result)


SCM = ('[build-system]\nrequires = ["setuptools>=68", "setuptools-scm>=8"]\nbuild-backend = '
       '"setuptools.build_meta"\n\n[project]\nname = "demo-pkg"\ndynamic = ["version"]\n\n'
       '[tool.setuptools_scm]\n')


def test_vcs_derived_tag_is_the_version_and_is_checked_as_one(repo: GitRepo, cli: Cli) -> None:
    repo.write("pyproject.toml", SCM)
    repo.commit("scm")
    repo.tag("v7.1+local")
    repo.tag("v7.2-rc1")
    local = offline(cli, repo, "v7.1+local")
    assert (local.code, heads(local)) == (1, [
        "RG103 tag v7.1+local: version '7.1+local' has a local segment '+local', which the index refuses"])
    assert "  hint: tag the public version: v7.1" in lines(local)
    rc = offline(cli, repo, "v7.2-rc1")
    assert (rc.code, heads(rc)) == (0, [
        "RG102 warning: tag v7.2-rc1: version '7.2-rc1' is not in canonical form; the index will list it as "
        "'7.2rc1'"])


def test_tag_that_looks_like_a_release_but_does_not_parse_is_an_error(repo: GitRepo, cli: Cli) -> None:
    """A publish workflow on tags: ['v*'] fires for these; the index (a closed port) is not read."""
    release(repo, "1.2", "v9.9.9x")
    repo.tag("V1.2")
    repo.tag("1.2.x")
    for tag in ("latest", "nightly", "docs", "vendor-drop"):
        repo.tag(tag)
    url = ("--repository-url", closed_port_url())
    typo = cli("check-tag", "v9.9.9x", *url, cwd=repo.path)
    assert (typo.code, lines(typo)) == (1, [
        "RG101 tag v9.9.9x: version '9.9.9x' is not valid PEP 440",
        "  hint: name it with a PEP 440 version, e.g. v1.2.3",
    ])
    upper = cli("check-tag", "V1.2", *url, cwd=repo.path)
    assert (upper.code, lines(upper)) == (1, [
        "RG207 tag V1.2 looks like a release tag but does not match tag-format 'v{version}'",
        "  hint: name it v1.2, or set tag-format in [tool.release-guard] if releases are tagged this way",
    ])
    bare = cli("check-tag", "1.2.x", *url, cwd=repo.path)
    assert (bare.code, lines(bare)[0]) == (1, "RG101 tag 1.2.x: version '1.2.x' is not valid PEP 440")
    branch_like = cli("check-tag", "latest", "nightly", "docs", "vendor-drop", *url, cwd=repo.path)
    assert branch_like.code == 0, branch_like
    assert [line for line in lines(branch_like) if not line.startswith("  ")] == [
        *(f"RG200 info: tag {t} does not match tag-format 'v{{version}}': not checked"
          for t in ("latest", "nightly", "docs", "vendor-drop")),
        "RG206 info: no release tag to check",
        "release-guard: 4 tags: 0 blocked, 0 passed, 4 not checked",
    ]


@pytest.mark.slow
def test_bare_version_tag_is_checked_with_the_default_format(repo: GitRepo, cli: Cli,
                                                             pypiserver_index: LocalIndex) -> None:
    release(repo, "1.0", "1.0")
    result = cli("check-tag", "1.0", "--repository-url", pypiserver_index.upload_url, cwd=repo.path)
    assert (result.code, lines(result)[0]) == (1, rg202(pypiserver_index, "1.0", "1.0"))


def test_ignore_silences_tag_findings(repo: GitRepo, cli: Cli) -> None:
    release(repo, "1.2", "V1.2", ignore=["RG207", "RG200"])
    repo.tag("nightly")
    result = cli("check-tag", "V1.2", "nightly", "--repository-url", closed_port_url(), cwd=repo.path)
    assert (result.code, lines(result)) == (0, [
        "RG206 info: no release tag to check", "release-guard: 2 tags: 0 blocked, 0 passed, 2 not checked"])
    release(repo, "1.3", "vv1.3", ignore=["RG102", "RG204"])
    quiet = offline(cli, repo, "vv1.3")
    assert (quiet.code, lines(quiet)) == (
        0, ["release-guard: vv1.3 ok: matches the project version (the index was not read)"])


# --- many tags end with one summary line (C15) -------------------------------------------------


@pytest.mark.slow
def test_many_tags_end_with_a_summary(repo: GitRepo, cli: Cli, pypiserver_index: LocalIndex) -> None:
    release(repo, "1.0", "v1.0")
    release(repo, "1.1", "v1.1")
    release(repo, "1.2", "v1.2")
    repo.tag("nightly")
    url = ("--repository-url", pypiserver_index.upload_url)
    result = cli("check-tag", "v1.0", "v1.1", "v1.2", "nightly", *url, cwd=repo.path)
    assert (result.code, lines(result)) == (1, [
        "RG200 info: tag nightly does not match tag-format 'v{version}': not checked",
        "  hint: set tag-format in [tool.release-guard] if it is a release tag",
        rg202(pypiserver_index, "v1.0", "1.0"),
        f"  hint: bump to a free version: {FREE_AFTER_1_1}",
        rg202(pypiserver_index, "v1.1", "1.1"),
        f"  hint: bump to a free version: {FREE_AFTER_1_1}",
        "release-guard: 4 tags: 2 blocked, 1 passed, 1 not checked",
    ])
    passing = cli("check-tag", "v1.2", "nightly", *url, cwd=repo.path)
    assert (passing.code, lines(passing)[-2:]) == (0, [
        f"release-guard: v1.2 ok: not on {pypiserver_index.simple_url}",
        "release-guard: 2 tags: 0 blocked, 1 passed, 1 not checked"])
    json_out = cli("check-tag", "v1.0", "v1.2", "--format", "json", *url, cwd=repo.path)
    assert json.loads(json_out.out)["exit_code"] == 1  # the summary is text only


# --- monorepo `projects` entries (F3) -----------------------------------------------------------


@pytest.mark.parametrize(("projects", "message"), [
    (["pkg-typo", "pkg-b"], "projects entry 'pkg-typo' has no pyproject.toml, setup.cfg or setup.py in the "
                            "working tree"),
    (["../..", "pkg-b"], "projects entry '../..' is not a folder inside the root"),
    (["/etc", "pkg-b"], "projects entry '/etc' is not a folder inside the root"),
])
def test_monorepo_entry_without_a_project_is_exit_2(repo: GitRepo, cli: Cli,
                                                     pre_push: Callable[..., Result],
                                                     projects: list[str], message: str) -> None:
    repo.write("pyproject.toml", '[tool.release-guard]\ntag-format = "{name}-v{version}"\n'
                                 f"projects = {json.dumps(projects)}\n")
    repo.write("pkg-a/pyproject.toml", pyproject("demo-pkg", "1.2.0"))
    repo.write("pkg-b/pyproject.toml", pyproject("other", "0.1"))
    repo.commit("two projects")
    repo.tag("demo-pkg-v1.2.0")
    sha = repo.git("rev-parse", "HEAD")
    url = ("--repository-url", closed_port_url())
    stdin = f"refs/tags/demo-pkg-v1.2.0 {sha} refs/tags/demo-pkg-v1.2.0 {NULL}\n"
    for result in (cli("check-tag", "demo-pkg-v1.2.0", *url, cwd=repo.path), pre_push(repo, stdin, *url)):
        assert (result.code, result.out) == (2, "")
        assert result.err.startswith(f"release-guard: error: pyproject.toml [tool.release-guard]: {message} "
                                     "(hint: fix the path in projects" if "typo" in message else
                                     f"release-guard: error: pyproject.toml [tool.release-guard]: {message} "
                                     "(hint: list folders"), result.err


def test_monorepo_unreadable_project_at_the_tag_is_an_error(repo: GitRepo, cli: Cli) -> None:
    """Not "names another project": the project that cannot be read may be the tag's own."""
    repo.write("pyproject.toml", '[tool.release-guard]\ntag-format = "{name}-v{version}"\n'
                                 'projects = ["pkg-a", "pkg-b"]\n')
    repo.write("pkg-a/pyproject.toml", '[project\nname = "demo-pkg"\n')
    repo.write("pkg-b/pyproject.toml", pyproject("other", "0.1"))
    repo.commit("pkg-a is broken")
    repo.tag("demo-pkg-v1.2.0")
    sha = repo.git("rev-parse", "HEAD")
    result = cli("check-tag", "demo-pkg-v1.2.0", "--repository-url", closed_port_url(), cwd=repo.path)
    assert (result.code, result.out) == (2, "")
    assert result.err.startswith("release-guard: error: pkg-a/pyproject.toml at tag demo-pkg-v1.2.0 "
                                 f"(commit {sha[:7]}): invalid TOML"), result.err


# --- messages name what the user gave (C7, C10) -------------------------------------------------


def test_errors_name_the_tag_not_a_hash(repo: GitRepo, cli: Cli) -> None:
    release(repo, "1.0", "v1.0")
    old = repo.git("rev-parse", "HEAD")
    (repo.path / "pkg").mkdir()
    repo.git("mv", "pyproject.toml", "pkg/pyproject.toml")
    repo.commit("the project moves into pkg/")
    result = cli("check-tag", "v1.0", "-C", "pkg", "--repository-url", closed_port_url(), cwd=repo.path)
    assert (result.code, result.out) == (2, "")
    assert result.err == ("release-guard: error: no pyproject.toml, setup.cfg or setup.py in pkg/ at tag "
                          f"v1.0 (commit {old[:7]}) (hint: check that the project existed there, or pass its "
                          "directory with --project DIR)\n")
    repo.write("pkg/pyproject.toml", '[project\nname = "demo-pkg"\n')
    tagged = repo.commit("broken")
    repo.tag("v2.0")
    repo.write("pkg/pyproject.toml", pyproject("demo-pkg", "2.0"))  # fixed after the tag
    repo.commit("fixed")
    broken = cli("check-tag", "v2.0", "-C", "pkg", "--repository-url", closed_port_url(), cwd=repo.path)
    assert broken.err.startswith("release-guard: error: pkg/pyproject.toml at tag v2.0 "
                                 f"(commit {tagged[:7]}): invalid TOML: "), broken.err


def test_bad_tag_format_flag_is_blamed_on_the_flag(repo: GitRepo, cli: Cli) -> None:
    release(repo, "1.0", "1.0")
    result = cli("check-tag", "1.0", "--tag-format", "release", cwd=repo.path)
    assert (result.code, result.out) == (2, "")
    assert result.err == ("release-guard: error: --tag-format: tag-format 'release' needs exactly one "
                          "{version}, at most one {name}, and no other placeholder (hint: use e.g. "
                          "tag-format = \"v{version}\" or \"{name}-v{version}\")\n")
