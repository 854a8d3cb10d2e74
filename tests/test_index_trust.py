"""Trust in the index reader: credentials go only where the user sent them, nothing secret
is printed, a 404 counts only from a real Simple index, every read ends by one deadline,
--allow-offline forgives only an unreachable index, and no URL or server text breaks the
one-line error.

Real pypiserver and devpi-server where they show the behaviour; the scripted fault server
for what no real server does on purpose.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

from conftest import GitRepo, Result
from index_servers import PASSWORD, USERNAME, FaultServers, LocalIndex, free_port
from release_guard.errors import IndexError_, RepositoryError
from release_guard.index import (
    Deadline,
    ProjectPage,
    Repository,
    Timeouts,
    fetch_project,
    fetch_projects,
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
    root = [r for r in fault_server.main.records if r.path == "/ok/simple/"]
    assert root
    assert all("authorization" not in r.headers for r in root)
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


# --- 3. a 404 counts only from a Simple index ------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["pypiserver_empty", "devpi_empty"])
def test_an_empty_real_index_still_confirms_a_404(request: pytest.FixtureRequest, kind: str) -> None:
    """The first release: nothing on the index yet, and its root still answers as one."""
    index: LocalIndex = request.getfixturevalue(kind)
    repo = Repository(None, index.upload_url, index.simple_url, None, None)
    page = fetch_project(repo, "demo-pkg")
    assert page == ProjectPage(canonicalize_name("demo-pkg"), False, (), (), "")


@pytest.fixture(params=["pypiserver_index", "devpi_index"])
def real_index(request: pytest.FixtureRequest) -> LocalIndex:
    index: LocalIndex = request.getfixturevalue(request.param)
    return index


@pytest.mark.slow
def test_a_mistyped_index_url_is_an_error(real_index: LocalIndex) -> None:
    """F2: /simpel/ (pypiserver) or +simpel/ (devpi) answers 404 for every project."""
    typo = real_index.simple_url.replace("simple/", "simpel/")
    repo = Repository(None, real_index.upload_url, typo, None, None)
    with pytest.raises(IndexError_) as info:
        fetch_project(repo, "demo-pkg")
    assert str(info.value).startswith(f"cannot tell whether demo-pkg is on {typo}: its page answered 404, "
                                      f"and {typo} itself answered HTTP 404")
    assert "check the index URL for a typo" in info.value.hint
    assert not info.value.unreachable


@pytest.mark.slow
def test_a_pasted_project_url_is_an_error(real_index: LocalIndex) -> None:
    """B2: the project's own page where the index root belongs."""
    pasted = real_index.simple_url + "demo-pkg/"
    repo = Repository(None, real_index.upload_url, pasted, None, None)
    with pytest.raises(IndexError_) as info:
        fetch_project(repo, "demo-pkg")
    assert str(info.value) == (f"cannot tell whether demo-pkg is on {pasted}: its page answered 404, and "
                               f"{pasted} itself is a project's page, not the index root")
    assert info.value.hint.startswith(f"use the index root instead, e.g. {real_index.simple_url} ")


@pytest.mark.slow
def test_a_mistyped_index_url_fails_the_command(
    repo: GitRepo, cli: Cli, pypiserver_index: LocalIndex
) -> None:
    """F2 end to end: 1.0 is on the index, and a typo must not let the tag through."""
    project(repo)
    typo = pypiserver_index.simple_url.replace("simple/", "simpel/")
    line = one_error_line(cli("check-tag", "v1.0", "--index-url", typo, "--allow-offline", cwd=repo.path))
    assert f"cannot tell whether demo-pkg is on {typo}" in line


def test_the_root_is_asked_once_and_only_after_a_404(fault_server: FaultServers) -> None:
    repo = Repository(None, fault_server.url, fault_server.url + "ok/simple/", None, None)
    roots = lambda: sum(r.path == "/ok/simple/" for r in fault_server.main.records)  # noqa: E731
    before = roots()
    assert fetch_project(repo, "pep700", timeouts=FAST).exists
    assert roots() == before
    pages = fetch_projects(repo, ["absent-a", "absent-b", "absent-c", "pep700"], timeouts=FAST)
    exists = [pages[canonicalize_name(n)].exists for n in ("absent-a", "absent-b", "pep700")]
    assert exists == [False, False, True]
    assert roots() == before + 1


NOT_SIMPLE_PROJECT_PAGES = [
    ("login", "an HTML page with no file links and no pypi:repository-version meta: not a project page"),
    ("nginx", "an HTML page with no file links and no pypi:repository-version meta: not a project page"),
    ("portal", "an HTML page with no file links and no pypi:repository-version meta: not a project page"),
    ("empty-200", "an empty page and no pypi:repository-version meta: not a project page"),
]


