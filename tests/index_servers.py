"""Real local package indexes and a scripted misbehaving one, as pytest fixtures.

Loaded from tests/conftest.py with `pytest_plugins = ["index_servers"]`.

* `pypiserver_index` / `pypiserver_private` — pypiserver 2.x serving PEP 503 HTML
  (the private one requires credentials to list and download as well).
* `pypiserver_fresh` / `new_pypiserver` — a pypiserver of the test's own, empty at the
  start: a test that uploads sees no other test's uploads, under `pytest -n` as well.
* `devpi_index` — devpi-server serving PEP 691 JSON from an index `guard/dev` with no
  bases, started offline, so nothing is ever mirrored from outside.
* `pypiserver_fallback` — pypiserver *without* --disable-fallback: a project it does not
  hold is redirected (303) to its fallback index, here a closed port on another host name.
* `fault_server` — a real threaded HTTP server whose answer depends on the project
  name in the path (see `FaultHandler.ROUTES`), or, for `/<mode>/simple/...`, on the
  mode (see `FaultHandler.MODES`; under `/etag/` the root sends an ETag and answers 304 to
  a matching If-None-Match); it records every request's headers. An upload to
  `/refuse/<key>/` is refused as the public index refuses it (`UPLOAD_REFUSALS`).

Every server binds 127.0.0.1 on a free port and is stopped by its own fixture, by the
PID it started. All indexes hold `demo-pkg` 1.0 and 1.1, built and uploaded with twine.
"""

from __future__ import annotations

import functools
import json
import os
import socket
import socketserver
import struct
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import ClassVar

import pytest

USERNAME = "guard"
PASSWORD = "s3cret-pass"
DEMO_VERSIONS = ("1.0", "1.1")
START_TIMEOUT = 30.0


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: tests that start real index servers")


# ------------------------------------------------------------------------- helpers


@dataclass(frozen=True)
class LocalIndex:
    """A running local index: where to upload, where to read, who may."""

    kind: str
    url: str
    upload_url: str
    simple_url: str
    username: str = USERNAME
    password: str = field(default=PASSWORD, repr=False)
    packages: Path | None = None  # a pypiserver's folder: every file uploaded to it


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_env(**extra: str) -> dict[str, str]:
    """The environment for child processes: no proxies, no TWINE_* settings."""
    drop = ("TWINE_", "PIP_", "DEVPI_")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.lower().endswith("_proxy") and not k.startswith(drop)
    }
    env.update(extra)
    return env


def _direct_get(url: str, timeout: float = 2.0) -> int:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def wait_until_up(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited early ({proc.returncode}):\n{log.read_text()}")
        try:
            if _direct_get(url, timeout=1.0) < 500:
                return
        except OSError:
            pass
        time.sleep(0.05)
    stop(proc)
    raise RuntimeError(f"server at {url} did not answer in {START_TIMEOUT} s:\n{log.read_text()}")


def start(
    args: list[str], log: Path, probe: str, meanwhile: Callable[[], object] | None = None
) -> subprocess.Popen[bytes]:
    """Start a server, run `meanwhile` while it boots, and wait until `probe` answers."""
    with log.open("wb") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=clean_env())
    try:
        if meanwhile is not None:
            meanwhile()
        wait_until_up(probe, proc, log)
    except BaseException:
        stop(proc)
        raise
    return proc


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a server this module started (by its own PID)."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def build_dist(tmp_path: Path, name: str, version: str) -> list[Path]:
    """Build an sdist and a wheel of a minimal hatchling project; returns their paths."""
    module = name.replace("-", "_").lower()
    project = tmp_path / f"{module}-{version}-src"
    (project / "src" / module).mkdir(parents=True)
    (project / "src" / module / "__init__.py").write_text(f'__version__ = "{version}"\n')
    (project / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
        f'[project]\nname = "{name}"\nversion = "{version}"\ndescription = "test"\n'
    )
    out = tmp_path / f"{module}-{version}-dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--sdist", "--wheel", "-o", str(out), str(project)],
        check=True,
        capture_output=True,
        env=clean_env(),
    )
    return sorted(out.iterdir())


