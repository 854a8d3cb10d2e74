"""check-name end to end: real git repositories, real local indexes.

pypiserver (PEP 503 HTML) and devpi-server (PEP 691 JSON) both hold demo-pkg 1.0 and 1.1.
Neither sends an ETag for its root, so the list cache is tried on the scripted fault
server's `/etag/` root, which does. Every list of projects is cached under the test's own
XDG_CACHE_HOME.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import GitRepo, Result
from index_servers import PASSWORD, ROOT_ETAG, USERNAME, FaultServers, LocalIndex, free_port

Cli = Callable[..., Result]
STDLIB_ANSWER = "isn't allowed (conflict with Python Standard Library module name)"


@pytest.fixture(autouse=True)
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    return home


def project(repo: GitRepo, name: str, *tags: str) -> None:
    """A project named `name` (name on line 2), committed, with `tags`."""
    repo.write("pyproject.toml", f'[project]\nname = "{name}"\nversion = "1.0"\n')
    repo.commit(f"project {name}")
    for tag in tags:
        repo.tag(tag)


def check(cli: Cli, repo: GitRepo, url: str, *args: str) -> Result:
    return cli("check-name", "--repository-url", url, *args, cwd=repo.path)


def closed_port() -> str:
    return f"http://127.0.0.1:{free_port()}/"


def cached_lists(home: Path) -> list[Path]:
    folder = home / "release-guard"
    return sorted(folder.glob("*.json")) if folder.exists() else []


# --- the name on a real index ---------------------------------------------------------------


@pytest.mark.slow
def test_a_taken_name_without_release_tags(repo: GitRepo, cli: Cli, pypiserver_index: LocalIndex) -> None:
    project(repo, "demo-pkg")
    result = check(cli, repo, pypiserver_index.upload_url)
    assert (result.code, result.err) == (1, ""), result
    assert result.out.splitlines() == [
        f"pyproject.toml:2: RG603 project name 'demo-pkg' belongs to another project: "
        f"{pypiserver_index.simple_url} lists demo-pkg (1.0, 1.1), and this repository has no release tag "
        "(tag-format 'v{version}'): the upload will fail with 403 / 409",
        "  hint: if this is your project, tag its releases (git tag v1.1 <commit>); otherwise choose "
        "another name",
    ]


@pytest.mark.slow
def test_a_taken_name_whose_versions_no_tag_names(
    repo: GitRepo, cli: Cli, pypiserver_index: LocalIndex
) -> None:
    project(repo, "Demo_Pkg", "v2.0", "nightly")
    result = check(cli, repo, pypiserver_index.upload_url)
    assert result.code == 1, result
    assert "none of this repository's release tags (v2.0) names one of its versions: the upload will " \
           "fail with 403 / 409" in result.out
    assert "RG602" not in result.out


@pytest.mark.slow
@pytest.mark.parametrize("tag", ["v1.0", "v1.0.0"])
def test_a_release_tag_on_the_index_makes_the_name_ours(
    repo: GitRepo, cli: Cli, pypiserver_index: LocalIndex, tag: str
) -> None:
    project(repo, "demo-pkg", tag, "v3.0")
    result = check(cli, repo, pypiserver_index.upload_url)
    assert (result.code, result.err) == (0, ""), result
    assert result.out == (
        "release-guard: project name demo-pkg ok: valid (normalized demo-pkg, file names start demo_pkg-); "
        f"on {pypiserver_index.simple_url} with the versions of this repository's release tags ({tag})\n")


@pytest.mark.slow
def test_a_free_name(repo: GitRepo, cli: Cli, pypiserver_index: LocalIndex) -> None:
    project(repo, "Fresh.Name")
    result = check(cli, repo, pypiserver_index.upload_url)
    assert (result.code, result.err) == (0, ""), result
    assert result.out == (
        "release-guard: project name Fresh.Name ok: valid (normalized fresh-name, file names start "
        f"fresh_name-), no standard-library module, new on {pypiserver_index.simple_url}\n")


@pytest.mark.slow
@pytest.mark.parametrize(("name", "module"), [("asyncio", "asyncio"), ("os-path", "os.path")])
def test_a_standard_library_name(
    repo: GitRepo, cli: Cli, pypiserver_index: LocalIndex, name: str, module: str
) -> None:
    project(repo, name)
    result = check(cli, repo, pypiserver_index.upload_url)
    assert result.code == 1, result
    assert result.out.splitlines()[0] == (
        f"pyproject.toml:2: RG602 project name '{name}' is the standard-library module {module}: the index "
        f"answers \"400 The name '{name}' {STDLIB_ANSWER}\"")


@pytest.mark.slow
@pytest.mark.parametrize("name", ["dem0-pkg", "DemoPkg", "de.mo_PKG"])
def test_similar_names_on_pypiservers_html_root(
    repo: GitRepo, cli: Cli, pypiserver_index: LocalIndex, cache_home: Path, name: str
) -> None:
    project(repo, name)
    plain = check(cli, repo, pypiserver_index.upload_url)
    assert plain.code == 0, plain  # without --similar the list is not read
    result = check(cli, repo, pypiserver_index.upload_url, "--similar")
    assert result.code == 1, result
    assert result.out.splitlines()[0] == (
        f"pyproject.toml:2: RG604 project name '{name}' is too similar to demo-pkg on "
        f"{pypiserver_index.simple_url} (each reads 'dem0pkg' once '.', '_' and '-' are dropped, l and i "
        f"read as 1 and o as 0): the index answers \"400 The name '{name}' is too similar to an existing "
        "project\"")
    assert cached_lists(cache_home) == []  # pypiserver sends no ETag: nothing worth keeping


@pytest.mark.slow
def test_similar_names_on_devpis_json_root(repo: GitRepo, cli: Cli, devpi_index: LocalIndex) -> None:
    project(repo, "demopkg")
    result = check(cli, repo, devpi_index.upload_url, "--similar")
    assert result.code == 1, result
    assert f"RG604 project name 'demopkg' is too similar to demo-pkg on {devpi_index.simple_url} " \
        in result.out
    project(repo, "unlike-any")
    result = check(cli, repo, devpi_index.upload_url, "--similar")
    assert (result.code, result.err) == (0, ""), result
    assert result.out.endswith(f"new on {devpi_index.simple_url}, not too similar to any of its 1 projects\n")


@pytest.mark.slow
def test_a_taken_name_on_devpi(repo: GitRepo, cli: Cli, devpi_index: LocalIndex) -> None:
    project(repo, "demo.pkg")
    result = check(cli, repo, devpi_index.upload_url, "--similar")
    assert result.code == 1, result
    assert [line[:30] for line in result.out.splitlines()] == ["pyproject.toml:2: RG603 projec",
                                                               "  hint: if this is your projec"]


# --- the list of projects, cached with its ETag ---------------------------------------------


def root_requests(server: FaultServers, since: int) -> list[dict[str, str]]:
    return [r.headers for r in server.main.records[since:] if r.path == "/etag/simple/"]


def test_the_list_is_cached_and_revalidated_with_its_etag(
    repo: GitRepo, cli: Cli, fault_server: FaultServers, cache_home: Path
) -> None:
    project(repo, "1egacy_PKG")  # reads as legacy-pkg does: '1egacypkg'
    url = fault_server.url + "etag/"
    before = len(fault_server.main.records)
    first = check(cli, repo, url, "--similar")
    assert first.code == 1, first
    assert "RG604 project name '1egacy_PKG' is too similar to legacy-pkg on " in first.out
    [cache] = cached_lists(cache_home)
    document = json.loads(cache.read_text())
    assert (document["etag"], document["index"]) == (ROOT_ETAG, fault_server.url + "etag/simple/")
    assert "legacy-pkg" in document["projects"]
    assert [h.get("if-none-match") for h in root_requests(fault_server, before)] == [None, None]

    before = len(fault_server.main.records)
    second = check(cli, repo, url, "--similar")
    assert (second.code, second.out) == (first.code, first.out)
    # the 404's look at the root (its beginning, to judge it), then the list: 304 Not Modified
    assert [h.get("if-none-match") for h in root_requests(fault_server, before)] == [None, ROOT_ETAG]


@pytest.mark.parametrize("garbage", [b"", b"{not json", b'{"format": 1, "index": "x", "etag": "\\"a\\"", '
                                     b'"projects": []}', b"\xff\xfe", b'{"format": 1, "projects": [1]}'])
def test_a_corrupt_cache_is_ignored_and_replaced(
    repo: GitRepo, cli: Cli, fault_server: FaultServers, cache_home: Path, garbage: bytes
) -> None:
    project(repo, "1egacy-pkg")
    url = fault_server.url + "etag/"
    assert check(cli, repo, url, "--similar").code == 1
    [cache] = cached_lists(cache_home)
    cache.write_bytes(garbage)
    before = len(fault_server.main.records)
    result = check(cli, repo, url, "--similar")
    assert result.code == 1, result
    assert "too similar to legacy-pkg" in result.out
    assert [h.get("if-none-match") for h in root_requests(fault_server, before)] == [None, None]
    assert json.loads(cache.read_text())["etag"] == ROOT_ETAG


def test_a_cache_of_another_list_is_not_used_after_a_change(
    repo: GitRepo, cli: Cli, fault_server: FaultServers, cache_home: Path
) -> None:
    """A cached list whose ETag the index no longer sends is read again whole."""
    project(repo, "1egacy-pkg")
    url = fault_server.url + "etag/"
    assert check(cli, repo, url, "--similar").code == 1
    [cache] = cached_lists(cache_home)
    document = json.loads(cache.read_text())
    cache.write_text(json.dumps({**document, "etag": '"old"', "projects": ["other"]}))
    result = check(cli, repo, url, "--similar")
    assert "too similar to legacy-pkg" in result.out
    assert json.loads(cache.read_text())["etag"] == ROOT_ETAG


def test_credentials_never_reach_the_cache(
    repo: GitRepo, cli: Cli, fault_server: FaultServers, cache_home: Path
) -> None:
    project(repo, "unlike-any")
    url = fault_server.url.replace("http://", f"http://{USERNAME}:{PASSWORD}@") + "etag/"
    result = check(cli, repo, url, "--similar")
    assert result.code == 0, result
    [cache] = cached_lists(cache_home)
    assert PASSWORD not in cache.read_text()  # and the leak guard looks at every file too


def test_an_unwritable_cache_is_said_and_the_check_goes_on(
    repo: GitRepo, cli: Cli, fault_server: FaultServers, cache_home: Path
) -> None:
    cache_home.mkdir()
    (cache_home / "release-guard").write_text("a file where the folder would be")
    project(repo, "1egacy-pkg")
    result = check(cli, repo, fault_server.url + "etag/", "--similar")
    assert result.code == 1, result
    assert "too similar to legacy-pkg" in result.out
    assert result.err.startswith("release-guard: the list of projects was not cached: ")


# --- offline, and what cannot be read -------------------------------------------------------


def test_offline_reads_nothing_and_says_what_it_skipped(repo: GitRepo, cli: Cli) -> None:
    project(repo, "demo-pkg")
    result = check(cli, repo, closed_port(), "--offline", "--similar")
    assert (result.code, result.err) == (0, ""), result
    assert result.out.splitlines() == [
        "RG605 info: --offline: the index was not read; not checked: RG603 (the name belongs to another "
        "project) and RG604 (too similar, --similar)",
        "  hint: run check-name without --offline before the first upload",
        "release-guard: project name demo-pkg ok: valid (normalized demo-pkg, file names start demo_pkg-), "
        "no standard-library module; the index was not read (--offline)",
    ]


def test_offline_still_refuses_a_standard_library_name(repo: GitRepo, cli: Cli) -> None:
    project(repo, "xml_etree")
    result = check(cli, repo, closed_port(), "--offline", "--format", "json")
    assert result.code == 1, result
    document = json.loads(result.out)
    assert [f["code"] for f in document["findings"]] == ["RG602", "RG605"]
    message = document["findings"][0]["message"]
    assert "(normalized xml-etree) is the standard-library module xml.etree" in message


def test_an_invalid_name_is_refused_before_the_index_is_read(repo: GitRepo, cli: Cli) -> None:
    project(repo, "-demo-")
    result = check(cli, repo, closed_port())
    assert (result.code, result.err) == (1, ""), result
    assert result.out.splitlines() == [
        "pyproject.toml:2: RG601 project name '-demo-' is not a valid name: the index answers \"400 The "
        "name '-demo-' is invalid\"",
        "  hint: use ASCII letters, digits, '.', '_' and '-', starting and ending with a letter or digit "
        "(PEP 508): 'demo'",
    ]


def test_an_unreachable_index_is_exit_2_with_the_offline_hint(repo: GitRepo, cli: Cli) -> None:
    project(repo, "demo-pkg")
    url = closed_port()
    result = check(cli, repo, url)
    assert (result.code, result.out) == (2, ""), result
    assert result.err == (f"release-guard: error: could not reach {url}simple/demo-pkg/: connection refused "
                          "(hint: check the network or the index URL (--repository-url / index-url); "
                          "--offline runs only the checks that need no index)\n")


def test_a_list_that_is_no_simple_index_is_exit_2(
    repo: GitRepo, cli: Cli, fault_server: FaultServers
) -> None:
    """The project's page answers 404, the root a login page: nothing is judged free."""
    project(repo, "unlike-any")
    result = check(cli, repo, fault_server.url + "root-login/", "--similar")
    assert (result.code, result.out) == (2, ""), result
    assert "is not a Simple index" in result.err