@pytest.mark.parametrize(("mode", "detail"), NOT_SIMPLE_PROJECT_PAGES,
                         ids=[m for m, _ in NOT_SIMPLE_PROJECT_PAGES])
def test_a_page_that_is_not_a_simple_page_is_an_error(
    fault_server: FaultServers, mode: str, detail: str
) -> None:
    """F1, B2: a login form, a portal, a web server's welcome page, an empty body."""
    repo = Repository(None, fault_server.url, f"{fault_server.url}{mode}/simple/", None, None)
    with pytest.raises(IndexError_) as info:
        fetch_project(repo, "demo-pkg", timeouts=FAST)
    assert str(info.value) == (f"{fault_server.url}{mode}/simple/demo-pkg/ sent an unusable Simple API page: "
                               f"{detail}")
    assert not info.value.unreachable


NOT_SIMPLE_ROOTS = [
    ("root-login", "an HTML page that lists no projects and has no pypi:repository-version meta"),
    ("root-portal", "an HTML page whose title is not a Simple index's"),  # `/login/` looks like a project
    ("root-empty", "an empty page"),
    ("root-deep-json", "JSON nested too deeply"),
    ("root-text", "an answer of type 'text/plain'"),
]


@pytest.mark.parametrize(("mode", "detail"), NOT_SIMPLE_ROOTS, ids=[m for m, _ in NOT_SIMPLE_ROOTS])
def test_a_404_from_an_index_that_is_no_simple_index_is_an_error(
    fault_server: FaultServers, mode: str, detail: str
) -> None:
    base = f"{fault_server.url}{mode}/simple/"
    repo = Repository(None, fault_server.url, base, None, None)
    with pytest.raises(IndexError_) as info:
        fetch_project(repo, "demo-pkg", timeouts=FAST)
    assert str(info.value) == (f"cannot tell whether demo-pkg is on {base}: its page answered 404, "
                               f"and {base} itself is not a Simple index ({detail})")
    assert not info.value.unreachable


WAREHOUSE_LIKE_HEAD = ('<!DOCTYPE html><html><head><meta name="pypi:repository-version" content="1.3">'
                       "<title>Simple index</title></head><body>")
ROOTS = [
    # a public index's root is tens of megabytes: only its beginning is read
    ("text/html", WAREHOUSE_LIKE_HEAD + '<a href="/simple/a/">a</a>' * 5000, False, "index"),
    ("application/vnd.pypi.simple.v1+json",
     '{"meta": {"_last-serial": 1, "api-version": "1.3"}, "projects": [' + '{"name": "a"}, ' * 5000, False,
     "index"),
    ("application/vnd.pypi.simple.v1+json", '{"files": [' + '{"filename": "a-1.0.tar.gz"}, ' * 5000, False,
     "project"),
    # a static tree served by a web server's directory listing
    ("text/html", '<html><head><title>Index of /simple/</title></head><body><a href="?C=N;O=D">Name</a>'
     '<a href="/">Parent Directory</a><a href="demo-pkg/">demo-pkg/</a></body></html>', True, "index"),
    ("text/html", '<a href="demo-pkg/">demo-pkg</a><a href="other_pkg/">Other.Pkg</a>', True, "index"),
    ("text/html", '<html><head><title>Links for demo-pkg</title></head><body>'
     '<a href="/packages/demo_pkg-1.0.tar.gz#sha256=ab">demo_pkg-1.0.tar.gz</a></body></html>', True,
     "project"),
    ("text/html", '<a href="/login/">login</a>', True, "index"),  # indistinguishable from a one-project root
    ("text/html", '<title>Sign in</title><a href="/login/">login</a>', True, "other"),
    ("application/json", '{"meta": {"api-version": "1.0"}, "projects": []}', True, "index"),
    ("application/json", '{"projects": []}', True, "other"),  # PEP 691 requires the meta
    ("application/json", "[]", True, "other"),
]


@pytest.mark.parametrize(("content_type", "text", "complete", "kind"), ROOTS)
def test_root_verdicts(content_type: str, text: str, complete: bool, kind: str) -> None:
    from release_guard.index.pages import root_verdict

    assert root_verdict("http://127.0.0.1:1/simple/", content_type, text, complete).kind == kind