def upload(index: LocalIndex, paths: list[Path]) -> None:
    """`twine upload` to a local index; the password travels in TWINE_PASSWORD only."""
    args = [sys.executable, "-m", "twine", "upload", "--non-interactive", "--disable-progress-bar"]
    args += ["--repository-url", index.upload_url, "-u", index.username, *map(str, paths)]
    proc = subprocess.run(args, capture_output=True, text=True, env=clean_env(TWINE_PASSWORD=index.password))
    if proc.returncode != 0:
        raise RuntimeError(f"twine upload to {index.upload_url} failed:\n{proc.stdout}\n{proc.stderr}")


@pytest.fixture(scope="session")
def demo_dists(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """sdist + wheel of demo-pkg for each of DEMO_VERSIONS, built in parallel."""
    base = tmp_path_factory.mktemp("dists")
    with ThreadPoolExecutor(max_workers=len(DEMO_VERSIONS)) as pool:
        built = pool.map(lambda v: build_dist(base, "demo-pkg", v), DEMO_VERSIONS)
        return [path for paths in built for path in paths]


# ---------------------------------------------------------------------- pypiserver


def _htpasswd(path: Path) -> Path:
    with warnings.catch_warnings():  # passlib imports the deprecated `crypt` module
        warnings.simplefilter("ignore", DeprecationWarning)
        from passlib.apache import HtpasswdFile  # type: ignore[import-untyped]

    htpasswd = HtpasswdFile(str(path), new=True)
    htpasswd.set_password(USERNAME, PASSWORD)
    htpasswd.save()
    return path


def _start_pypiserver(
    base: Path, packages: Path, authenticate: str, meanwhile: Callable[[], object] | None = None,
    fallback: str | None = None,
) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    args = [sys.executable, "-m", "pypiserver", "run", "-p", str(port), "-i", "127.0.0.1"]
    args += ["--disable-fallback"] if fallback is None else ["--fallback-url", fallback]
    args += ["-P", str(_htpasswd(base / "htpasswd")), "-a", authenticate]
    url = f"http://127.0.0.1:{port}/"
    log = base / f"pypiserver-{port}.log"
    return start([*args, str(packages)], log, url + "health", meanwhile), url


@pytest.fixture(scope="session")
def pypiserver_packages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The directory both pypiservers serve."""
    return tmp_path_factory.mktemp("pypiserver-packages")


@pytest.fixture(scope="session")
def pypiserver_index(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, pypiserver_packages: Path
) -> Iterator[LocalIndex]:
    """pypiserver (HTML only), uploads need auth, reads do not; holds demo-pkg 1.0, 1.1."""
    base = tmp_path_factory.mktemp("pypiserver")
    build = functools.partial(request.getfixturevalue, "demo_dists")  # runs while the server boots
    proc, url = _start_pypiserver(base, pypiserver_packages, "update", meanwhile=build)
    try:
        index = LocalIndex("pypiserver", url, url, url + "simple/")
        upload(index, request.getfixturevalue("demo_dists"))
        yield index
    finally:
        stop(proc)


@pytest.fixture(scope="session")
def pypiserver_private(
    tmp_path_factory: pytest.TempPathFactory, pypiserver_packages: Path, pypiserver_index: LocalIndex
) -> Iterator[LocalIndex]:
    """A second pypiserver on the same packages (uploaded through the first) that needs
    credentials to read as well."""
    base = tmp_path_factory.mktemp("pypiserver-private")
    proc, url = _start_pypiserver(base, pypiserver_packages, "update,list,download")
    try:
        yield LocalIndex("pypiserver-private", url, url, url + "simple/")
    finally:
        stop(proc)


@pytest.fixture(scope="session")
def pypiserver_fallback(
    tmp_path_factory: pytest.TempPathFactory, pypiserver_packages: Path, pypiserver_index: LocalIndex
) -> Iterator[LocalIndex]:
    """pypiserver as it starts by default, with a fallback index for projects it lacks: here
    `localhost` on a closed port, so that following the redirect would reach nothing."""
    base = tmp_path_factory.mktemp("pypiserver-fallback")
    fallback = f"http://localhost:{free_port()}/simple/"
    proc, url = _start_pypiserver(base, pypiserver_packages, "update", fallback=fallback)
    try:
        yield LocalIndex("pypiserver-fallback", url, url, url + "simple/")
    finally:
        stop(proc)


@pytest.fixture(scope="session")
def pypiserver_empty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalIndex]:
    """pypiserver serving an empty directory: the index of a project's first release."""
    base = tmp_path_factory.mktemp("pypiserver-empty")
    proc, url = _start_pypiserver(base, tmp_path_factory.mktemp("pypiserver-empty-packages"), "update")
    try:
        yield LocalIndex("pypiserver-empty", url, url, url + "simple/")
    finally:
        stop(proc)


@pytest.fixture
def new_pypiserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[], LocalIndex]]:
    """Start pypiservers of this test's own, one a call, each serving an empty folder of its
    own (uploads need auth, reads do not); all are stopped when the test ends."""
    started: list[subprocess.Popen[bytes]] = []

    def new() -> LocalIndex:
        base = tmp_path_factory.mktemp("pypiserver-fresh")
        packages = base / "packages"
        packages.mkdir()
        proc, url = _start_pypiserver(base, packages, "update")
        started.append(proc)
        return LocalIndex("pypiserver-fresh", url, url, url + "simple/", packages=packages)

    try:
        yield new
    finally:
        for proc in started:
            stop(proc)


