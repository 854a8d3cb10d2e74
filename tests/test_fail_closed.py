"""Fail closed: every index fault and wrong URL that must block a push, blocks it.

Each case pushes a tag through `release-guard pre-push` (what the native hook runs, refs
on stdin) with `RELEASE_GUARD_ALLOW_OFFLINE=1` set, the worst case: someone left it in a
shell profile or a CI environment. Only an index that cannot be reached at all may then
let the push through (with warning RG204); an index that answers something wrong, or a
URL that is not a Simple index, blocks it all the same. The same cases without the
variable must be exit 2 in one line.
"""

from __future__ import annotations

import io
import sys
from typing import Any

import pytest

from conftest import GitRepo
from index_servers import FaultServers, LocalIndex, free_port

# Faults of a server that answers: none of them is "unreachable".
ANSWERED_WRONG = ["bad-request", "unauthorized", "forbidden", "not-utf8", "redirect-loop",
                  "redirect-no-location", "redirect-other-host", "redirect-other-port", "garbage-json",
                  "wrong-shape", "bad-file-entry", "api-v2", "text-plain", "json-deep", "huge-declared",
                  "oversized", "oversized-stream", "redirect-escape-location", "too-broken"]
# Pages that are not a Simple index at all, served at /<mode>/simple/.
NOT_AN_INDEX = ["login", "portal", "nginx", "empty-200", "root-login", "root-portal", "root-empty",
                "root-deep-json", "root-text", "root-forbidden"]
# The index cannot be reached: --allow-offline may forgive these, nothing else.
UNREACHABLE = ["always-500", "bad-gateway", "reset", "hang"]


def project(repo: GitRepo, name: str) -> None:
    repo.write("pyproject.toml", f'[project]\nname = "{name}"\nversion = "1.0"\n')
    repo.commit("release 1.0")
    repo.tag("v1.0", annotated=True)


def push(repo: GitRepo, cli: Any, monkeypatch: pytest.MonkeyPatch, index_url: str,
         allow_offline: bool) -> Any:
    """`git push origin v1.0` as the native hook sees it."""
    sha = repo.git("rev-parse", "v1.0")
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"refs/tags/v1.0 {sha} refs/tags/v1.0 {'0' * 40}\n"))
    monkeypatch.setenv("RELEASE_GUARD_INDEX_URL", index_url)
    monkeypatch.setenv("RELEASE_GUARD_TIMEOUT", "2")
    if allow_offline:
        monkeypatch.setenv("RELEASE_GUARD_ALLOW_OFFLINE", "1")
    return cli("pre-push", "origin", "unused-url", cwd=repo.path)


def blocked_in_one_line(result: Any) -> None:
    assert result.code == 2, result
    assert result.out == ""
    assert result.err.count("\n") == 1, result.err
    assert result.err.startswith("release-guard: error: ")
    assert "(hint: " in result.err
    assert "internal error" not in result.err


@pytest.mark.slow
@pytest.mark.parametrize("allow_offline", [False, True], ids=["strict", "allow-offline"])
@pytest.mark.parametrize("fault", ANSWERED_WRONG)
def test_a_wrong_answer_blocks(repo: GitRepo, cli: Any, monkeypatch: pytest.MonkeyPatch,
                               fault_server: FaultServers, fault: str, allow_offline: bool) -> None:
    project(repo, fault)
    blocked_in_one_line(push(repo, cli, monkeypatch, fault_server.simple_url, allow_offline))


@pytest.mark.slow
@pytest.mark.parametrize("allow_offline", [False, True], ids=["strict", "allow-offline"])
@pytest.mark.parametrize("mode", NOT_AN_INDEX)
def test_a_page_that_is_not_an_index_blocks(repo: GitRepo, cli: Any, monkeypatch: pytest.MonkeyPatch,
                                            fault_server: FaultServers, mode: str,
                                            allow_offline: bool) -> None:
    project(repo, "demo-pkg")
    blocked_in_one_line(push(repo, cli, monkeypatch, f"{fault_server.url}{mode}/simple/", allow_offline))