def test_a_root_that_refuses_or_fails(fault_server: FaultServers) -> None:
    forbidden = Repository(None, fault_server.url, f"{fault_server.url}root-forbidden/simple/", None, None)
    with pytest.raises(IndexError_, match=r"root-forbidden/simple/ answered HTTP 403") as refused:
        fetch_project(forbidden, "demo-pkg", timeouts=FAST)
    assert not refused.value.unreachable
    failing = Repository(None, fault_server.url, f"{fault_server.url}root-500/simple/", None, None)
    with pytest.raises(IndexError_, match=r"could not reach .*root-500/simple/: HTTP 500") as down:
        fetch_project(failing, "demo-pkg", timeouts=FAST, retries=1)
    assert down.value.unreachable


# --- 4. one deadline for every read ------------------------------------------------------


@pytest.mark.parametrize("mode", ["drip", "drip-headers"])
def test_a_dripping_server_is_cut_off_by_the_deadline(repo: GitRepo, cli: Cli, fault_server: FaultServers,
                                                      mode: str) -> None:
    """S7, B3: one byte every half second never trips a read timeout; the deadline ends it."""
    project(repo)
    started = time.monotonic()
    result = cli("check-tag", "v1.0", "--index-url", f"{fault_server.url}{mode}/simple/", "--timeout", "2",
                 cwd=repo.path)
    elapsed = time.monotonic() - started
    line = one_error_line(result)
    assert elapsed < 4, elapsed
    assert line.startswith(f"release-guard: error: could not reach {fault_server.url}{mode}/simple/"
                           "demo-pkg/: no complete answer within 2 s (hint: the index is slow or does not "
                           "answer: give it more time with --timeout, RELEASE_GUARD_TIMEOUT or the timeout")


