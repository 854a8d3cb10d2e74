"""Repository resolution and the Simple API client, against real local indexes
(pypiserver: PEP 503 HTML, devpi: PEP 691 JSON) and a scripted fault server."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

import release_guard
from index_servers import PASSWORD, ROOT_ETAG, SHA_A, SHA_B, USERNAME, FaultServers, LocalIndex, free_port
from release_guard.errors import IndexError_, RepositoryError
from release_guard.index import (
    ACCEPT,
    IndexFile,
    ProjectPage,
    Repository,
    Timeouts,
    derive_index_url,
    fetch_project,
    fetch_project_list,
    fetch_projects,
    resolve_repository,
    sanitize_url,
)
from release_guard.index.pages import root_names

FAST = Timeouts(connect=0.3, read=0.3)
TOKEN = "pypi-FAKEtokenFAKEtokenFAKEtoken0123456789"
SECRETS = (PASSWORD, TOKEN)


def no_secret(exc: BaseException) -> None:
    """The exception's text, hint and args carry no secret and are one line each."""
    texts = [str(exc), repr(exc), getattr(exc, "hint", ""), *map(str, exc.args)]
    for text in texts:
        assert "\n" not in text
        for secret in SECRETS:
            assert secret not in text


def env_for(tmp_path: Path, **extra: str) -> dict[str, str]:
    """An environment with no netrc and no TWINE_* variables unless given."""
    return {"NETRC": str(tmp_path / "absent-netrc"), **extra}


