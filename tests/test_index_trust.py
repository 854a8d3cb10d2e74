"""Trust in the index reader: credentials go only where the user sent them, nothing secret
is printed, and no URL or server text breaks the one-line error.

Real pypiserver and devpi-server where they show the behaviour; the scripted fault server
for what no real server does on purpose.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from packaging.version import Version

from conftest import GitRepo, Result
from index_servers import PASSWORD, USERNAME, FaultServers, LocalIndex
from release_guard.errors import IndexError_, RepositoryError
from release_guard.index import (
    Repository,
    Timeouts,
    fetch_project,
    resolve_repository,
)

Cli = Callable[..., Result]
FAST = Timeouts(connect=0.5, read=0.5)
TOKEN = "pypi-FAKEtokenFAKEtokenFAKEtoken0123456789"
ENV_USER = "env-user"


def project(repo: GitRepo, name: str = "demo-pkg", version: str = "1.0", **config: str) -> None:
    """Commit the project at `version`, tagged v`version`, with [tool.release-guard] keys."""
    text = f'[project]\nname = "{name}"\nversion = "{version}"\n'
    if config:
        text += "\n[tool.release-guard]\n" + "".join(f'{k} = "{v}"\n' for k, v in config.items())
    repo.write("pyproject.toml", text)
    repo.commit(f"release {version}")
    repo.tag(f"v{version}")


def one_error_line(result: Result) -> str:
    """The single stderr line of an exit-2 run; it names no secret."""
    assert (result.code, result.out) == (2, ""), result
    assert result.err.count("\n") == 1, result.err
    assert "\r" not in result.err
    for secret in (PASSWORD, TOKEN, "s3cretZZ"):
        assert secret not in result.err
    assert result.err.startswith("release-guard: error: ")
    return result.err.rstrip("\n")


def authorizations(servers: FaultServers, project: str, before: int = 0) -> list[str | None]:
    return [r.headers.get("authorization") for r in servers.main.requests_for(project)[before:]]


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


@pytest.fixture
def twine_credentials(monkeypatch: pytest.MonkeyPatch) -> str:
    """TWINE_USERNAME / TWINE_PASSWORD set, and a ~/.netrc for 127.0.0.1; the header they make."""
    monkeypatch.setenv("TWINE_USERNAME", ENV_USER)
    monkeypatch.setenv("TWINE_PASSWORD", TOKEN)
    netrc = Path.home() / ".netrc"
    netrc.write_text(f"machine 127.0.0.1\n  login netrc-user\n  password {PASSWORD}\n")
    netrc.chmod(0o600)
    return basic(ENV_USER, TOKEN)


# --- 1. credentials go only where the user sent them ------------------------------------


def test_a_repository_url_from_pyproject_gets_no_credentials(
    repo: GitRepo, cli: Cli, fault_server: FaultServers, twine_credentials: str
) -> None:
    """S3: the project cannot send the user's token to a host of its choosing."""
    ok = fault_server.url + "ok/"
    project(repo, name="s3-project-url", repository=ok)
    before = len(fault_server.main.requests_for("s3-project-url"))
    result = cli("check-tag", "v1.0", cwd=repo.path)
    assert result.code == 0, result
    assert authorizations(fault_server, "s3-project-url", before) == [None]
    # The same URL chosen by the user, as a flag or in the environment, does get them.
    flag = cli("check-tag", "v1.0", "--repository-url", ok, cwd=repo.path)
    assert flag.code == 0, flag
    assert authorizations(fault_server, "s3-project-url", before)[-1] == twine_credentials