def test_a_server_that_accepts_and_hangs_is_cut_off(repo: GitRepo, cli: Cli, fault_server: FaultServers,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """C4, M2: the budget is for all reads together, retries included, set for the hook by
    RELEASE_GUARD_TIMEOUT."""
    project(repo)
    monkeypatch.setenv("RELEASE_GUARD_TIMEOUT", "1")
    started = time.monotonic()
    result = cli("check-tag", "v1.0", "--index-url", f"{fault_server.url}hang/simple/", cwd=repo.path)
    assert time.monotonic() - started < 3
    assert "no complete answer within 1 s" in one_error_line(result)


def test_retries_stop_at_the_deadline(fault_server: FaultServers) -> None:
    repo = Repository(None, fault_server.url, fault_server.simple_url, None, None)
    started = time.monotonic()
    with Deadline(0.5) as deadline, pytest.raises(IndexError_) as info:
        fetch_project(repo, "always-500", timeouts=FAST, retries=100, deadline=deadline)
    assert time.monotonic() - started < 1.5
    assert info.value.unreachable
    assert "no complete answer within 0.5 s" in str(info.value)


def test_a_slow_read_is_announced_once(fault_server: FaultServers) -> None:
    heard: list[tuple[str, int]] = []
    repo = Repository(None, fault_server.url, f"{fault_server.url}drip/simple/", None, None)
    with Deadline(1.5, notify=lambda url, left: heard.append((url, left)), notice_after=0.2) as deadline, \
            pytest.raises(IndexError_, match=r"no complete answer within 1\.5 s"):
        fetch_projects(repo, ["one", "two"], timeouts=FAST, deadline=deadline)
    [(url, left)] = heard
    assert url in (f"{fault_server.url}drip/simple/one/", f"{fault_server.url}drip/simple/two/")
    assert left == 2  # 1.3 s left, rounded up


def test_the_slow_read_line_on_stderr(repo: GitRepo, cli: Cli, fault_server: FaultServers) -> None:
    project(repo)
    result = cli("check-tag", "v1.0", "--index-url", f"{fault_server.url}drip/simple/", "--timeout", "3.5",
                 cwd=repo.path)
    notice, error = result.err.splitlines()
    assert notice == (f"release-guard: waiting for {fault_server.url}drip/simple/demo-pkg/ (up to 1 s more; "
                      "--timeout / RELEASE_GUARD_TIMEOUT)")
    assert error.startswith("release-guard: error: could not reach ")
    assert result.code == 2


def test_a_deadline_is_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        Deadline(0)


# --- 5. --allow-offline forgives only an unreachable index ----------------------------------

NOT_FORGIVEN = ["forbidden", "unauthorized", "redirect-other-host", "redirect-loop", "garbage-json",
                "huge-declared", "json-deep", "text-plain", "login/simple/x", "root-empty/simple/x"]


@pytest.mark.parametrize("fault", NOT_FORGIVEN)
def test_allow_offline_does_not_forgive_a_wrong_answer(repo: GitRepo, cli: Cli, fault_server: FaultServers,
                                                       monkeypatch: pytest.MonkeyPatch, fault: str) -> None:
    """F4: the index answered, wrongly: that is no network problem."""
    base, _, name = fault.rpartition("/simple/")
    project(repo, name=name)
    index_url = f"{fault_server.url}{base}/simple/" if base else fault_server.simple_url
    monkeypatch.setenv("RELEASE_GUARD_ALLOW_OFFLINE", "1")
    one_error_line(cli("check-tag", "v1.0", "--index-url", index_url, "--allow-offline", "--timeout", "2",
                       cwd=repo.path))


@pytest.mark.parametrize("fault", ["closed-port", "always-500", "reset", "hang/simple/x"])
def test_allow_offline_forgives_an_unreachable_index(repo: GitRepo, cli: Cli, fault_server: FaultServers,
                                                     fault: str) -> None:
    base, _, name = fault.rpartition("/simple/")
    project(repo, name=name or fault)
    if fault == "closed-port":
        index_url = f"http://127.0.0.1:{free_port()}/simple/"
    else:
        index_url = f"{fault_server.url}{base}/simple/" if base else fault_server.simple_url
    result = cli("check-tag", "v1.0", "--index-url", index_url, "--allow-offline", "--timeout", "1",
                 cwd=repo.path)
    assert (result.code, result.err) == (0, ""), result
    assert result.out.startswith("RG204 warning: could not reach ")


def test_which_failures_count_as_unreachable(fault_server: FaultServers) -> None:
    repo = Repository(None, fault_server.url, fault_server.simple_url, None, None)
    unreachable = {}
    for fault in ("always-500", "bad-gateway", "reset", "truncated", "hang", "forbidden", "redirect-loop",
                  "redirect-other-host", "garbage-json", "text-plain", "not-utf8", "bad-request"):
        with pytest.raises(IndexError_) as info:
            fetch_project(repo, fault, timeouts=Timeouts(connect=0.3, read=0.3), retries=0)
        unreachable[fault] = info.value.unreachable
    assert [f for f, flag in unreachable.items() if flag] == [
        "always-500", "bad-gateway", "reset", "truncated", "hang"]
    closed = Repository(None, "", f"http://127.0.0.1:{free_port()}/simple/", None, None)
    with pytest.raises(IndexError_) as refused:
        fetch_project(closed, "x", timeouts=FAST, retries=0)
    assert refused.value.unreachable


# --- 6. pypiserver's fallback ----------------------------------------------------------------


@pytest.mark.slow
def test_pypiserver_fallback_is_named(pypiserver_fallback: LocalIndex, repo: GitRepo, cli: Cli) -> None:
    """C5: pypiserver without --disable-fallback sends a project it lacks to another index."""
    repo_ = Repository(None, pypiserver_fallback.upload_url, pypiserver_fallback.simple_url, None, None)
    assert fetch_project(repo_, "demo-pkg").versions == (Version("1.0"), Version("1.1"))
    with pytest.raises(IndexError_, match=r"simple/new-pkg/ redirected to another host: http://localhost:") \
            as info:
        fetch_project(repo_, "new-pkg")
    assert info.value.hint == (
        "pypiserver's fallback redirect: new-pkg is probably not on that index yet; start pypiserver with "
        "--disable-fallback so that it answers 404 for a project it does not hold")
    project(repo, name="new-pkg")
    result = cli("check-tag", "v1.0", "--repository-url", pypiserver_fallback.url, cwd=repo.path)
    line = one_error_line(result)
    assert "--disable-fallback" in line


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


# --- 8. sizes the server controls ----------------------------------------------------------


def test_json_nested_too_deeply_is_an_unusable_page(
    repo: GitRepo, cli: Cli, fault_server: FaultServers
) -> None:
    project(repo, name="json-deep")
    line = one_error_line(cli("check-tag", "v1.0", "--index-url", fault_server.simple_url, cwd=repo.path))
    assert line.startswith(f"release-guard: error: {fault_server.simple_url}json-deep/ sent an unusable "
                           "Simple API page: JSON nested too deeply (hint: ")


# --- 7. review: answers that looked like "not on the index" ---------------------------------


def test_a_project_page_that_is_the_index_root_is_an_error(fault_server: FaultServers) -> None:
    """A project's URL answered with the root's list of projects (a same-host redirect, a
    catch-all, a query or fragment in the index URL): not "a project with no files"."""
    base = f"{fault_server.url}to-meta-root/simple/"
    repo = Repository(None, fault_server.url, base, None, None)
    with pytest.raises(IndexError_, match=r"sent an unusable Simple API page: a list of projects \(the "
                       r"index root's page\), not a project's page") as info:
        fetch_project(repo, "demo-pkg", timeouts=FAST)
    assert not info.value.unreachable


def test_a_project_page_that_is_the_index_root_blocks_the_tag(
    repo: GitRepo, cli: Cli, fault_server: FaultServers
) -> None:
    project(repo, name="demo-pkg")
    result = cli("check-tag", "v1.0", "--index-url", f"{fault_server.url}to-meta-root/simple/",
                 "--allow-offline", cwd=repo.path)
    assert "not a project's page" in one_error_line(result)


def test_releases_in_legacy_formats_are_on_the_index(
    repo: GitRepo, cli: Cli, fault_server: FaultServers
) -> None:
    """Other sdist compressions, eggs and Windows installers, which `packaging` does not
    parse: an old project's page (or a pypiserver folder) lists them, and the version is taken."""
    page = fetch_project(Repository(None, fault_server.url, fault_server.simple_url, None, None),
                         "legacy-pkg", timeouts=FAST)
    assert [str(v) for v in page.versions] == ["1.0", "1.1", "1.2", "1.3", "1.4", "1.5"]
    project(repo, name="legacy-pkg", version="1.2")
    result = cli("check-tag", "v1.2", "--index-url", fault_server.simple_url, "--allow-older", cwd=repo.path)
    assert result.code == 1, result
    assert "RG202" in result.out


@pytest.mark.parametrize(("filename", "project_name", "version"), [
    ("demo-pkg-1.0.tar.bz2", "demo-pkg", "1.0"),
    ("demo_pkg-1.0-py2.7-linux-x86_64.egg", "demo-pkg", "1.0"),
    ("demo-pkg-1.0.egg", None, "1.0"),
    ("Demo.Pkg-2.0rc1.win32-py2.7.exe", "demo-pkg", "2.0rc1"),
    ("demo-pkg-1.0.linux-x86_64.tar.gz", "demo-pkg", "1.0"),  # bdist_dumb
    ("demo-2-1.0.tar.bz2", "demo-2", "1.0"),  # a name part that looks like a version
    ("py-3to2-1.1.tgz", None, "1.1"),
    ("demo-pkg-latest.tar.bz2", "demo-pkg", None),
    ("other-1.0.tar.bz2", "demo-pkg", None),
])
def test_legacy_file_names(filename: str, project_name: str | None, version: str | None) -> None:
    from release_guard.index.pages import file_version

    found = file_version(filename, project_name)
    assert (str(found) if found else None) == version


@pytest.mark.parametrize("how", ["flag", "TWINE_REPOSITORY", "RELEASE_GUARD_REPOSITORY", "url-flag",
                                 "TWINE_REPOSITORY_URL", "with-newline"])
def test_a_token_given_as_the_repository_is_never_printed(
    repo: GitRepo, cli: Cli, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, how: str
) -> None:
    """A careless CI line (`TWINE_REPOSITORY: ${{ secrets.PYPI_TOKEN }}`, or the token as
    -r or --repository-url): the error names the value by a fingerprint, never shows it."""
    project(repo)
    (tmp_path / "pypirc").write_text("[distutils]\nindex-servers = pypi\n")
    args = ["check-tag", "v1.0", "--config-file", str(tmp_path / "pypirc")]
    if how == "flag":
        args += ["-r", TOKEN]
    elif how == "url-flag":
        args += ["--repository-url", TOKEN]
    elif how == "with-newline":  # a secret read from a file keeps its line break
        monkeypatch.setenv("TWINE_REPOSITORY", TOKEN + "\n")
    else:
        monkeypatch.setenv(how, TOKEN)
    line = one_error_line(cli(*args, cwd=repo.path))
    assert TOKEN[:12] not in line
    assert "a token, sha256 " in line


def test_a_404_is_not_confirmed_by_a_root_that_redirects_elsewhere(
    repo: GitRepo, cli: Cli, fault_server: FaultServers
) -> None:
    """index-url at a path that redirects (same host) to the real Simple root: the root
    probe must not vouch for the 404s of project URLs built on the path that was given."""
    base = f"{fault_server.url}root-redirect/simple/"
    expected = (r"cannot tell whether pep700 is on .*root-redirect/simple/: its page answered 404, "
                r"and .*root-redirect/simple/ itself redirects to .*:\d+/simple/")
    with pytest.raises(IndexError_, match=expected) as info:
        fetch_project(Repository(None, fault_server.url, base, None, None), "pep700", timeouts=FAST)
    assert not info.value.unreachable
    project(repo, name="pep700")
    line = one_error_line(cli("check-tag", "v1.0", "--index-url", base, "--allow-offline", cwd=repo.path))
    assert "use that URL as the index URL" in line