@pytest.fixture
def pypiserver_fresh(new_pypiserver: Callable[[], LocalIndex]) -> LocalIndex:
    """An empty pypiserver of this test's own (starts in ~0.3 s)."""
    return new_pypiserver()


# --------------------------------------------------------------------------- devpi


def _devpi_put(url: str, body: dict[str, object], auth: bool) -> None:
    import base64

    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if auth:
        headers["Authorization"] = "Basic " + base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers, method="PUT")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request, timeout=10) as response:
        assert response.status in (200, 201), response.status


@pytest.fixture(scope="session")
def devpi_index(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalIndex]:
    """devpi-server (PEP 691 JSON), index guard/dev without bases; holds demo-pkg 1.0, 1.1.
    A second index, guard/empty, holds nothing (see `devpi_empty`)."""
    base = tmp_path_factory.mktemp("devpi")
    server_dir = base / "server"
    bindir = Path(sys.executable).parent
    init = [str(bindir / "devpi-init"), "--serverdir", str(server_dir), "--no-root-pypi"]
    init += ["--root-passwd", "r00t"]
    with (base / "init.log").open("wb") as out:
        initializing = subprocess.Popen(init, stdout=out, stderr=subprocess.STDOUT, env=clean_env())
    try:
        dists: list[Path] = request.getfixturevalue("demo_dists")  # built while devpi-init runs
    finally:
        initializing.wait(timeout=START_TIMEOUT)
    if initializing.returncode != 0:
        raise RuntimeError(f"devpi-init failed:\n{(base / 'init.log').read_text()}")
    port = free_port()
    args = [str(bindir / "devpi-server"), "--serverdir", str(server_dir), "--host", "127.0.0.1"]
    args += ["--port", str(port), "--offline-mode", "--argon2-time-cost", "1"]
    args += ["--argon2-memory-cost", "8", "--argon2-parallelism", "1"]
    root = f"http://127.0.0.1:{port}/"
    proc = start(args, base / "devpi.log", root + "+api")
    try:
        _devpi_put(root + USERNAME, {"password": PASSWORD, "email": "guard@example.invalid"}, auth=False)
        _devpi_put(root + f"{USERNAME}/dev", {"type": "stage", "bases": [], "volatile": True}, auth=True)
        _devpi_put(root + f"{USERNAME}/empty", {"type": "stage", "bases": [], "volatile": True}, auth=True)
        url = f"{root}{USERNAME}/dev/"
        index = LocalIndex("devpi", url, url, url + "+simple/")
        upload(index, dists)
        yield index
    finally:
        stop(proc)