@pytest.mark.slow
@pytest.mark.parametrize("allow_offline", [False, True], ids=["strict", "allow-offline"])
@pytest.mark.parametrize("path", ["simpel/", "simple/demo-pkg/", "packages/"])
def test_a_wrong_url_of_a_real_index_blocks(repo: GitRepo, cli: Any, monkeypatch: pytest.MonkeyPatch,
                                            pypiserver_index: LocalIndex, path: str,
                                            allow_offline: bool) -> None:
    """demo-pkg 1.0 is on this pypiserver: a URL that misses its Simple root must not say otherwise."""
    project(repo, "demo-pkg")
    blocked_in_one_line(push(repo, cli, monkeypatch, pypiserver_index.url + path, allow_offline))


@pytest.mark.slow
@pytest.mark.parametrize(("index", "root"), [("pypiserver_index", False), ("pypiserver_index", True),
                                             ("devpi_index", False)],
                         ids=["pypiserver-simple", "pypiserver-root", "devpi"])
def test_the_right_url_blocks_a_released_version(repo: GitRepo, cli: Any, monkeypatch: pytest.MonkeyPatch,
                                                 request: pytest.FixtureRequest, index: str,
                                                 root: bool) -> None:
    """The control: the same push against a real index (pypiserver serves its Simple pages at
    its root too) is RG202, allow-offline or not."""
    served: LocalIndex = request.getfixturevalue(index)
    project(repo, "demo-pkg")
    result = push(repo, cli, monkeypatch, served.url if root else served.simple_url, allow_offline=True)
    assert result.code == 1, result
    assert "RG202" in result.out


@pytest.mark.slow
@pytest.mark.parametrize("fault", UNREACHABLE)
def test_only_an_unreachable_index_is_forgiven(repo: GitRepo, cli: Any, monkeypatch: pytest.MonkeyPatch,
                                               fault_server: FaultServers, fault: str) -> None:
    project(repo, fault)
    blocked_in_one_line(push(repo, cli, monkeypatch, fault_server.simple_url, allow_offline=False))
    forgiven = push(repo, cli, monkeypatch, fault_server.simple_url, allow_offline=True)
    assert forgiven.code == 0, forgiven
    assert "RG204 warning: " in forgiven.out


def test_a_closed_port_is_forgiven_only_when_asked(repo: GitRepo, cli: Any,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    project(repo, "demo-pkg")
    closed = f"http://127.0.0.1:{free_port()}/simple/"
    blocked_in_one_line(push(repo, cli, monkeypatch, closed, allow_offline=False))
    forgiven = push(repo, cli, monkeypatch, closed, allow_offline=True)
    assert forgiven.code == 0, forgiven
    assert "RG204 warning: " in forgiven.out


def test_one_unreachable_project_does_not_excuse_the_others(
    repo: GitRepo, cli: Any, monkeypatch: pytest.MonkeyPatch, fault_server: FaultServers
) -> None:
    """A monorepo pushes two tags; one project's page is down (HTTP 500), the other's answers
    that the version is released. --allow-offline forgives the page that could not be read,
    not the one that was: the released version still blocks."""
    repo.write("pyproject.toml", '[tool.release-guard]\ntag-format = "{name}-v{version}"\n'
               'projects = ["a", "b"]\n')
    repo.write("a/pyproject.toml", '[project]\nname = "pep700"\nversion = "1.0"\n')
    repo.write("b/pyproject.toml", '[project]\nname = "always-500"\nversion = "1.0"\n')
    repo.commit("release both")
    sha = repo.git("rev-parse", "HEAD")
    tags = ("pep700-v1.0", "always-500-v1.0")
    for tag in tags:
        repo.tag(tag)
    lines = "".join(f"refs/tags/{t} {sha} refs/tags/{t} {'0' * 40}\n" for t in tags)
    monkeypatch.setattr(sys, "stdin", io.StringIO(lines))
    monkeypatch.setenv("RELEASE_GUARD_INDEX_URL", fault_server.simple_url)
    monkeypatch.setenv("RELEASE_GUARD_TIMEOUT", "3")
    monkeypatch.setenv("RELEASE_GUARD_ALLOW_OFFLINE", "1")
    result = cli("pre-push", "origin", "unused-url", cwd=repo.path)
    assert result.code == 1, result
    assert "RG202 tag pep700-v1.0" in result.out
    assert "RG204 warning: could not reach http://127.0.0.1:" in result.out
    assert "/simple/always-500/" in result.out
    assert "2 tags: 1 blocked, 1 passed" in result.out
