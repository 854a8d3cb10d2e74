"""Interruptions, with real processes: release-guard started as the console script on a
project whose build backend blocks (an in-tree backend that writes its PID, then sleeps),
behind an upload that stalls, or as git's pre-push hook on an index that does not answer;
then SIGINT, SIGTERM or SIGHUP. Each test asserts the exit code, the one line, no
traceback, no process left (by PID, process group and command line) and no temporary
folder left (TMPDIR points at a folder of the test's own)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from conftest import GitRepo
from index_servers import PASSWORD, USERNAME, FaultServers, LocalIndex, clean_env

CODES = {signal.SIGINT: 130, signal.SIGTERM: 143, signal.SIGHUP: 129}
NAMES = {signal.SIGINT: "SIGINT", signal.SIGTERM: "SIGTERM", signal.SIGHUP: "SIGHUP"}
WAIT = 30.0  # seconds for a child to show up: a loaded 2-core CI machine is slow

SLOW_BACKEND = '''"""A build backend that writes its PID, then sleeps: what a stuck build looks like."""
import os, time

def _block():
    pidfile = os.environ["SLOW_BACKEND_PIDFILE"]
    with open(pidfile + ".part", "w") as f:
        f.write(str(os.getpid()))
    os.replace(pidfile + ".part", pidfile)
    time.sleep(120)

def get_requires_for_build_wheel(config_settings=None):
    return []

get_requires_for_build_sdist = get_requires_for_build_wheel

def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    _block()

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    _block()

def build_sdist(sdist_directory, config_settings=None):
    _block()
'''


def console_script() -> str:
    found = shutil.which("release-guard", path=str(Path(sys.executable).parent))
    assert found is not None
    return found


def slow_project(repo: GitRepo, version: str = 'dynamic = ["version"]') -> Path:
    repo.write("pyproject.toml", '[build-system]\nrequires = []\nbuild-backend = "slow_backend"\n'
               f'backend-path = ["_backend"]\n\n[project]\nname = "slow-pkg"\n{version}\n')
    repo.write("_backend/slow_backend.py", SLOW_BACKEND)
    repo.write("src/slow_pkg/__init__.py", "")
    repo.write(".gitignore", "dist/\n")
    repo.commit("slow")
    return repo.path


@pytest.fixture
def tmpdir_of_test(tmp_path: Path) -> Path:
    folder = tmp_path / "tmpdir"
    folder.mkdir()
    return folder


def wait_for(what: str, done: object, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + WAIT
    while not done():  # type: ignore[operator]
        if proc.poll() is not None:
            _, err = proc.communicate()
            raise AssertionError(f"release-guard ended (exit {proc.returncode}) before {what}: {err[-2000:]}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"no {what} within {WAIT} s")
        time.sleep(0.05)


def alive(pid: int) -> bool:
    """The process exists and is no zombie (this container's PID 1 may never reap one)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def survivors(marker: str) -> list[str]:
    """Live processes whose command line holds `marker` (the test's folder)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid() and alive(int(entry.name)):
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if marker in cmdline:
                found.append(f"{entry.name}: {cmdline[:200]}")
    return found


def group_alive(pgid: int) -> bool:
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rpartition(")")[2].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                return True
    return False


def interrupt(proc: subprocess.Popen[str], signum: int) -> tuple[int, str, str]:
    proc.send_signal(signum)
    try:
        out, err = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise AssertionError(f"release-guard did not end within 20 s of {NAMES[signum]}: {err[-2000:]}") \
            from None
    return proc.returncode, out, err


def assert_one_line(err: str, line: str) -> None:
    assert "Traceback" not in err
    interrupted = [x for x in err.splitlines() if x.startswith("release-guard: ")]
    assert interrupted == [line], err


def backend_group(pidfile: Path) -> int:
    """The process group of the backend (the PID file is written once it runs): release-guard
    made it, or `python -m build`'s that it made."""
    pgid = os.getpgid(int(pidfile.read_text()))
    assert pgid != os.getpgid(0)
    return pgid


def assert_nothing_left(pidfile: Path, pgid: int, marker: str, tmpdir: Path) -> None:
    pid = int(pidfile.read_text())
    deadline = time.monotonic() + 3
    while (alive(pid) or survivors(marker)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(pid), f"the build backend (PID {pid}) is still running"
    assert not group_alive(pgid)
    assert survivors(marker) == []
    assert sorted(p.name for p in tmpdir.iterdir()) == []


def start(args: list[str], cwd: Path, tmpdir: Path, pidfile: Path, **extra: str) -> subprocess.Popen[str]:
    env = clean_env(TMPDIR=str(tmpdir), SLOW_BACKEND_PIDFILE=str(pidfile), **extra)
    return subprocess.Popen([console_script(), *args], cwd=cwd, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)


# ------------------------------------------------------------------ the backend query


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGHUP], ids=lambda s: NAMES[s])
def test_version_with_a_blocking_backend(repo: GitRepo, tmpdir_of_test: Path, tmp_path: Path,
                                         signum: int) -> None:
    root = slow_project(repo)
    pidfile = tmp_path / "backend.pid"
    proc = start(["version", "--backend"], root, tmpdir_of_test, pidfile)
    wait_for("backend PID file", pidfile.exists, proc)
    pgid = backend_group(pidfile)
    code, out, err = interrupt(proc, signum)
    assert code == CODES[signum]
    assert out == ""
    assert_one_line(err, f"release-guard: interrupted ({NAMES[signum]}) while asking the build backend "
                         "for the version")
    assert_nothing_left(pidfile, pgid, str(tmp_path), tmpdir_of_test)