@pytest.fixture(scope="session")
def devpi_empty(devpi_index: LocalIndex) -> LocalIndex:
    """The same devpi-server's index guard/empty, which holds no project."""
    url = devpi_index.url.replace(f"/{USERNAME}/dev/", f"/{USERNAME}/empty/")
    return LocalIndex("devpi-empty", url, url, url + "+simple/")


# -------------------------------------------------------------------- fault server

SHA_A = "a" * 64
ROOT_ETAG = '"rg-root-1"'
SHA_B = "b" * 64
JSON_TYPE = "application/vnd.pypi.simple.v1+json"
PEP700_PAGE = {
    "meta": {"api-version": "1.1"},
    "name": "pep700",
    "versions": ["0.9", "1.0", "2.0rc1", "not a version!"],
    "files": [
        {"filename": "pep700-1.0.tar.gz", "url": "../x/pep700-1.0.tar.gz", "hashes": {"sha256": SHA_A}},
        {
            "filename": "pep700-1.0.0-py3-none-any.whl",
            "url": "../x/pep700-1.0.0-py3-none-any.whl",
            "hashes": {"sha256": SHA_B.upper()},
            "yanked": "broken metadata",
        },
        {"filename": "pep700-3.0.tar.gz", "url": "../x/pep700-3.0.tar.gz", "hashes": {}, "yanked": False},
    ],
}
YANKED_HTML = f"""<!DOCTYPE html>
<html><head><meta name="pypi:repository-version" content="1.0"><title>Links</title></head>
<body><h1>Links for yanked-pkg</h1>
<a href="/packages/yanked_pkg-1.0.tar.gz#sha256={SHA_A}" data-yanked="broken">yanked_pkg-1.0.tar.gz</a><br>
<a href="../../packages/yanked_pkg-1.0-py3-none-any.whl#sha256={SHA_B}" data-yanked
  >yanked_pkg-1.0-py3-none-any.whl</a>
<a href="/packages/yanked_pkg-1.1.tar.gz#md5=0123">yanked_pkg-1.1.tar.gz</a>
<a href="/packages/yanked_pkg-setup.exe">yanked_pkg-setup.exe</a>
<a href="/packages/Yanked.Pkg-1.2.zip#sha256={SHA_A}">Yanked.Pkg-1.2.zip</a>
</body></html>
"""
# A release yanked as a whole (every file, each with a reason, as PEP 691 JSON needs a non-empty
# string), one that is not, and a yanked newer one: what a mirror of it (devpi) serves.
YANKED_RELEASE_HTML = f"""<!DOCTYPE html>
<html><head><meta name="pypi:repository-version" content="1.0"><title>Links</title></head>
<body><h1>Links for yanked-release</h1>
<a href="/packages/yanked_release-1.0.tar.gz#sha256={SHA_A}" data-yanked="broken"
  >yanked_release-1.0.tar.gz</a>
<a href="/packages/yanked_release-1.0-py3-none-any.whl#sha256={SHA_B}" data-yanked="broken"
  >yanked_release-1.0-py3-none-any.whl</a>
<a href="/packages/yanked_release-1.1.tar.gz#sha256={SHA_A}">yanked_release-1.1.tar.gz</a>
<a href="/packages/yanked_release-2.0.tar.gz#sha256={SHA_B}" data-yanked="not ours"
  >yanked_release-2.0.tar.gz</a>
</body></html>
"""