def test_an_index_url_from_pyproject_gets_no_credentials(
    repo: GitRepo, cli: Cli, fault_server: FaultServers, twine_credentials: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ok = fault_server.url + "ok/"
    project(repo, name="s3-index-url", **{"index-url": ok + "simple/"})
    before = len(fault_server.main.requests_for("s3-index-url"))
    assert cli("check-tag", "v1.0", "--repository-url", ok, cwd=repo.path).code == 0
    monkeypatch.setenv("RELEASE_GUARD_INDEX_URL", ok + "simple/")
    assert cli("check-tag", "v1.0", "--repository-url", ok, cwd=repo.path).code == 0
    assert authorizations(fault_server, "s3-index-url", before) == [None, twine_credentials]


def test_a_pypirc_section_named_by_the_project_is_the_users_choice(
    repo: GitRepo, cli: Cli, fault_server: FaultServers, tmp_path: Path
) -> None:
    """`repository = "private"` names a section of the user's .pypirc, whose URL the user wrote."""
    pypirc = tmp_path / "pypirc"
    pypirc.write_text(f"[distutils]\nindex-servers = private\n[private]\nrepository = {fault_server.url}ok/\n"
                      f"username = {USERNAME}\npassword = {PASSWORD}\n")
    project(repo, name="s3-section", repository="private")
    result = cli("check-tag", "v1.0", "--config-file", str(pypirc), cwd=repo.path)
    assert result.code == 0, result
    assert authorizations(fault_server, "s3-section")[-1] == basic(USERNAME, PASSWORD)


@pytest.mark.slow
def test_a_project_url_refused_for_lack_of_credentials_says_why(
    repo: GitRepo, cli: Cli, pypiserver_private: LocalIndex, twine_credentials: str
) -> None:
    project(repo, repository=pypiserver_private.url)
    line = one_error_line(cli("check-tag", "v1.0", cwd=repo.path))
    assert "answered HTTP 401" in line
    assert "pyproject.toml names: give it as --repository-url or RELEASE_GUARD_REPOSITORY" in line


def test_resolution_keeps_credentials_from_a_projects_targets(tmp_path: Path) -> None:
    env = {"NETRC": str(tmp_path / "netrc"), "TWINE_USERNAME": ENV_USER, "TWINE_PASSWORD": TOKEN}
    (tmp_path / "netrc").write_text(f"machine 127.0.0.1 login n password {PASSWORD}\n")
    url = f"http://{USERNAME}:{PASSWORD}@127.0.0.1:1/"
    from_project = resolve_repository(url, environ=env, repository_from_project=True)
    assert (from_project.username, from_project.password) == (None, None)
    assert from_project.read_credentials() is None
    assert from_project.upload_url == "http://127.0.0.1:1/"
    chosen = resolve_repository(url, environ=env)
    assert chosen.read_credentials() == (ENV_USER, TOKEN)
    index = resolve_repository(repository_url="http://127.0.0.1:1/", index_url="http://127.0.0.1:1/simple/",
                               environ=env, index_url_from_project=True)
    assert index.read_credentials() is None
    assert index.username == ENV_USER  # still the upload's: only reads of that index go without
    assert "--index-url or RELEASE_GUARD_INDEX_URL" in index.credentials_note


def test_the_public_index_is_read_without_credentials(tmp_path: Path) -> None:
    """Twine's default targets: TWINE_* are for the upload host, netrc is not consulted."""
    for name in ("pypi", "testpypi"):
        public = resolve_repository(name, environ={}).index_url
        netrc = tmp_path / "netrc"
        netrc.write_text(f"machine {urlsplit(public).hostname} login n password {PASSWORD}\n")
        repo = resolve_repository(name, environ={"NETRC": str(netrc), "TWINE_PASSWORD": TOKEN})
        assert repo.index_url == public
        assert repo.password == TOKEN  # kept for the upload host
        assert repo.read_credentials() is None
        assert resolve_repository(name, environ={"NETRC": str(netrc)}).read_credentials() is None
        explicit = resolve_repository(repository_url=repo.upload_url, environ={"NETRC": str(netrc),
                                                                             "TWINE_PASSWORD": TOKEN})
        assert (explicit.username, explicit.password) == ("__token__", TOKEN)
        assert explicit.read_credentials() is None


def test_credentials_never_travel_in_clear_text_beyond_loopback(
    fault_server: FaultServers, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Refused before any request: the proxy that would carry it sees nothing."""
    monkeypatch.setenv("http_proxy", fault_server.url)
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    before = len(fault_server.main.records)
    env = {"NETRC": str(tmp_path / "absent"), "TWINE_USERNAME": ENV_USER, "TWINE_PASSWORD": TOKEN}
    repo = resolve_repository(repository_url="http://index.example.invalid/", environ=env)
    with pytest.raises(RepositoryError) as info:
        fetch_project(repo, "pep700", timeouts=FAST)
    assert str(info.value) == ("credentials (TWINE_USERNAME/TWINE_PASSWORD) would be sent in clear text to "
                               "http://index.example.invalid/simple/: plain http is used with credentials "
                               "only on loopback")
    assert "https://" in info.value.hint
    assert TOKEN not in repr(info.value)
    assert len(fault_server.main.records) == before
    anonymous = resolve_repository(repository_url="http://index.example.invalid/", environ={})
    assert fetch_project(anonymous, "pep700", timeouts=FAST).exists  # no credentials: no objection
    for loopback in ("localhost", "127.0.0.2", "[::1]"):
        local = resolve_repository(repository_url=f"http://{loopback}:1/", environ=env)
        assert local.read_credentials() == (ENV_USER, TOKEN)


def test_clear_text_credentials_through_the_command(repo: GitRepo, cli: Cli, twine_credentials: str) -> None:
    project(repo)
    line = one_error_line(cli("check-tag", "v1.0", "--repository-url", "http://index.example.invalid/",
                              cwd=repo.path))
    assert "would be sent in clear text to http://index.example.invalid/simple/" in line
    assert "(hint: use the index's https:// URL" in line


# --- 2. masks everywhere -----------------------------------------------------------------


@pytest.mark.parametrize("how", ["flag", "TWINE_REPOSITORY", "RELEASE_GUARD_REPOSITORY"])
def test_a_secret_in_a_repository_name_is_never_printed(
    repo: GitRepo, cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, how: str
) -> None:
    """S5: a URL without its scheme is taken for a .pypirc name; the error shows it masked."""
    project(repo)
    name = "__token__:s3cretZZ@upload.example.invalid/legacy/"
    args = ["check-tag", "v1.0", "--config-file", str(tmp_path / "pypirc")]
    (tmp_path / "pypirc").write_text("[distutils]\nindex-servers = pypi\n")
    if how == "flag":
        args += ["-r", name]
    else:
        monkeypatch.setenv(how, name)
    line = one_error_line(cli(*args, cwd=repo.path))
    assert "repository 'upload.example.invalid/legacy/' is not defined in " in line
    assert "add [upload.example.invalid/legacy/] to [distutils]" in line
    assert "__token__" not in line


@pytest.mark.slow
def test_percent_encoded_credentials_are_decoded(pypiserver_private: LocalIndex, tmp_path: Path) -> None:
    """As twine and requests read them: `%2D` is `-`, `%40` is `@`."""
    encoded = PASSWORD.replace("-", "%2D")
    url = pypiserver_private.url.replace("://", f"://{USERNAME}:{encoded}@")
    repo = resolve_repository(repository_url=url, environ={"NETRC": str(tmp_path / "absent")})
    assert repo.password == PASSWORD
    assert fetch_project(repo, "demo-pkg").versions == (Version("1.0"), Version("1.1"))
    at = resolve_repository(repository_url="http://u%40corp:p%40ss@127.0.0.1:1/", environ={})
    assert (at.username, at.password) == ("u@corp", "p@ss")


# --- 7. one line: no CR or LF from a URL or a server ------------------------------------------


@pytest.mark.parametrize("how", ["--index-url", "--repository-url", "RELEASE_GUARD_INDEX_URL",
                                 "TWINE_REPOSITORY_URL", "RELEASE_GUARD_REPOSITORY"])
def test_a_line_break_in_a_url_is_refused_up_front(repo: GitRepo, cli: Cli, fault_server: FaultServers,
                                                   monkeypatch: pytest.MonkeyPatch, how: str) -> None:
    project(repo)
    url = f"{fault_server.url}simple\r\nX-Injected: 1"
    before = len(fault_server.main.records)
    args = ["check-tag", "v1.0"]
    if how.startswith("--"):
        args += [how, url]
    else:
        monkeypatch.setenv(how, url)
    line = one_error_line(cli(*args, cwd=repo.path))
    assert "contains a line break or control character: " in line
    assert f"{fault_server.url}simple\\r\\nX-Injected: 1" in line
    assert len(fault_server.main.records) == before


def test_server_text_in_an_error_is_one_line(fault_server: FaultServers) -> None:
    repo = Repository(None, fault_server.url, fault_server.simple_url, None, None)
    with pytest.raises(IndexError_, match=r"answered HTTP 418 bad X-Injected: 1$") as info:
        fetch_project(repo, "cr-reason", timeouts=FAST)
    assert "\r" not in str(info.value)