def test_a_traceback_only_with_debug(repo: GitRepo, tmpdir_of_test: Path, tmp_path: Path) -> None:
    root = slow_project(repo)
    pidfile = tmp_path / "backend.pid"
    proc = start(["version", "--backend"], root, tmpdir_of_test, pidfile, RELEASE_GUARD_DEBUG="1")
    wait_for("backend PID file", pidfile.exists, proc)
    pgid = backend_group(pidfile)
    code, _, err = interrupt(proc, signal.SIGTERM)
    assert code == 143
    assert "Traceback" in err
    assert "Interrupted" in err
    assert err.splitlines()[-1] == ("release-guard: interrupted (SIGTERM) while asking the build backend "
                                    "for the version")
    assert_nothing_left(pidfile, pgid, str(tmp_path), tmpdir_of_test)


def test_sigkill_of_release_guard_still_ends_the_backend(repo: GitRepo, tmpdir_of_test: Path,
                                                         tmp_path: Path) -> None:
    """No handler sees SIGKILL: on Linux the backend runs with PR_SET_PDEATHSIG."""
    if not sys.platform.startswith("linux"):
        pytest.skip("PR_SET_PDEATHSIG is Linux's")
    root = slow_project(repo)
    pidfile = tmp_path / "backend.pid"
    proc = start(["version", "--backend"], root, tmpdir_of_test, pidfile)
    wait_for("backend PID file", pidfile.exists, proc)
    proc.kill()
    proc.communicate(timeout=20)
    pid = int(pidfile.read_text())
    deadline = time.monotonic() + 5
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(pid)


# ------------------------------------------------------------------ a slow build


def test_check_dist_with_a_blocking_build(repo: GitRepo, tmpdir_of_test: Path, tmp_path: Path) -> None:
    root = slow_project(repo, 'version = "1.0"')
    pidfile = tmp_path / "backend.pid"
    proc = start(["check-dist", "--no-isolation"], root, tmpdir_of_test, pidfile)
    wait_for("backend PID file", pidfile.exists, proc)
    pgid = backend_group(pidfile)
    code, _, err = interrupt(proc, signal.SIGTERM)
    assert code == 143
    assert_one_line(err, "release-guard: interrupted (SIGTERM) while building the sdist and wheel")
    assert_nothing_left(pidfile, pgid, str(tmp_path), tmpdir_of_test)


@pytest.mark.slow
def test_release_interrupted_during_the_build_uploaded_nothing(
        repo: GitRepo, tmpdir_of_test: Path, tmp_path: Path, pypiserver_fresh: LocalIndex) -> None:
    root = slow_project(repo, 'version = "1.0"')
    pidfile = tmp_path / "backend.pid"
    proc = start(["release", "--no-isolation", "--repository-url", pypiserver_fresh.upload_url], root,
                 tmpdir_of_test, pidfile, TWINE_USERNAME=USERNAME, TWINE_PASSWORD=PASSWORD)
    wait_for("backend PID file", pidfile.exists, proc)
    pgid = backend_group(pidfile)
    code, _, err = interrupt(proc, signal.SIGINT)
    assert code == 130
    assert "release-guard [5/9] build (python -m build) ... interrupted" in err
    assert_one_line(err, "release-guard: interrupted during step 5/9 (build); nothing was uploaded")
    assert_nothing_left(pidfile, pgid, str(tmp_path), tmpdir_of_test)
    assert pypiserver_fresh.packages is not None
    assert list(pypiserver_fresh.packages.iterdir()) == []