# What the public index answers an upload it refuses: the status, and the message as the
# reason phrase (twine prints it on the line after its HTTPError line). The texts are
# those of shared/FACTS.md; a local server does not produce them.
UPLOAD_REFUSALS: dict[str, tuple[int, str]] = {
    "exists": (400, "File already exists ('demo_rel-1.0.tar.gz', with blake2_256 hash 'ab12')."),
    "previously-used": (400, "This filename was previously used by a file that has since been deleted. "
                        "Use a different version."),
    "one-sdist": (400, "Only one sdist may be uploaded per release."),
    "too-old": (400, "Uploading new files to releases older than 14 days is not allowed."),
    "start-filename": (400, "Start filename for 'Demo.Rel' with 'demo_rel'."),
    "invalid-auth": (403, "Invalid or non-existent authentication information."),
    "project-scope": (403, "Invalid API Token: project-scoped token is not valid for project: 'demo-rel'"),
    "not-allowed": (403, "The user 'guard' isn't allowed to upload to project 'demo-rel'."),
    "no-passwords": (403, "Username/Password authentication is no longer supported."),
    "name-conflict": (409, "Conflict"),
}


@dataclass(frozen=True)
class Recorded:
    path: str
    headers: dict[str, str]


LOGIN_HTML = b"""<!DOCTYPE html><html><head><title>Sign in</title></head><body>
<form method="post" action="/login"><input name="user"><input name="password" type="password">
</form></body></html>"""
PORTAL_HTML = b"""<html><head><title>Captive portal</title></head><body><p>Accept the terms.
<a href="/login/">login</a> <a href="http://portal.example.invalid/terms">terms</a></p></body></html>"""
NGINX_HTML = b"""<!DOCTYPE html><html><head><title>Welcome to nginx!</title></head><body>
<h1>Welcome to nginx!</h1><p>For online documentation please refer to
<a href="http://nginx.org/">nginx.org</a>.</p></body></html>"""
DEEP_JSON = b"[" * 100_000 + b"]" * 100_000
# A Simple index root as Warehouse's HTML variant and static mirrors write it: with the meta.
META_ROOT_HTML = b"""<!DOCTYPE html><html><head><meta name="pypi:repository-version" content="1.1">
<title>Simple index</title></head><body><a href="/simple/demo-pkg/">demo-pkg</a>
<a href="/simple/legacy-pkg/">legacy-pkg</a></body></html>"""
# A project page whose releases are in formats that `packaging` does not parse: other sdist
# compressions, eggs and Windows installers, as an old project (or a pypiserver folder) has.
LEGACY_HTML = b"""<!DOCTYPE html><html><head><meta name="pypi:repository-version" content="1.0">
<title>Links for legacy-pkg</title></head><body>
<a href="/packages/legacy-pkg-1.0.tar.bz2#sha256=aa">legacy-pkg-1.0.tar.bz2</a>
<a href="/packages/legacy_pkg-1.1-py2.7.egg#sha256=aa">legacy_pkg-1.1-py2.7.egg</a>
<a href="/packages/legacy-pkg-1.2.win32-py2.7.exe#sha256=aa">legacy-pkg-1.2.win32-py2.7.exe</a>
<a href="/packages/legacy-pkg-1.3.tgz#sha256=aa">legacy-pkg-1.3.tgz</a>
<a href="/packages/legacy-pkg-1.4.tar.xz#sha256=aa">legacy-pkg-1.4.tar.xz</a>
<a href="/packages/legacy-pkg-1.5.win-amd64.msi#sha256=aa">legacy-pkg-1.5.win-amd64.msi</a>
</body></html>"""


# A project page with an older release on it, then start tags never finished whose quoted
# values hold `>`: it would be read again and again from each `>` (html_tokens.HtmlTooBroken),
# so it is refused, never read as an index where 1.0 is new.
TOO_BROKEN_HTML = (b'<!DOCTYPE html><html><head><meta name="pypi:repository-version" content="1.0">'
                   b'<title>Links for too-broken</title></head><body>'
                   b'<a href="/packages/too_broken-0.9.tar.gz#sha256=aa">too_broken-0.9.tar.gz</a>'
                   + b"<a x='\">' " * 50)