def test_outside_git_a_taken_name_says_why_no_tag_was_seen(
    tmp_path: Path, cli: Cli, fault_server: FaultServers
) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / "setup.cfg").write_text("[metadata]\nname = pep700\nversion = 1.0\n")
    result = cli("check-name", "--repository-url", fault_server.url, cwd=folder)
    assert result.code == 1, result
    assert result.out.startswith("setup.cfg:2: RG603 project name 'pep700' belongs to another project: ")
    assert "the project is not in a git repository, whose tags would tell" in result.out


def test_a_monorepo_root_names_one_project(repo: GitRepo, cli: Cli) -> None:
    repo.write("pyproject.toml", '[tool.release-guard]\nprojects = ["pkgs/a"]\n')
    repo.write("pkgs/a/pyproject.toml", '[project]\nname = "a-pkg"\nversion = "1.0"\n')
    result = cli("check-name", "--offline", cwd=repo.path)
    assert result.code == 2
    assert "lists projects: check-name checks one project at a time" in result.err
    inner = cli("check-name", "--offline", "-C", "pkgs/a", cwd=repo.path)
    assert inner.code == 0, inner
    assert inner.out.startswith("RG605 info: ")


def test_a_name_only_code_computes_is_exit_2(repo: GitRepo, cli: Cli) -> None:
    repo.write("setup.py", "from setuptools import setup\nsetup(name=NAME)\n")
    result = cli("check-name", "--offline", cwd=repo.path)
    assert result.code == 2
    assert "declares no name that release-guard can read as text" in result.err