# ------------------------------------------------------------------ an upload cut short


class StallingProxy(ThreadingHTTPServer):
    """Passes every request on to a pypiserver, but holds the second upload (POST) until
    released: twine has uploaded one file and is sending the next."""

    daemon_threads = True

    def __init__(self, upstream: str) -> None:
        super().__init__(("127.0.0.1", 0), _Forward)
        self.upstream = upstream.rstrip("/")
        self.posts = 0
        self.stalled = threading.Event()
        self.release = threading.Event()
        self.stall = True

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/"


class _Forward(BaseHTTPRequestHandler):
    server: StallingProxy

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _pass_on(self, body: bytes | None) -> None:
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        request = urllib.request.Request(self.server.upstream + self.path, data=body, headers=headers,
                                         method=self.command)
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(request, timeout=20) as response:
                status, data = response.status, response.read()
                kind = response.headers.get("Content-Type", "")
        except urllib.error.HTTPError as exc:
            status, data, kind = exc.code, exc.read(), exc.headers.get("Content-Type", "")
        self.send_response(status)
        self.send_header("Content-Type", kind or "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._pass_on(None)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.posts += 1
        if self.server.stall and self.server.posts == 2:
            self.server.stalled.set()
            self.server.release.wait(30)
            return
        self._pass_on(body)


@pytest.fixture
def stalling_proxy(pypiserver_fresh: LocalIndex) -> Iterator[StallingProxy]:
    proxy = StallingProxy(pypiserver_fresh.url)
    thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        proxy.release.set()
        proxy.shutdown()
        proxy.server_close()
        thread.join(timeout=5)


def demo_project(repo: GitRepo) -> Path:
    repo.write("pyproject.toml", '[build-system]\nrequires = ["hatchling"]\n'
               'build-backend = "hatchling.build"\n[tool.hatch.build.targets.wheel]\n'
               'packages = ["src/demo_rel"]\n[project]\nname = "demo-rel"\n'
               'version = "1.0"\ndescription = "A demo"\nreadme = "README.md"\nrequires-python = ">=3.9"\n')
    repo.write("README.md", "# Demo\n\nA demo project.\n")
    repo.write("src/demo_rel/__init__.py", '"""A demo."""\n')
    repo.write(".gitignore", "dist/\nbuild/\n*.egg-info/\n")
    repo.commit("release 1.0")
    return repo.path


@pytest.mark.slow
def test_release_interrupted_during_the_upload_says_which_files_reached_the_index(
        repo: GitRepo, tmpdir_of_test: Path, tmp_path: Path, pypiserver_fresh: LocalIndex,
        stalling_proxy: StallingProxy) -> None:
    root = demo_project(repo)
    args = ["release", "--no-isolation", "--repository-url", stalling_proxy.url, "--wait", "0"]
    proc = start(args, root, tmpdir_of_test, tmp_path / "unused.pid", TWINE_USERNAME=USERNAME,
                 TWINE_PASSWORD=PASSWORD)
    wait_for("second upload", stalling_proxy.stalled.is_set, proc)
    code, _, err = interrupt(proc, signal.SIGTERM)
    assert code == 143
    assert pypiserver_fresh.packages is not None
    reached = [p.name for p in pypiserver_fresh.packages.iterdir()]
    assert len(reached) == 1
    other = next(p.name for p in (root / "dist").iterdir() if p.name != reached[0])
    assert_one_line(err, f"release-guard: interrupted during step 8/9 (upload); {reached[0]} reached the "
                         f"index, {other} did not; run `release-guard release` again to upload the rest "
                         "(files the index holds with the same sha256 are skipped)")
    assert survivors(str(root)) == []
    assert list(tmpdir_of_test.iterdir()) == []

    # and the re-run resumes: only the file that did not reach the index is uploaded
    stalling_proxy.stall = False
    again = subprocess.run([console_script(), *args], cwd=root, capture_output=True, text=True, check=False,
                           env=clean_env(TMPDIR=str(tmpdir_of_test), TWINE_USERNAME=USERNAME,
                                         TWINE_PASSWORD=PASSWORD))
    assert again.returncode == 0, again.stderr
    assert "an interrupted upload of 1.0" in again.stderr
    assert sorted(p.name for p in pypiserver_fresh.packages.iterdir()) == sorted([reached[0], other])


# ------------------------------------------------------------------ the native pre-push hook


@pytest.mark.slow
def test_the_pre_push_hook_interrupted_blocks_the_push(repo: GitRepo, tmp_path: Path, tmpdir_of_test: Path,
                                                       fault_server: FaultServers) -> None:
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", str(remote)], check=True)
    repo.write("pyproject.toml", '[project]\nname = "hang-pkg"\nversion = "1.0"\n\n[tool.release-guard]\n'
               f'index-url = "{fault_server.url}hang/simple/"\n')
    repo.commit("1.0")
    repo.git("remote", "add", "origin", str(remote))
    repo.git("push", "-q", "origin", "main")
    repo.tag("v1.0")
    install = subprocess.run([console_script(), "install-hook"], cwd=repo.path, capture_output=True,
                             text=True, check=False, env=clean_env())
    assert install.returncode == 0, install.stderr
    before = len(fault_server.main.records)
    push = subprocess.Popen(["git", "push", "origin", "v1.0"], cwd=repo.path, env=clean_env(TMPDIR=str(
        tmpdir_of_test)), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    wait_for("index request", lambda: len(fault_server.main.records) > before, push)  # type: ignore[arg-type]
    hook = [int(e.name) for e in Path("/proc").iterdir() if e.name.isdigit() and alive(int(e.name))
            and b"release_guard" in _cmdline(e) and b"pre-push" in _cmdline(e)
            and _ppid(e) == push.pid]
    assert len(hook) == 1, "the hook's shell execs release-guard: git's child is release-guard itself"
    os.kill(hook[0], signal.SIGTERM)
    _, err = push.communicate(timeout=20)
    assert push.returncode != 0
    assert "release-guard: interrupted (SIGTERM) while running `release-guard pre-push`" in err
    assert "Traceback" not in err
    assert subprocess.run(["git", "ls-remote", "--tags", str(remote)], capture_output=True, text=True,
                          check=True).stdout == ""
    assert survivors(str(repo.path)) == []
    assert not alive(hook[0])


def _cmdline(entry: Path) -> bytes:
    try:
        return (entry / "cmdline").read_bytes()
    except OSError:
        return b""


def _ppid(entry: Path) -> int:
    try:
        return int((entry / "stat").read_text().rpartition(")")[2].split()[1])
    except (OSError, IndexError, ValueError):
        return -1


# ------------------------------------------------------------------ the statement itself


def test_what_an_interrupted_upload_says() -> None:
    from release_guard.release_stop import during_upload

    files = [Path("dist/a-1.0.tar.gz"), Path("dist/a-1.0-py3-none-any.whl")]
    rerun = "run `release-guard release` again to upload the rest (files the index holds with the same " \
            "sha256 are skipped)"
    assert during_upload(8, 9, files, ["a-1.0.tar.gz"], False, lambda: set()) == (
        "interrupted during step 8/9 (upload); nothing reached the index; run `release-guard release` again")
    assert during_upload(8, 9, files, ["a-1.0.tar.gz", "a-1.0-py3-none-any.whl"], False, lambda: None) == (
        "interrupted during step 8/9 (upload); a-1.0.tar.gz reached the index; whether "
        f"a-1.0-py3-none-any.whl did is unknown (the index did not answer within 3 s); {rerun}")
    assert during_upload(8, 9, files, ["a-1.0.tar.gz", "a-1.0-py3-none-any.whl"], False,
                         lambda: {"a-1.0-py3-none-any.whl"}) == (
        "interrupted during step 8/9 (upload); every file reached the index: a-1.0.tar.gz, "
        "a-1.0-py3-none-any.whl")
    assert during_upload(9, 9, files, ["a-1.0.tar.gz", "a-1.0-py3-none-any.whl"], True, lambda: None) == (
        "interrupted during step 9/9 (verify); every file reached the index (twine reported each upload): "
        "a-1.0.tar.gz, a-1.0-py3-none-any.whl")