class FaultHandler(BaseHTTPRequestHandler):
    """Answers `/simple/<project>/` the way the project name says (see ROUTES), and
    `/<mode>/simple/...` the way the mode says (see MODES); `/simple/` itself is a PEP 691
    index root that lists the ROUTES."""

    server: FaultHTTPServer

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.server.record(Recorded(self.path, {k.lower(): v for k, v in self.headers.items()}))
        if self.path.startswith("http://"):  # we are being used as an HTTP proxy
            self.ok()
            return
        mode, rest = "", self.path
        if not self.path.startswith("/simple/"):
            mode, _, rest = self.path[1:].partition("/")
            rest = "/" + rest
        project = rest.removeprefix("/simple/").strip("/") if rest.startswith("/simple/") else None
        if mode:
            self.MODES.get(mode, FaultHandler.not_found)(self, project)
        elif project == "":
            self.index_root()
        elif project is not None and project.startswith("flaky-"):
            self.flaky(project)
        elif project in self.ROUTES:
            self.ROUTES[project](self)
        else:
            self.not_found(project)

    def do_POST(self) -> None:
        """An upload to `/refuse/<key>/`: read in full, then refused with UPLOAD_REFUSALS[key].
        `/echo/<n>/` refuses with 403 and a reason of n `x` and then the password the client
        sent; `/echo-header/` with the client's Authorization header in the reason."""
        self.server.record(Recorded(self.path, {k.lower(): v for k, v in self.headers.items()}))
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        key = self.path.removeprefix("/refuse/").strip("/")
        status, reason = UPLOAD_REFUSALS.get(key, (404, "Not Found"))
        if self.path.startswith(("/echo/", "/echo-header/")):
            import base64

            header = self.headers.get("Authorization", "")
            password = base64.b64decode(header.removeprefix("Basic ")).decode().partition(":")[2]
            pad = self.path.removeprefix("/echo/").strip("/")
            status, reason = 403, (f"bad Authorization: {header}" if self.path.startswith("/echo-header/")
                                   else "x" * int(pad) + password)
        self.send_response(status, reason)
        self.send_header("Content-Type", "text/plain")
        body = f"{status} {reason}".encode()
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def not_found(self, project: str | None = None) -> None:
        self.send_body(404, "text/plain", b"not found")

    def index_root(self) -> None:
        root = {"meta": {"api-version": "1.0"}, "projects": [{"name": name} for name in self.ROUTES]}
        self.send_body(200, JSON_TYPE, json.dumps(root).encode())

    def etag_root(self, project: str | None) -> None:
        """Under `/etag/`: the root as `index_root`, with an entity tag, and 304 Not Modified to
        an If-None-Match that names it (neither pypiserver nor devpi sends one for the root)."""
        if project != "":
            self.plain(project)
        elif self.headers.get("If-None-Match") == ROOT_ETAG:
            self.send_response(304)
            self.send_header("ETag", ROOT_ETAG)
            self.end_headers()
        else:
            root = {"meta": {"api-version": "1.0"}, "projects": [{"name": name} for name in self.ROUTES]}
            body = json.dumps(root).encode()
            self.send_response(200)
            self.send_header("Content-Type", JSON_TYPE)
            self.send_header("ETag", ROOT_ETAG)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    # -- plumbing
    def send_body(self, status: int, content_type: str, body: bytes, length: int | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        if length != -1:
            self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        self.wfile.write(body)

    def redirect(self, location: str, status: int = 302) -> None:
        self.send_response(status)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def reset(self) -> None:
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.connection.close()

    def ok(self) -> None:
        self.send_body(200, JSON_TYPE, json.dumps(PEP700_PAGE).encode())

    # -- behaviours
    def flaky(self, project: str) -> None:
        """`flaky-<n>-<kind>-<tag>`: fail n times (kind 500 or reset), then answer."""
        _, count, kind, _tag = project.split("-", 3)
        if self.server.hits(self.path) > int(count):
            self.ok()
        elif kind == "500":
            self.send_body(500, "text/plain", b"boom")
        else:
            self.reset()

    def hang(self) -> None:
        self.server.release.wait(10)

    def hang_in_body(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", JSON_TYPE)
        self.send_header("Content-Length", "100")
        self.end_headers()
        self.wfile.write(b'{"files": [')
        self.wfile.flush()
        self.server.release.wait(10)

    def echo_secret(self, pad: int = 0) -> None:
        """A careless server that repeats the client's password in its reason phrase (after
        `pad` characters of other text)."""
        import base64

        encoded = self.headers.get("Authorization", "Basic ").removeprefix("Basic ")
        password = base64.b64decode(encoded).decode().partition(":")[2]
        self.send_response(418, f"teapot {'x' * pad}{password}")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def other(self, host: str, suffix: str = "") -> None:
        self.redirect(f"http://{suffix}{host}:{self.server.other_port}/simple/pep700/")

    def cr_reason(self) -> None:
        """A reason phrase with a bare CR in it: what a terminal would show as two lines."""
        self.send_response(418, "bad\rX-Injected: 1")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def drip(self, project: str | None) -> None:
        """Headers at once, then one byte of the body every half second: never a read timeout."""
        self.send_response(200)
        self.send_header("Content-Type", JSON_TYPE)
        self.send_header("Content-Length", "100000")
        self.end_headers()
        self.trickle(b'{"files": []}' + b" " * 99_987)

    def drip_headers(self, project: str | None) -> None:
        self.trickle(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Padding: " + b"x" * 60_000)

    def trickle(self, data: bytes) -> None:
        for byte in data:
            if self.server.release.wait(0.5):
                return
            try:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
            except OSError:  # the client gave up
                return

    def plain(self, project: str | None) -> None:
        """The default behaviour under a mode prefix (`/ok/simple/...`)."""
        if project == "":
            self.index_root()
        elif project in self.ROUTES:
            self.ROUTES[project](self)
        else:
            self.not_found()

    ROUTES: ClassVar[dict[str, Callable[[FaultHandler], None]]] = {
        "always-500": lambda h: h.send_body(500, "text/plain", b"boom"),
        "bad-gateway": lambda h: h.send_body(502, "text/html", b"<h1>bad gateway</h1>"),
        "bad-request": lambda h: h.send_body(400, "text/plain", b"no"),
        "unauthorized": lambda h: h.send_body(401, "text/plain", b"who are you"),
        "forbidden": lambda h: h.send_body(403, "text/plain", b"go away"),
        "hang": hang,
        "hang-in-body": hang_in_body,
        "reset": reset,
        "truncated": lambda h: h.send_body(200, "text/html", b"<a href='x'>", length=1000),
        "not-utf8": lambda h: h.send_body(200, "text/html; charset=utf-8", b"<a href='\xff\xfe'>\xff</a>"),
        "oversized": lambda h: h.send_body(200, "text/html", b"<p>" + b"x" * 5000),
        "oversized-stream": lambda h: h.send_body(200, "text/html", b"<p>" + b"x" * 5000, length=-1),
        "redirect-loop": lambda h: h.redirect("/simple/redirect-loop/"),
        "redirect-same": lambda h: h.redirect("/simple/pep700/", status=301),
        "redirect-no-location": lambda h: h.send_body(302, "text/plain", b""),
        "redirect-escape-location": lambda h: h.redirect("/simple/pep700/\x1b[2J"),  # clears a terminal
        "redirect-other-port": lambda h: h.other("127.0.0.1"),
        "redirect-other-host": lambda h: h.other("localhost"),
        "redirect-userinfo": lambda h: h.other("localhost", suffix=f"{USERNAME}:{PASSWORD}@"),
        "garbage-json": lambda h: h.send_body(200, JSON_TYPE, b'{"files": [}'),
        "wrong-shape": lambda h: h.send_body(200, JSON_TYPE, b'{"files": 3}'),
        "bad-file-entry": lambda h: h.send_body(200, JSON_TYPE, b'{"files": [{"url": "x"}]}'),
        "api-v2": lambda h: h.send_body(200, JSON_TYPE, b'{"meta": {"api-version": "2.0"}, "files": []}'),
        "text-plain": lambda h: h.send_body(200, "text/plain", b"hello"),
        "yanked-pkg": lambda h: h.send_body(200, "text/html; charset=utf-8", YANKED_HTML.encode()),
        "yanked-release": lambda h: h.html(YANKED_RELEASE_HTML.encode()),
        "echo-secret": echo_secret,
        "echo-secret-late": lambda h: h.echo_secret(pad=66),  # the password across the 80th character
        "json-deep": lambda h: h.send_body(200, JSON_TYPE, DEEP_JSON),
        "huge-declared": lambda h: h.send_body(200, JSON_TYPE, b"{}", length=30_000_000),
        "cr-reason": cr_reason,
        "pep700": ok,
        "legacy-pkg": lambda h: h.send_body(200, "text/html", LEGACY_HTML),
        "too-broken": lambda h: h.html(TOO_BROKEN_HTML),
    }

    def html(self, body: bytes) -> None:
        self.send_body(200, "text/html; charset=utf-8", body)

    MODES: ClassVar[dict[str, Callable[[FaultHandler, str | None], None]]] = {
        "ok": plain,
        "etag": etag_root,
        "drip": drip,
        "drip-headers": drip_headers,
        "hang": lambda h, project: h.hang(),
        # every page, the project's and the root, is the same non-Simple page
        "login": lambda h, project: h.html(LOGIN_HTML),
        "portal": lambda h, project: h.html(PORTAL_HTML),
        "nginx": lambda h, project: h.html(NGINX_HTML),
        "empty-200": lambda h, project: h.html(b""),
        # projects answer 404; the root answers ...
        "root-login": lambda h, p: h.html(LOGIN_HTML) if p == "" else h.not_found(),
        "root-portal": lambda h, p: h.html(PORTAL_HTML) if p == "" else h.not_found(),
        "root-empty": lambda h, p: h.html(b"") if p == "" else h.not_found(),
        "root-deep-json": lambda h, p: h.send_body(200, JSON_TYPE, DEEP_JSON) if p == "" else h.not_found(),
        "root-text": lambda h, p: h.send_body(200, "text/plain", b"hello") if p == "" else h.not_found(),
        "root-forbidden": lambda h, p: h.send_body(403, "text/plain", b"no") if p == "" else h.not_found(),
        "root-500": lambda h, p: h.send_body(500, "text/plain", b"boom") if p == "" else h.not_found(),
        # projects answer 404; the root redirects (same host) to another path that is a Simple index
        "root-redirect": lambda h, p: h.redirect("/simple/") if p == "" else h.not_found(),
        # the root is a Simple index (HTML, with the meta); every project page redirects to it
        "to-meta-root": lambda h, p: h.html(META_ROOT_HTML) if p == "" else h.redirect(
            "/to-meta-root/simple/"),
    }


class FaultHTTPServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), FaultHandler)
        self.release = threading.Event()
        self.other_port = 0
        self.records: list[Recorded] = []
        self._hits: dict[str, int] = {}
        self._lock = threading.Lock()

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def record(self, request: Recorded) -> None:
        with self._lock:
            self.records.append(request)

    def hits(self, path: str) -> int:
        """How many times `path` was asked for, this request included."""
        with self._lock:
            self._hits[path] = self._hits.get(path, 0) + 1
            return self._hits[path]

    def requests_for(self, project: str) -> list[Recorded]:
        with self._lock:
            return [r for r in self.records if r.path.strip("/").endswith(f"simple/{project}")]


@dataclass
class FaultServers:
    """The scripted server and `other`, the "other host" its cross-host redirects name."""

    main: FaultHTTPServer
    other: FaultHTTPServer

    @property
    def url(self) -> str:
        return self.main.url

    @property
    def simple_url(self) -> str:
        return self.main.url + "simple/"


@pytest.fixture(scope="session")
def fault_server() -> Iterator[FaultServers]:
    servers = FaultServers(FaultHTTPServer(), FaultHTTPServer())
    servers.main.other_port = servers.other.port
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in (servers.main, servers.other)]
    for thread in threads:
        thread.start()
    try:
        yield servers
    finally:
        for server in (servers.main, servers.other):
            server.release.set()
            server.shutdown()
            server.server_close()
        for thread in threads:
            thread.join(timeout=5)