def write_pypirc(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pypirc"
    path.write_text(text)
    return path


def twine_defaults() -> tuple[str, str]:
    import twine.utils

    return twine.utils.DEFAULT_REPOSITORY, twine.utils.TEST_REPOSITORY


# ------------------------------------------------------------- real local indexes


@pytest.fixture(params=["pypiserver_index", "devpi_index"])
def real_index(request: pytest.FixtureRequest) -> LocalIndex:
    index: LocalIndex = request.getfixturevalue(request.param)
    return index


def repo_for(index: LocalIndex, tmp_path: Path) -> Repository:
    repo = resolve_repository(repository_url=index.upload_url, environ=env_for(tmp_path))
    assert repo.index_url == index.simple_url  # the derivation rule fits the real server
    return repo


@pytest.mark.slow
def test_existing_project_lists_versions_and_files(real_index: LocalIndex, tmp_path: Path) -> None:
    page = fetch_project(repo_for(real_index, tmp_path), "demo-pkg")
    assert page.exists
    assert page.name == "demo-pkg"
    assert page.source == ("json" if real_index.kind == "devpi" else "html")
    assert page.versions == (Version("1.0"), Version("1.1"))
    assert sorted(f.filename for f in page.files) == [
        "demo_pkg-1.0-py2.py3-none-any.whl",
        "demo_pkg-1.0.tar.gz",
        "demo_pkg-1.1-py2.py3-none-any.whl",
        "demo_pkg-1.1.tar.gz",
    ]
    for item in page.files:
        assert item.sha256 is not None
        assert len(item.sha256) == 64
        assert item.version in page.versions
        assert not item.yanked


@pytest.mark.slow
def test_missing_project_is_not_on_the_index_yet(real_index: LocalIndex, tmp_path: Path) -> None:
    page = fetch_project(repo_for(real_index, tmp_path), "never-uploaded")
    assert page == ProjectPage(canonicalize_name("never-uploaded"), False, (), (), "")
    assert page.newest() is None
    assert not page.released(Version("1.0"))


@pytest.mark.slow
def test_lookup_uses_the_canonical_name(real_index: LocalIndex, tmp_path: Path) -> None:
    page = fetch_project(repo_for(real_index, tmp_path), "Demo_Pkg")
    assert page.name == "demo-pkg"
    assert page.exists


@pytest.mark.slow
def test_released_compares_canonically(real_index: LocalIndex, tmp_path: Path) -> None:
    page = fetch_project(repo_for(real_index, tmp_path), "demo-pkg")
    assert page.released(Version("1.0.0"))
    assert page.released(Version("1.1.0"))
    assert not page.released(Version("1.2"))
    assert page.newest() == Version("1.1")


@pytest.mark.slow
def test_fetch_projects_reads_each_canonical_name_once(real_index: LocalIndex, tmp_path: Path) -> None:
    pages = fetch_projects(repo_for(real_index, tmp_path), ["demo-pkg", "Demo.Pkg", "absent-pkg"])
    assert sorted(pages) == ["absent-pkg", "demo-pkg"]
    assert pages[canonicalize_name("demo-pkg")].exists
    assert not pages[canonicalize_name("absent-pkg")].exists


@pytest.mark.slow
def test_private_index_needs_credentials(pypiserver_private: LocalIndex, tmp_path: Path) -> None:
    anonymous = resolve_repository(repository_url=pypiserver_private.url, environ=env_for(tmp_path))
    with pytest.raises(IndexError_, match=r"answered HTTP 401") as info:
        fetch_project(anonymous, "demo-pkg", retries=0)
    assert "needs credentials" in info.value.hint
    pypirc = write_pypirc(
        tmp_path,
        "[distutils]\nindex-servers = private\n\n"
        f"[private]\nrepository = {pypiserver_private.url}\nusername = {USERNAME}\npassword = {PASSWORD}\n",
    )
    repo = resolve_repository("private", config_file=pypirc, environ=env_for(tmp_path))
    assert fetch_project(repo, "demo-pkg").versions == (Version("1.0"), Version("1.1"))


@pytest.mark.slow
def test_private_index_refuses_a_wrong_password(pypiserver_private: LocalIndex, tmp_path: Path) -> None:
    url = pypiserver_private.url.replace("://", f"://{USERNAME}:{TOKEN}@")
    repo = resolve_repository(repository_url=url, environ=env_for(tmp_path))
    with pytest.raises(IndexError_, match=r"answered HTTP 40[13]") as info:
        fetch_project(repo, "demo-pkg", retries=0)
    assert "refused the credentials" in info.value.hint
    no_secret(info.value)


# ---------------------------------------------------------------------- faults


def fault_repo(servers: FaultServers, password: str | None = TOKEN) -> Repository:
    return Repository("fault", servers.url, servers.simple_url, USERNAME, password)


# (project, message fragment, requests the main server sees with retries=1)
FAULTS = [
    ("always-500", r"could not reach .*/simple/always-500/: HTTP 500", 2),
    ("bad-gateway", r"could not reach .*: HTTP 502", 2),
    ("hang", r"could not reach .*: timed out", 2),
    ("hang-in-body", r"could not reach .*: timed out", 2),
    ("reset", r"could not reach .*: (connection reset|the server closed)", 2),
    ("truncated", r"could not reach .*: the response was cut short", 2),
    ("bad-request", r"/simple/bad-request/ answered HTTP 400", 1),
    ("unauthorized", r"answered HTTP 401", 1),
    ("forbidden", r"answered HTTP 403", 1),
    ("not-utf8", r"sent a body that is not UTF-8", 1),
    ("oversized", r"sent more than 1000 bytes", 1),
    ("oversized-stream", r"sent more than 1000 bytes", 1),
    ("redirect-loop", r"redirected more than 5 times", 6),
    ("redirect-no-location", r"answered HTTP 302 without a Location", 1),
    ("redirect-escape-location", r"answered HTTP 302 with an invalid Location", 1),
    ("redirect-other-port", r"redirected to another host: http://127\.0\.0\.1:\d+/simple/pep700/", 1),
    ("redirect-other-host", r"redirected to another host: http://localhost:\d+/", 1),
    ("redirect-userinfo", r"redirected to another host: http://localhost:\d+/", 1),
    ("garbage-json", r"unusable Simple API page: invalid JSON", 1),
    ("wrong-shape", r"unusable Simple API page: JSON without a 'files' list", 1),
    ("bad-file-entry", r"unusable Simple API page: a file entry has no filename", 1),
    ("api-v2", r"unsupported repository API version '2.0'", 1),
    ("text-plain", r"unexpected content type 'text/plain'", 1),
    ("huge-declared", r"sent more than 1000 bytes", 1),
    ("cr-reason", r"answered HTTP 418 bad X-Injected: 1$", 1),
    ("echo-secret", r"answered HTTP 418 teapot \*{8}$", 1),
    ("echo-secret-late", r"answered HTTP 418 teapot x{66}\*{7}$", 1),  # masked, then cut at 80
]


@pytest.mark.parametrize(("project", "message", "requests"), FAULTS, ids=[f[0] for f in FAULTS])
def test_fault_becomes_one_line_index_error_without_secrets(
    fault_server: FaultServers, project: str, message: str, requests: int
) -> None:
    before = len(fault_server.main.requests_for(project))
    with pytest.raises(IndexError_, match=message) as info:
        fetch_project(fault_repo(fault_server), project, timeouts=FAST, retries=1, max_bytes=1000)
    no_secret(info.value)
    assert info.value.hint
    assert len(fault_server.main.requests_for(project)) - before == requests


def test_unreachable_index_gives_the_offline_hint(fault_server: FaultServers) -> None:
    repo = Repository(None, "", f"http://{USERNAME}:{PASSWORD}@127.0.0.1:{free_port()}/simple/", None, None)
    started = time.monotonic()
    with pytest.raises(IndexError_, match=r"could not reach http://127\.0\.0\.1:\d+/simple/x/: conn") as info:
        fetch_project(repo, "x", timeouts=FAST)
    assert time.monotonic() - started >= 0.25  # two retries: 0.1 s + 0.2 s backoff
    assert info.value.hint == (
        "check the network or the index URL (--repository-url / index-url); "
        "--allow-offline turns this into a warning"
    )
    no_secret(info.value)


@pytest.mark.parametrize(
    ("project", "retries", "requests"), [("flaky-2-500-a", 2, 3), ("flaky-1-reset-b", 1, 2)]
)
def test_retries_until_the_index_answers(
    fault_server: FaultServers, project: str, retries: int, requests: int
) -> None:
    page = fetch_project(fault_repo(fault_server), project, timeouts=FAST, retries=retries)
    assert page.exists
    assert len(fault_server.main.requests_for(project)) == requests


def test_retries_are_bounded(fault_server: FaultServers) -> None:
    with pytest.raises(IndexError_, match="HTTP 500"):
        fetch_project(fault_repo(fault_server), "flaky-3-500-c", timeouts=FAST, retries=2)
    assert len(fault_server.main.requests_for("flaky-3-500-c")) == 3


def test_cross_host_redirect_sends_nothing_to_the_other_host(fault_server: FaultServers) -> None:
    for project in ("redirect-other-port", "redirect-other-host", "redirect-userinfo"):
        with pytest.raises(IndexError_, match="redirected to another host"):
            fetch_project(fault_repo(fault_server), project, timeouts=FAST, retries=0)
        asked = fault_server.main.requests_for(project)[-1]
        assert asked.headers["authorization"].startswith("Basic ")
    assert fault_server.other.records == []


def test_same_host_redirect_is_followed_with_credentials(fault_server: FaultServers) -> None:
    page = fetch_project(fault_repo(fault_server), "redirect-same", timeouts=FAST)
    assert page.source == "json"
    assert page.exists
    first = fault_server.main.requests_for("redirect-same")[-1]
    followed = fault_server.main.requests_for("pep700")[-1]
    assert first.headers["authorization"] == followed.headers["authorization"]
    assert followed.headers["accept"] == ACCEPT


def test_credentials_stay_with_the_origin_they_belong_to(fault_server: FaultServers) -> None:
    repo = Repository(
        "elsewhere", "https://upload.example.invalid/legacy/", fault_server.simple_url, "__token__", TOKEN,
        credential_origin="https://upload.example.invalid:443",
    )
    before = len(fault_server.main.requests_for("pep700"))
    fetch_project(repo, "pep700", timeouts=FAST)
    fetch_project(fault_repo(fault_server, password=None), "pep700", timeouts=FAST)
    asked = fault_server.main.requests_for("pep700")[before:]
    assert len(asked) == 2
    assert all("authorization" not in r.headers for r in asked)


def test_json_page_with_pep700_versions(fault_server: FaultServers) -> None:
    page = fetch_project(fault_repo(fault_server), "PEP700", timeouts=FAST)
    assert page.source == "json"
    # PEP 700 versions (the invalid one skipped) plus file versions; 1.0.0 is 1.0.
    assert page.versions == (Version("0.9"), Version("1.0"), Version("2.0rc1"), Version("3.0"))
    assert page.newest() == Version("3.0")
    assert page.released(Version("1.0.0"))
    assert page.files == (
        IndexFile("pep700-1.0.tar.gz", Version("1.0"), SHA_A, False),
        IndexFile("pep700-1.0.0-py3-none-any.whl", Version("1.0.0"), SHA_B, True),
        IndexFile("pep700-3.0.tar.gz", Version("3.0"), None, False),
    )


def test_html_page_with_yanked_files(fault_server: FaultServers) -> None:
    page = fetch_project(fault_repo(fault_server), "yanked-pkg", timeouts=FAST)
    assert page.source == "html"
    assert [(f.filename, f.yanked) for f in page.files] == [
        ("yanked_pkg-1.0.tar.gz", True),
        ("yanked_pkg-1.0-py3-none-any.whl", True),
        ("yanked_pkg-1.1.tar.gz", False),
        ("yanked_pkg-setup.exe", False),
        ("Yanked.Pkg-1.2.zip", False),
    ]
    assert [f.sha256 for f in page.files] == [SHA_A, SHA_B, None, None, SHA_A]
    assert page.files[3].version is None
    assert page.versions == (Version("1.0"), Version("1.1"), Version("1.2"))
    assert page.released(Version("1.0"))  # yanked counts as released


def test_fetch_projects_raises_the_first_failure(fault_server: FaultServers) -> None:
    repo = fault_repo(fault_server)
    pages = fetch_projects(repo, ["pep700", "Pep700", "nothing-here"], timeouts=FAST)
    assert sorted(pages) == ["nothing-here", "pep700"]
    with pytest.raises(IndexError_, match="HTTP 400"):
        fetch_projects(repo, ["pep700", "bad-request", "yanked-pkg"], timeouts=FAST)
    assert fetch_projects(repo, []) == {}


def test_loopback_is_never_sent_through_a_proxy(
    fault_server: FaultServers, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "all_proxy"):
        monkeypatch.setenv(name, dead)
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    assert fetch_project(fault_repo(fault_server), "pep700", timeouts=FAST, retries=0).exists


def test_other_hosts_go_through_the_environment_proxy(
    fault_server: FaultServers, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("http_proxy", fault_server.url)
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    upload = "http://index.example.invalid/"
    repo = Repository(None, upload, upload + "simple/", None, None)
    page = fetch_project(repo, "anything", timeouts=FAST, retries=0)
    assert page.exists
    assert fault_server.main.records[-1].path == "http://index.example.invalid/simple/anything/"


def test_non_http_index_url_is_refused() -> None:
    repo = Repository(None, "", "file:///etc/", None, None)
    with pytest.raises(IndexError_, match="not an http"):
        fetch_project(repo, "passwd")


# ----------------------------------------------------------------- resolution


def test_default_repositories_come_from_twine(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.pypirc
    default, test = twine_defaults()
    pypi = resolve_repository(environ=env_for(tmp_path))
    testpypi = resolve_repository("testpypi", environ=env_for(tmp_path))
    assert (pypi.name, pypi.upload_url) == ("pypi", default)
    assert (testpypi.name, testpypi.upload_url) == ("testpypi", test)
    for repo, upload in ((pypi, default), (testpypi, test)):
        parts = urlsplit(upload)
        assert parts.path == "/legacy/"
        assert repo.index_url == f"{parts.scheme}://{parts.netloc.removeprefix('upload.')}/simple/"
        assert repo.username is None
        assert repo.password is None
    assert "upload." not in pypi.index_url


def test_default_repository_token_gets_twines_token_user(tmp_path: Path) -> None:
    env = env_for(tmp_path, TWINE_PASSWORD=TOKEN)
    repo = resolve_repository(config_file=write_pypirc(tmp_path, ""), environ=env)
    assert (repo.username, repo.password) == ("__token__", TOKEN)
    # configured for the upload host, so reads of the index (another host) never carry it
    assert repo.credential_origin == "{0.scheme}://{0.hostname}:443".format(urlsplit(repo.upload_url))
    assert repo.read_credentials() is None
    assert TOKEN not in repr(repo)


def test_named_section_from_pypirc(tmp_path: Path) -> None:
    pypirc = write_pypirc(
        tmp_path,
        "[distutils]\nindex-servers =\n    pypi\n    private\n\n"
        "[private]\nrepository = http://127.0.0.1:8080\nusername = alice\npassword = " + PASSWORD + "\n",
    )
    repo = resolve_repository("private", config_file=pypirc, environ=env_for(tmp_path))
    assert repo.name == "private"
    assert repo.upload_url == "http://127.0.0.1:8080"
    assert repo.index_url == "http://127.0.0.1:8080/simple/"
    assert (repo.username, repo.password) == ("alice", PASSWORD)
    assert repo.credential_origin == "http://127.0.0.1:8080"
    assert PASSWORD not in repr(repo)
    assert "alice" not in repr(repo)


def test_unknown_repository_names_the_file_and_its_names(tmp_path: Path) -> None:
    pypirc = write_pypirc(
        tmp_path,
        "[distutils]\nindex-servers = private internal\n\n"
        f"[private]\nrepository = http://127.0.0.1:1/\npassword = {PASSWORD}\n"
        "[internal]\nrepository = http://127.0.0.1:2/a/b/c\n",
    )
    with pytest.raises(RepositoryError) as info:
        resolve_repository("staging", config_file=pypirc, environ=env_for(tmp_path))
    message = str(info.value)
    assert str(pypirc) in message
    assert "'staging'" in message
    assert "pypi, private, internal" in message
    assert "testpypi" not in message  # index-servers does not list it, so twine has none
    assert "--repository-url" in info.value.hint
    no_secret(info.value)


def test_section_without_url_and_missing_or_broken_files(tmp_path: Path) -> None:
    pypirc = write_pypirc(tmp_path, "[distutils]\nindex-servers = private\n[private]\nusername = bob\n")
    with pytest.raises(RepositoryError, match=r"section \[private\] in .* has no repository URL"):
        resolve_repository("private", config_file=pypirc, environ=env_for(tmp_path))
    with pytest.raises(RepositoryError, match="does not exist"):
        resolve_repository("pypi", config_file=tmp_path / "nope", environ=env_for(tmp_path))
    broken = write_pypirc(tmp_path, f"password = {PASSWORD}\n[pypi]\n")  # no section header first
    with pytest.raises(RepositoryError, match=r"is not a valid \.pypirc file \(line 1\)") as info:
        resolve_repository("pypi", config_file=broken, environ=env_for(tmp_path))
    no_secret(info.value)


def test_repository_url_with_userinfo(tmp_path: Path) -> None:
    url = f"http://{USERNAME}:{PASSWORD}@127.0.0.1:3141/guard/dev/"
    for repo in (
        resolve_repository(repository_url=url, environ=env_for(tmp_path)),
        resolve_repository(url, environ=env_for(tmp_path)),  # a URL-looking repository value
    ):
        assert repo.name is None
        assert repo.upload_url == "http://127.0.0.1:3141/guard/dev/"
        assert repo.index_url == "http://127.0.0.1:3141/guard/dev/+simple/"
        assert (repo.username, repo.password) == (USERNAME, PASSWORD)
        assert PASSWORD not in repr(repo)


def test_environment_variables_as_twine_reads_them(tmp_path: Path) -> None:
    pypirc = write_pypirc(
        tmp_path,
        "[distutils]\nindex-servers = private\n[private]\nrepository = http://127.0.0.1:1/\n"
        "username = from-file\npassword = file-secret\n",
    )
    env = env_for(tmp_path, TWINE_REPOSITORY="private")
    assert resolve_repository(config_file=pypirc, environ=env).upload_url == "http://127.0.0.1:1/"
    env["TWINE_USERNAME"], env["TWINE_PASSWORD"] = "from-env", TOKEN
    repo = resolve_repository(config_file=pypirc, environ=env)
    assert (repo.username, repo.password) == ("from-env", TOKEN)
    env["TWINE_REPOSITORY_URL"] = "http://127.0.0.1:2/"
    assert resolve_repository("private", config_file=pypirc, environ=env).upload_url == "http://127.0.0.1:2/"
    explicit = resolve_repository(repository_url="http://127.0.0.1:3/", config_file=pypirc, environ=env)
    assert explicit.upload_url == "http://127.0.0.1:3/"


def test_netrc_credentials_for_the_index_host(tmp_path: Path, fault_server: FaultServers) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text(f"machine 127.0.0.1\n  login netrc-user\n  password {PASSWORD}\n")
    netrc.chmod(0o600)
    env = {"NETRC": str(netrc)}
    repo = resolve_repository(repository_url=fault_server.url, environ=env)
    assert (repo.username, repo.password) == ("netrc-user", PASSWORD)
    fetch_project(repo, "pep700", timeouts=FAST)
    assert fault_server.main.requests_for("pep700")[-1].headers["authorization"].startswith("Basic ")
    env["TWINE_USERNAME"], env["TWINE_PASSWORD"] = "env-user", TOKEN  # the environment wins
    assert resolve_repository(repository_url=fault_server.url, environ=env).username == "env-user"
    netrc.write_text("machine\n")  # unparsable: ignored, as pip and requests ignore it
    assert resolve_repository(repository_url=fault_server.url, environ={"NETRC": str(netrc)}).username is None


def test_index_url_given_explicitly(tmp_path: Path) -> None:
    env = env_for(tmp_path)
    repo = resolve_repository(
        repository_url="http://127.0.0.1:1/upload", index_url="http://127.0.0.1:2/mirror", environ=env
    )
    assert repo.index_url == "http://127.0.0.1:2/mirror/"
    with pytest.raises(RepositoryError, match="invalid index URL"):
        resolve_repository(repository_url="http://127.0.0.1:1/", index_url="127.0.0.1/x", environ=env)


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/", "127.0.0.1:8080", "http:///nohost", "http://h:port/"])
def test_invalid_repository_url(tmp_path: Path, url: str) -> None:
    with pytest.raises(RepositoryError, match="invalid repository URL"):
        resolve_repository(repository_url=url, environ=env_for(tmp_path))


@pytest.mark.parametrize(
    ("upload", "index"),
    [
        ("https://upload.example.invalid/legacy/", "https://example.invalid/simple/"),
        ("https://test.example.invalid/legacy", "https://test.example.invalid/simple/"),
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080/simple/"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080/simple/"),
        ("http://127.0.0.1:3141/user/dev/", "http://127.0.0.1:3141/user/dev/+simple/"),
        ("http://127.0.0.1:3141/user/dev", "http://127.0.0.1:3141/user/dev/+simple/"),
        ("https://nexus.example.invalid/repository/py/", "https://nexus.example.invalid/repository/py/simple/"),
        ("https://h.example.invalid/api/pypi/local", "https://h.example.invalid/api/pypi/local/simple/"),
        ("https://u:p@h.example.invalid/x/?q=1#f", "https://h.example.invalid/x/simple/"),
    ],
)
def test_derive_index_url(upload: str, index: str) -> None:
    assert derive_index_url(upload) == index


def test_sanitize_and_display_urls() -> None:
    assert sanitize_url(f"https://{USERNAME}:{PASSWORD}@h.example.invalid/simple/") == (
        "https://h.example.invalid/simple/"
    )
    assert sanitize_url(f"{USERNAME}:{PASSWORD}@h/x") == "h/x"
    # a raw secret may hold "/" or "@": everything up to the last "@" goes, even at a cost
    assert sanitize_url("https://__token__:pypi-Ag/5vc@upload.example.invalid/legacy/") == (
        "https://upload.example.invalid/legacy/")
    assert sanitize_url("http://u:p@s@h/x") == "http://h/x"
    assert sanitize_url("http://h/a@b") == "http://b"  # shortened, never a secret shown
    repo = Repository(None, "http://h/", f"http://u:{PASSWORD}@h/simple/", "u", PASSWORD)
    assert repo.display_url() == "http://h/simple/"
    assert PASSWORD not in repr(repo)


def test_project_page_semantics() -> None:
    versions = (Version("1.0"), Version("2.0b1"))
    page = ProjectPage(canonicalize_name("p"), True, versions, (), "json")
    assert page.released(Version("1.0.0"))
    assert page.newest() == Version("2.0b1")
    with pytest.raises(ValueError, match="positive"):
        Timeouts(connect=0)


def test_importing_the_module_stays_cheap() -> None:
    src = str(Path(release_guard.__file__).parent.parent)
    code = (
        "import sys, release_guard.index\n"
        "heavy = ('urllib.request', 'http.client', 'twine', 'json', 'configparser', 'netrc', 'html.parser')\n"
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")]))}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.strip() == "[]"


def test_default_targets_come_from_twine_without_importing_it() -> None:
    """twine.utils brings requests (~90 ms): its constants are read from its source instead."""
    code = (
        "import sys\n"
        "from release_guard import index\n"
        "repo = index.resolve_repository(environ={})\n"
        "test = index.resolve_repository('testpypi', environ={})\n"
        "print(repo.upload_url, test.upload_url, 'twine' in sys.modules, 'requests' in sys.modules)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={k: v for k, v in os.environ.items() if not k.startswith("TWINE_")})
    import twine.utils

    assert proc.stdout.split() == [twine.utils.DEFAULT_REPOSITORY, twine.utils.TEST_REPOSITORY,
                                   "False", "False"]


# --- the index root's list of projects (check-name --similar) ---------------------------------

ROOT_URL = "http://127.0.0.1:1/simple/"
PYPISERVER_ROOT = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Simple Index</title></head>
<body><h1>Simple Index</h1>
    <a href="demo-pkg/">demo-pkg</a><br>
    <a href="Other.Pkg/">Other.Pkg</a><br>
    <a href='/simple/third_pkg/'>third_pkg</a>
    <a href="a%2Eb/">a.b</a>
    <a href="../">../</a>
    <a href="demo_pkg-1.0.tar.gz#sha256=aa">not a project</a>
</body></html>"""


def test_root_names_from_html() -> None:
    assert root_names(ROOT_URL, "text/html", PYPISERVER_ROOT) == ["demo-pkg", "Other.Pkg", "third_pkg", "a.b"]


def test_root_names_from_json() -> None:
    text = '{"meta": {"api-version": "1.1"}, "projects": [{"name": "Demo.Pkg", "_last-serial": 3}]}'
    assert root_names(ROOT_URL, "application/vnd.pypi.simple.v1+json", text) == ["Demo.Pkg"]


@pytest.mark.parametrize(("content_type", "text", "problem"), [
    ("application/json", '{"meta": {"api-version": "1.0"}, "projects": [{"nom": "x"}]}',
     "a project entry has no name"),
    ("application/json", '{"meta": {"api-version": "1.0"}, "files": []}', "a project's page, not the index"),
    ("application/json", '{"projects": 3}', "not a Simple index root"),
    ("text/html", "<title>Sign in</title><form><input name=password></form>", "not a Simple index root"),
    ("text/html", '<title>Links for x</title><a href="x-1.0.tar.gz">x-1.0.tar.gz</a>', "a project's page"),
])
def test_root_names_refuse_what_is_no_root(content_type: str, text: str, problem: str) -> None:
    with pytest.raises(IndexError_, match=re.escape(problem)):
        root_names(ROOT_URL, content_type, text)


def test_the_list_read_is_bounded(fault_server: FaultServers) -> None:
    target = resolve_repository(repository_url=fault_server.url)
    assert fetch_project_list(target) is not None
    with pytest.raises(IndexError_, match="sent more than 100 bytes"):
        fetch_project_list(target, max_bytes=100)


def test_the_list_is_asked_for_again_with_its_etag(fault_server: FaultServers) -> None:
    target = resolve_repository(repository_url=fault_server.url + "etag/")
    fresh = fetch_project_list(target)
    assert fresh is not None
    assert fresh.etag == ROOT_ETAG
    assert fetch_project_list(target, etag=ROOT_ETAG) is None  # 304 Not Modified
    assert fetch_project_list(target, etag='"other"') == fresh
    plain = fetch_project_list(resolve_repository(repository_url=fault_server.url))
    assert plain is not None
    assert (plain.etag, plain.names) == (None, fresh.names)
