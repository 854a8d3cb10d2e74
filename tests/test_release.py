"""`release-guard release` end to end: real git repositories, real builds (--no-isolation; one
isolated, from the wheelhouse), real twine uploads to a pypiserver of each test's own and to
devpi (PEP 691 JSON). What an index holds afterwards is read from its simple page directly."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from hashlib import sha256
from pathlib import Path

import pytest

from conftest import GitRepo, LeakGuard, Result, need
from index_servers import (
    PASSWORD,
    UPLOAD_REFUSALS,
    USERNAME,
    FaultServers,
    LocalIndex,
    build_dist,
    clean_env,
    upload,
)
from release_guard import upload as upload_mod
from test_checks_release import DEVPI, FAULT, PARSED, PYPISERVER, TWINE_OUTPUT

Cli = Callable[..., Result]

HATCHLING = '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
SETUPTOOLS = '[build-system]\nrequires = ["setuptools>=77"]\nbuild-backend = "setuptools.build_meta"\n'
SDIST = "demo_rel-1.0.tar.gz"
WHEEL = "demo_rel-1.0-py3-none-any.whl"
BUILD_STEP = "[5/9] build (python -m build)"
JSON_TYPE = "application/vnd.pypi.simple.v1+json"


# ------------------------------------------------------------------ helpers


def write_project(repo: GitRepo, version: str = "1.0", *, name: str = "demo-rel", backend: str = HATCHLING,
                  classifiers: str = "", tool: str = "") -> Path:
    """A small project with a README, committed (dist/, build/ and *.egg-info ignored)."""
    module = name.replace("-", "_")
    tail = ('[tool.setuptools.packages.find]\nwhere = ["src"]\n' if backend is SETUPTOOLS
            else f'[tool.hatch.build.targets.wheel]\npackages = ["src/{module}"]\n')
    repo.write("pyproject.toml", f'{backend}{tail}[project]\nname = "{name}"\nversion = "{version}"\n'
               'description = "A demo"\nreadme = "README.md"\nrequires-python = ">=3.9"\n'
               f"classifiers = [{classifiers}]\n{tool}")
    repo.write("README.md", "# Demo\n\nA demo project.\n")
    repo.write(f"src/{module}/__init__.py", '"""A demo."""\n')
    repo.write(".gitignore", "dist/\nbuild/\n*.egg-info/\n")
    repo.commit(f"release {version}")
    return repo.path


def build_elsewhere(root: Path, out: Path, version: str | None = None) -> list[Path]:
    """The project built from a copy with other content: the same file names (with `version`,
    the names of that version), other sha256."""
    copy = out / "src-copy"
    copy.mkdir(parents=True)
    for name in ("pyproject.toml", "README.md"):
        (copy / name).write_text((root / name).read_text())
    if version is not None:
        text = (copy / "pyproject.toml").read_text()
        (copy / "pyproject.toml").write_text(re.sub(r'(?m)^version = ".*"$', f'version = "{version}"', text))
    (copy / "src" / "demo_rel").mkdir(parents=True)
    (copy / "src" / "demo_rel" / "__init__.py").write_text('"""Another build."""\n')
    subprocess.run([sys.executable, "-m", "build", "--no-isolation", "-o", str(out / "dist"), str(copy)],
                   check=True, capture_output=True, env=clean_env())
    return sorted((out / "dist").iterdir())


def listed(index: LocalIndex, name: str = "demo-rel") -> list[str]:
    """The file names the index's simple page lists for `name` (PEP 691 JSON where the server
    speaks it, else PEP 503 HTML), read directly: no proxy, no release-guard code."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    request = urllib.request.Request(f"{index.simple_url}{name}/",
                                     headers={"Accept": f"{JSON_TYPE}, text/html;q=0.1"})
    try:
        with opener.open(request, timeout=10) as response:
            body = response.read().decode()
            content_type = response.headers.get("Content-Type", "")
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return []
        raise
    if content_type.startswith(JSON_TYPE):
        return sorted(f["filename"] for f in json.loads(body)["files"])
    return sorted(re.findall(r">\s*([^<>\s]+\.(?:whl|tar\.gz))\s*</a>", body))


def uploaded(index: LocalIndex) -> list[str]:
    """What a pypiserver of the test's own received: the files in its folder."""
    assert index.packages is not None
    return sorted(p.name for p in index.packages.iterdir())


def release(cli: Cli, root: Path, index: LocalIndex, *args: str) -> Result:
    return cli("release", "--no-isolation", "--repository-url", index.upload_url, *args, cwd=root)


def steps(err: str) -> list[str]:
    return re.findall(r"^release-guard \[(\d)/9\] ", err, re.MULTILINE)


def twine_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("  twine: ")]


def ok_line(version: str, files: str, where: str) -> str:
    return f"release-guard: released demo-rel {version}: {files} on {where}\n"


def twine_upload(path: Path, url: str, password: str) -> tuple[list[str], upload_mod.Outcome]:
    """upload.run, as release runs twine: the lines it shows, and what it made of the failure."""
    said: list[str] = []
    outcome = upload_mod.run([os.fspath(path)], ["--repository-url", url], [password],
                             clean_env(TWINE_USERNAME=USERNAME, TWINE_PASSWORD=password), said.append)
    return said, outcome


def recorded(case: str, recorded_url: str, url: str, filename: str = SDIST) -> list[str]:
    """test_checks_release's recorded twine lines for `case`, as release shows them here."""
    lines = (line.replace(recorded_url, url).replace(SDIST, filename).strip() for line in TWINE_OUTPUT[case])
    return [f"  twine: {line}" for line in lines if line]


@pytest.fixture
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWINE_USERNAME", USERNAME)
    monkeypatch.setenv("TWINE_PASSWORD", PASSWORD)


# ------------------------------------------------------------------ a release, and a second one


@pytest.mark.slow
@pytest.mark.usefixtures("credentials")
def test_a_clean_release_then_a_second_run_is_refused_before_building(
        repo: GitRepo, cli: Cli, pypiserver_fresh: LocalIndex) -> None:
    index = pypiserver_fresh
    root = write_project(repo)
    first = release(cli, root, index)
    assert first.code == 0, first.out + first.err
    assert first.out == ok_line("1.0", f"{WHEEL}, {SDIST}", index.simple_url)
    assert steps(first.err) == [str(k) for k in range(1, 10)]
    for title in ("[1/9] project, config and check-version ...", "[2/9] release tags on HEAD ...",
                  f"[3/9] demo-rel 1.0 on {index.simple_url} ...", "[4/9] clean ...", f"{BUILD_STEP} ...",
                  "[6/9] check-dist ...", "[7/9] file names are new on the index ...",
                  f"[8/9] upload 2 file(s) to {index.upload_url} with twine ...",
                  f"[9/9] demo-rel 1.0 is on {index.simple_url} ..."):
        assert f"release-guard {title}" in first.err
    assert twine_lines(first.err) == [f"  twine: Uploading distributions to {index.upload_url}",
                                      f"  twine: Uploading {WHEEL}", f"  twine: Uploading {SDIST}"]
    assert listed(index) == [WHEEL, SDIST]
    assert uploaded(index) == [WHEEL, SDIST]
    assert PASSWORD not in first.out + first.err

    dist = root / "dist"
    mtimes = {p.name: p.stat().st_mtime_ns for p in dist.iterdir()}
    second = release(cli, root, index)
    assert second.code == 1
    assert second.out == (
        f"pyproject.toml: RG401 demo-rel 1.0 is already on {index.simple_url} with the very files in dist/; "
        "the upload would answer '400 File already exists'\n"
        "  hint: bump to a free version: 1.0.1, 1.1.0, 2.0.0, 1.0.1.dev0\n")
    assert steps(second.err) == ["1", "2", "3"]  # refused before cleaning or building
    assert BUILD_STEP not in second.err
    assert {p.name: p.stat().st_mtime_ns for p in dist.iterdir()} == mtimes
    assert listed(index) == [WHEEL, SDIST]


@pytest.mark.slow
@pytest.mark.usefixtures("credentials")
def test_dry_run_builds_and_checks_but_uploads_nothing(
        repo: GitRepo, cli: Cli, pypiserver_fresh: LocalIndex) -> None:
    index = pypiserver_fresh
    root = write_project(repo)
    result = release(cli, root, index, "--dry-run")
    assert result.code == 0, result.out + result.err
    assert result.out == (f"release-guard: dry run: demo-rel 1.0 is ready; `release` would upload "
                          f"dist/{WHEEL}, dist/{SDIST} to {index.upload_url}\n")
    assert "release-guard [8/9] upload: skipped (--dry-run)" in result.err
    assert "release-guard [9/9] verify: skipped (--dry-run)" in result.err
    assert twine_lines(result.err) == []
    assert sorted(p.name for p in (root / "dist").iterdir()) == [WHEEL, SDIST]
    assert listed(index) == []
    assert uploaded(index) == []


# ------------------------------------------------------------------ an interrupted upload


@pytest.mark.slow
@pytest.mark.usefixtures("credentials")
def test_a_partial_upload_is_finished_with_the_files_in_dist(
        repo: GitRepo, cli: Cli, pypiserver_fresh: LocalIndex) -> None:
    index = pypiserver_fresh
    root = write_project(repo)
    assert release(cli, root, index, "--dry-run").code == 0
    upload(index, [root / "dist" / WHEEL])  # the upload that was interrupted after the wheel
    wheel_bytes = (root / "dist" / WHEEL).read_bytes()

    result = release(cli, root, index, "--wait", "0")
    assert result.code == 0, result.out + result.err
    assert result.out == ok_line("1.0", SDIST, index.simple_url)
    assert result.err.endswith("release-guard [9/9] verify: skipped (--wait 0)\n")
    assert "  an interrupted upload of 1.0: the index holds part of dist/, with the same sha256; the rest " \
        "will be uploaded" in result.err
    assert "release-guard [4/9] clean: skipped (finishing the interrupted upload with the files in dist/)" \
        in result.err
    assert "release-guard [5/9] build: skipped" in result.err
    assert BUILD_STEP not in result.err
    assert "[8/9] upload 1 file(s)" in result.err
    assert twine_lines(result.err) == [f"  twine: Uploading distributions to {index.upload_url}",
                                       f"  twine: Uploading {SDIST}"]
    assert listed(index) == [WHEEL, SDIST]
    assert index.packages is not None
    assert (index.packages / WHEEL).read_bytes() == wheel_bytes


@pytest.mark.slow
@pytest.mark.usefixtures("credentials")
def test_finishing_a_partial_upload_sends_no_file_of_another_build_of_an_equal_version(
        repo: GitRepo, cli: Cli, pypiserver_fresh: LocalIndex, tmp_path: Path) -> None:
    """1.0.0 equals 1.0, but demo_rel-1.0.0-py3-none-any.whl is no file of the interrupted
    run that built demo_rel-1.0-*: uploaded, the release would hold two different wheels for
    one tag."""
    index = pypiserver_fresh
    root = write_project(repo)
    assert release(cli, root, index, "--dry-run").code == 0
    upload(index, [root / "dist" / WHEEL])
    [other] = [p for p in build_elsewhere(root, tmp_path / "other", "1.0.0") if p.suffix == ".whl"]
    shutil.copy(other, root / "dist" / other.name)

    result = release(cli, root, index, "--wait", "0")
    assert result.code == 0, result.out + result.err
    assert result.out == ok_line("1.0", SDIST, index.simple_url)
    assert twine_lines(result.err) == [f"  twine: Uploading distributions to {index.upload_url}",
                                       f"  twine: Uploading {SDIST}"]
    assert listed(index) == [WHEEL, SDIST]


@pytest.mark.slow
@pytest.mark.usefixtures("credentials")
def test_an_unreadable_file_of_a_partial_upload_is_exit_2_in_one_line(
        repo: GitRepo, cli: Cli, pypiserver_fresh: LocalIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    """(As root, chmod 000 does not stop a read: the refusal is made by hand here.)"""
    index = pypiserver_fresh
    root = write_project(repo)
    assert release(cli, root, index, "--dry-run").code == 0
    upload(index, [root / "dist" / WHEEL])
    unreadable = (root / "dist" / SDIST).resolve()
    real_open = Path.open

    def refusing_open(self: Path, *args: object, **kwargs: object) -> object:
        if self.resolve() == unreadable:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(Path, "open", refusing_open)
    result = release(cli, root, index)
    assert result.code == 2
    assert result.out == ""
    assert result.err.endswith(f"release-guard: error: cannot read dist/{SDIST}: PermissionError (hint: "
                               "check its permissions, or remove it from dist)\n")
    assert listed(index) == [WHEEL]


@pytest.mark.slow
@pytest.mark.usefixtures("credentials")
def test_a_partial_upload_of_other_content_is_rg403_and_uploads_nothing(
        repo: GitRepo, cli: Cli, pypiserver_fresh: LocalIndex, tmp_path: Path) -> None:
    index = pypiserver_fresh
    root = write_project(repo)
    assert release(cli, root, index, "--dry-run").code == 0
    [theirs] = [p for p in build_elsewhere(root, tmp_path / "other") if p.name == WHEEL]
    upload(index, [theirs])  # the same name and version, built from other content
    their_sha, my_sha = (sha256(p.read_bytes()).hexdigest() for p in (theirs, root / "dist" / WHEEL))
    assert their_sha != my_sha

    result = release(cli, root, index)
    assert result.code == 1
    assert result.out == (
        f"dist/{WHEEL}: RG403 {WHEEL} on {index.simple_url} is not the file in dist/{WHEEL}: sha256 "
        f"{their_sha} on the index, {my_sha} here\n"
        "  hint: the index keeps its file: upload the rest only with files of that same build, or release "
        "a new version\n")
    assert steps(result.err) == ["1", "2", "3"]
    assert twine_lines(result.err) == []
    assert listed(index) == [WHEEL]
    assert index.packages is not None
    assert sha256((index.packages / WHEEL).read_bytes()).hexdigest() == their_sha
    # what the upload would have met: the index refuses the file (test_checks_release's lines)
    said, outcome = twine_upload(root / "dist" / WHEEL, index.upload_url, PASSWORD)
    assert said == recorded("pypiserver-exists", PYPISERVER, index.upload_url, WHEEL)
    assert (outcome.status, outcome.reason) == PARSED["pypiserver-exists"]


# ------------------------------------------------------------------ credentials refused


@pytest.mark.slow
def test_a_wrong_password_is_rg406_naming_403_and_never_shown(
        repo: GitRepo, cli: Cli, pypiserver_fresh: LocalIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    index = pypiserver_fresh
    wrong = "not-the-password-42"
    monkeypatch.setenv("TWINE_USERNAME", USERNAME)
    monkeypatch.setenv("TWINE_PASSWORD", wrong)
    root = write_project(repo)
    result = release(cli, root, index)
    assert result.code == 1
    assert result.out == (
        f"RG406 upload to {index.upload_url} refused (403 Forbidden): the index refused the credentials "
        "for this upload\n"
        f"  hint: check TWINE_USERNAME/TWINE_PASSWORD (or the .pypirc section) for {index.upload_url}\n")
    assert twine_lines(result.err) == recorded("pypiserver-wrong-password", PYPISERVER, index.upload_url,
                                               WHEEL)  # twine sends the wheel first
    assert wrong not in result.out + result.err
    assert listed(index) == []


@pytest.mark.slow
def test_a_refused_upload_fails_even_when_the_project_ignores_rg406(
        repo: GitRepo, cli: Cli, pypiserver_fresh: LocalIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    """`ignore` silences checks; twine's failure is no check: a release that did not upload is
    never exit 0 (a contributor's pyproject.toml must not turn a failed release job green)."""
    monkeypatch.setenv("TWINE_USERNAME", USERNAME)
    monkeypatch.setenv("TWINE_PASSWORD", "not-the-password-42")
    root = write_project(repo, tool='[tool.release-guard]\nignore = ["RG406", "RG407"]\n')
    result = release(cli, root, pypiserver_fresh)
    assert result.code == 1, result.out + result.err
    assert result.out.startswith(f"RG406 upload to {pypiserver_fresh.upload_url} refused (403 Forbidden)")
    assert "released" not in result.out
    assert listed(pypiserver_fresh) == []


@pytest.mark.slow
def test_no_username_and_no_terminal_is_rg406_credential_not_found(
        repo: GitRepo, pypiserver_fresh: LocalIndex) -> None:
    root = write_project(repo)
    proc = subprocess.run(
        [sys.executable, "-m", "release_guard", "release", "--no-isolation", "--repository-url",
         pypiserver_fresh.upload_url], cwd=root, capture_output=True, text=True, stdin=subprocess.DEVNULL,
        env=clean_env(TWINE_PASSWORD=PASSWORD), timeout=120)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert proc.stdout == (
        f"RG406 upload to {pypiserver_fresh.upload_url} refused (NonInteractive: Credential not found for "
        "username.): twine found no credentials for this target, and without a terminal it cannot ask\n"
        "  hint: set TWINE_USERNAME and TWINE_PASSWORD, or username and password in the .pypirc section\n")
    assert "  twine: ERROR    NonInteractive: Credential not found for username." in proc.stderr
    assert PASSWORD not in proc.stdout + proc.stderr
    assert listed(pypiserver_fresh) == []


@pytest.mark.slow
@pytest.mark.usefixtures("credentials")
def test_a_refusal_of_the_public_index_is_explained(
        repo: GitRepo, cli: Cli, fault_server: FaultServers, pypiserver_fresh: LocalIndex) -> None:
    """twine uploads to a server that refuses as the public index does; the index is read from
    an empty pypiserver."""
    root = write_project(repo)
    target = f"{fault_server.url}refuse/exists/"
    result = cli("release", "--no-isolation", "--repository-url", target, "--index-url",
                 pypiserver_fresh.simple_url, cwd=root)
    assert result.code == 1
    assert result.out == (
        f"RG406 upload to {target} refused (400 Bad Request File already exists ('demo_rel-1.0.tar.gz', with "
        "blake2_256 hash 'ab12').): a file of this name is already on the index with other content: a "
        "version is never re-released\n"
        "  hint: bump the version (1.0.1, 1.1.0, 2.0.0, 1.0.1.dev0) and release again\n")
    assert [r.path for r in fault_server.main.records if r.path.startswith("/refuse/")] == ["/refuse/exists/"]


WRAPPED = "Wrapped-Secret-Value"  # no digit: not shaped like a token, so only masking can hide it


@pytest.mark.slow
@pytest.mark.parametrize("pad", [975, 982, 985, 988, 991])
def test_a_password_that_twine_wraps_across_two_lines_is_masked(
        pad: int, fault_server: FaultServers, one_sdist: Path, leak_guard: LeakGuard) -> None:
    """A server that echoes the password after a long run of text: twine's console (1000
    columns) folds the line inside the password, and neither half may show."""
    leak_guard.register(WRAPPED)
    said, outcome = twine_upload(one_sdist, f"{fault_server.url}echo/{pad}/", WRAPPED)
    assert outcome.status == 403
    shown = [line.removeprefix("  twine: ") for line in said]
    assert len(shown[-2]) > 900  # the reason took two lines (at 991, the password is all on the second)
    assert WRAPPED not in "".join(shown)
    assert WRAPPED not in outcome.reason.replace(" ", "")
    assert "********" in shown[-2] + shown[-1]


@pytest.mark.slow
def test_a_server_that_echoes_the_authorization_header_shows_no_credentials(
        repo: GitRepo, cli: Cli, fault_server: FaultServers, pypiserver_fresh: LocalIndex,
        leak_guard: LeakGuard, monkeypatch: pytest.MonkeyPatch) -> None:
    """`Basic base64(user:password)` is the password in another spelling: a short one is not
    shaped like a token, so only masking can hide it."""
    import base64

    basic = base64.b64encode(f"{USERNAME}:hunter22".encode()).decode()
    leak_guard.register(basic)
    monkeypatch.setenv("TWINE_USERNAME", USERNAME)
    monkeypatch.setenv("TWINE_PASSWORD", "hunter22")
    root = write_project(repo)
    target = f"{fault_server.url}echo-header/"
    result = cli("release", "--no-isolation", "--repository-url", target, "--index-url",
                 pypiserver_fresh.simple_url, cwd=root)
    assert result.code == 1
    assert result.out.startswith(f"RG406 upload to {target} refused (403 Forbidden bad Authorization: Basic "
                                 "********)")
    assert basic not in result.out + result.err
    assert "  twine: bad Authorization: Basic ********" in result.err


@pytest.mark.slow
@pytest.mark.parametrize("how", ["--repository-url", "RELEASE_GUARD_REPOSITORY"])
def test_a_percent_encoded_password_in_the_url_is_masked_as_twine_sends_it(
        how: str, repo: GitRepo, cli: Cli, fault_server: FaultServers, pypiserver_fresh: LocalIndex,
        leak_guard: LeakGuard, monkeypatch: pytest.MonkeyPatch) -> None:
    """twine takes the URL's userinfo as it is written (urlparse does not decode it) and sends
    `hunter%2D22`: that spelling is the secret twine knows, and the one a server echoes."""
    encoded = "hunter%2D22"
    leak_guard.register(encoded, "hunter-22")
    target = f"http://{USERNAME}:{encoded}@127.0.0.1:{fault_server.main.port}/echo/0/"
    args = ["--repository-url", target] if how == "--repository-url" else []
    if how != "--repository-url":
        monkeypatch.setenv(how, target)
    root = write_project(repo)
    result = cli("release", "--no-isolation", *args, "--index-url", pypiserver_fresh.simple_url, cwd=root)
    assert result.code == 1
    shown = f"http://127.0.0.1:{fault_server.main.port}/echo/0/"
    assert result.out.startswith(f"RG406 upload to {shown} refused (403 Forbidden ********)")
    assert encoded not in result.out + result.err
    assert "  twine: ********" in result.err


@pytest.mark.slow
def test_credentials_in_the_environment_stay_out_of_every_command_line(
        repo: GitRepo, cli: Cli, pypiserver_fresh: LocalIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    """A command line is world-readable (ps, /proc/PID/cmdline), a process's environment is
    not: an upload URL with userinfo in RELEASE_GUARD_REPOSITORY reaches twine through its
    environment, not its arguments."""
    with_userinfo = pypiserver_fresh.upload_url.replace("://", f"://{USERNAME}:{PASSWORD}@")
    monkeypatch.setenv("RELEASE_GUARD_REPOSITORY", with_userinfo)
    command_lines: list[str] = []
    real_popen = subprocess.Popen

    class RecordingPopen(real_popen):  # type: ignore[valid-type,misc]
        def __init__(self, args: object, *rest: object, **kwargs: object) -> None:
            command_lines.append(" ".join(map(str, args)) if isinstance(args, (list, tuple)) else str(args))
            super().__init__(args, *rest, **kwargs)

    monkeypatch.setattr(subprocess, "Popen", RecordingPopen)
    root = write_project(repo)
    result = cli("release", "--no-isolation", "--wait", "0", cwd=root)
    assert result.code == 0, result.out + result.err
    assert listed(pypiserver_fresh) == [WHEEL, SDIST]
    twine = [line for line in command_lines if " upload --disable-progress-bar " in line]
    assert len(twine) == 1
    assert [line for line in command_lines if PASSWORD in line] == []


FAKE_KEYRING = """from keyring.backend import KeyringBackend

class FakeKeyring(KeyringBackend):
    priority = 1

    def get_password(self, service, username):
        return "KeyringOnlySecret" if username == "guard" else None

    def set_password(self, service, username, password):
        raise NotImplementedError

    def delete_password(self, service, username):
        raise NotImplementedError
"""


@pytest.mark.slow
def test_a_password_from_keyring_is_masked_too(
        repo: GitRepo, cli: Cli, fault_server: FaultServers, pypiserver_fresh: LocalIndex, tmp_path: Path,
        leak_guard: LeakGuard, monkeypatch: pytest.MonkeyPatch) -> None:
    """twine's last source of a password is keyring (asked for the upload URL and the user): a
    server that echoes it must not put it on stderr either."""
    import keyring.core

    leak_guard.register("KeyringOnlySecret")
    backend = tmp_path / "backend"
    backend.mkdir()
    (backend / "fake_keyring_backend.py").write_text(FAKE_KEYRING)
    leak_guard.allow_file(backend / "fake_keyring_backend.py")  # the keyring: where the password lives
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    monkeypatch.syspath_prepend(str(backend))
    monkeypatch.setenv("PYTHONPATH", str(backend))  # twine's process
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "fake_keyring_backend.FakeKeyring")
    monkeypatch.setattr(keyring.core, "_keyring_backend", None)  # chosen again, from the variable
    monkeypatch.setenv("TWINE_USERNAME", USERNAME)
    root = write_project(repo)
    target = f"{fault_server.url}echo/0/"
    result = cli("release", "--no-isolation", "--repository-url", target, "--index-url",
                 pypiserver_fresh.simple_url, cwd=root)
    assert result.code == 1
    assert result.out.startswith(f"RG406 upload to {target} refused (403 Forbidden ********)")
    assert "  twine: ********" in result.err


SEES_ENV = """import os, pathlib
from setuptools import setup
wanted = ("TWINE_", "RELEASE_GUARD_", "ACTIONS_ID_TOKEN_REQUEST_")
seen = sorted(k for k in os.environ if k.upper().startswith(wanted))
with open(pathlib.Path(__file__).parent / "seen-by-the-build.txt", "a") as out:
    out.write(" ".join(seen) + "\\n")
setup()
"""


@pytest.mark.slow
def test_the_build_backend_sees_no_credentials(
        repo: GitRepo, cli: Cli, pypiserver_fresh: LocalIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    """The project's build backend is the project's code (a contributor's setup.py or build
    hook): the upload's credentials, their target and GitHub's OIDC token request are not its
    business. twine, which needs them, still gets them."""
    monkeypatch.setenv("TWINE_USERNAME", USERNAME)
    monkeypatch.setenv("TWINE_PASSWORD", PASSWORD)
    monkeypatch.setenv("RELEASE_GUARD_REPOSITORY", pypiserver_fresh.upload_url)
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "oidc-request-token-value")
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_URL", "http://127.0.0.1:9/oidc")
    root = write_project(repo, backend=SETUPTOOLS)
    repo.write("setup.py", SEES_ENV)
    repo.write(".gitignore", "dist/\nbuild/\n*.egg-info/\nseen-by-the-build.txt\n")
    repo.commit("a setup.py that looks around")
    result = cli("release", "--no-isolation", "--wait", "0", cwd=root)
    assert result.code == 0, result.out + result.err
    seen = (root / "seen-by-the-build.txt").read_text().split()
    assert seen == []
    assert listed(pypiserver_fresh) == [WHEEL, SDIST]


SHADOW_TWINE = """import os, pathlib, sys
pathlib.Path(os.environ["SHADOW_MARKER"]).write_text(" ".join(sorted(k for k in os.environ if "TWINE" in k)))
sys.exit(0)
"""


@pytest.mark.slow
@pytest.mark.usefixtures("credentials")
def test_a_twine_folder_in_the_project_is_not_run_as_twine(
        repo: GitRepo, cli: Cli, pypiserver_fresh: LocalIndex, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """`python -m twine` puts the working directory — the project, where release usually runs
    — first on sys.path: the project's own `twine/` ran with the credentials and, exiting 0,
    made a release that uploaded nothing."""
    marker = tmp_path / "shadow-ran.txt"
    monkeypatch.setenv("SHADOW_MARKER", str(marker))
    root = write_project(repo)
    repo.write("twine/__init__.py", "")
    repo.write("twine/__main__.py", SHADOW_TWINE)
    repo.commit("a folder named twine")
    result = release(cli, root, pypiserver_fresh, "--wait", "0")
    assert result.code == 0, result.out + result.err
    assert not marker.exists(), marker.read_text()
    assert f"  twine: Uploading {SDIST}" in result.err
    assert listed(pypiserver_fresh) == [WHEEL, SDIST]


@pytest.fixture(scope="module")
def one_sdist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    [sdist] = [p for p in build_dist(tmp_path_factory.mktemp("twine"), "demo-rel", "1.0") if p.name == SDIST]
    return sdist


@pytest.mark.slow
@pytest.mark.parametrize("key", list(UPLOAD_REFUSALS))
def test_twine_still_prints_the_recorded_lines(key: str, fault_server: FaultServers, one_sdist: Path) -> None:
    """test_checks_release's lines are what twine prints today."""
    said, outcome = twine_upload(one_sdist, f"{fault_server.url}refuse/{key}/", PASSWORD)
    assert said == recorded(key, FAULT, fault_server.url)
    assert outcome.returncode == 1
    assert (outcome.status, outcome.reason) == PARSED[key]


# ------------------------------------------------------------------ devpi: PEP 691 JSON


@pytest.mark.slow
def test_a_release_to_devpi_then_rg401(repo: GitRepo, cli: Cli, devpi_empty: LocalIndex,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The target from TWINE_REPOSITORY_URL, credentials in its userinfo: twine's own way."""
    name = "devpi-rel"  # devpi_empty is shared by the session: a name no other test uploads
    root = write_project(repo, name=name)
    files = ["devpi_rel-1.0-py3-none-any.whl", "devpi_rel-1.0.tar.gz"]
    with_userinfo = devpi_empty.upload_url.replace("://", f"://{USERNAME}:{PASSWORD}@")
    monkeypatch.setenv("TWINE_REPOSITORY_URL", with_userinfo)
    first = cli("release", "--no-isolation", cwd=root)
    assert first.code == 0, first.out + first.err
    assert f"  twine: Uploading distributions to {devpi_empty.upload_url}\n" in first.err
    assert PASSWORD not in first.out + first.err
    shown = ", ".join(files)
    assert first.out == f"release-guard: released {name} 1.0: {shown} on {devpi_empty.simple_url}\n"
    assert listed(devpi_empty, name) == files
    second = release(cli, root, devpi_empty)
    assert second.code == 1
    assert f"RG401 {name} 1.0 is already on {devpi_empty.simple_url} with the very files in dist/" \
        in second.out
    assert BUILD_STEP not in second.err
    assert listed(devpi_empty, name) == files
    said, outcome = twine_upload(root / "dist" / files[1], devpi_empty.upload_url, "not-the-password")
    assert said == recorded("devpi-wrong-password", DEVPI, devpi_empty.upload_url, files[1])
    assert (outcome.status, outcome.reason) == PARSED["devpi-wrong-password"]


# ------------------------------------------------------------------ version on the index


@pytest.mark.slow
@pytest.mark.usefixtures("credentials")
def test_released_and_older_versions_are_refused_and_allow_older_lets_a_backport_through(
        repo: GitRepo, cli: Cli, pypiserver_fresh: LocalIndex, tmp_path: Path) -> None:
    index = pypiserver_fresh
    root = write_project(repo, "1.0")
    upload(index, build_elsewhere(root, tmp_path / "released"))
    released = release(cli, root, index)
    assert released.code == 1
    assert released.out.startswith(f"pyproject.toml: RG401 demo-rel 1.0 is already on {index.simple_url}; ")
    assert BUILD_STEP not in released.err
    assert not (root / "dist").exists()

    as_json = release(cli, root, index, "--format", "json")  # one JSON document; the steps on stderr
    document = json.loads(as_json.out)
    assert [f["code"] for f in document["findings"]] == ["RG401"]
    assert document["exit_code"] == as_json.code == 1
    assert steps(as_json.err) == ["1", "2", "3"]

    write_project(repo, "1.0.0")
    assert f"RG401 demo-rel 1.0.0 is already on {index.simple_url} as 1.0;" in release(cli, root, index).out

    write_project(repo, "0.9")
    older = release(cli, root, index)
    assert older.code == 1
    assert older.out == (
        f"pyproject.toml: RG402 demo-rel 0.9 is older than 1.0, the newest release on {index.simple_url}\n"
        "  hint: bump to 1.0.1, 1.1.0, 2.0.0, 1.0.1.dev0; for a backport set allow-older = true in "
        "[tool.release-guard]\n")
    assert BUILD_STEP not in older.err

    backport = release(cli, root, index, "--allow-older", "--dry-run")
    assert backport.code == 0, backport.out + backport.err
    assert backport.out.startswith("release-guard: dry run: demo-rel 0.9 is ready;")
    assert listed(index) == [WHEEL, SDIST]

    # `ignore` cannot turn a stop into a green job: RG401 still fails; an ignored RG402 is allow-older
    write_project(repo, "0.9", tool='[tool.release-guard]\nignore = ["RG402"]\n')
    ignored = release(cli, root, index, "--dry-run")
    assert ignored.code == 0, ignored.out + ignored.err
    assert ignored.out.startswith("release-guard: dry run: demo-rel 0.9 is ready;")
    write_project(repo, "1.0", tool='[tool.release-guard]\nignore = ["RG401"]\n')
    still = release(cli, root, index, "--dry-run")
    assert still.code == 1
    assert "RG401 demo-rel 1.0 is already on" in still.out


# ------------------------------------------------------------------ tags


@pytest.mark.slow
def test_require_tag_and_a_tag_of_another_version(repo: GitRepo, cli: Cli,
                                                  pypiserver_fresh: LocalIndex) -> None:
    index = pypiserver_fresh
    root = write_project(repo)
    untagged = release(cli, root, index, "--require-tag", "--dry-run")
    assert untagged.code == 1
    assert untagged.out == ("pyproject.toml: RG404 HEAD carries no tag for 1.0 (require-tag = true)\n"
                            "  hint: tag the release commit: git tag v1.0 && git push origin v1.0\n")
    assert steps(untagged.err) == ["1", "2"]

    write_project(repo, tool="[tool.release-guard]\nrequire-tag = true\n")
    assert "RG404" in release(cli, root, index, "--dry-run").out  # the key, as the flag

    repo.tag("v1.0")
    tagged = release(cli, root, index, "--dry-run")
    assert tagged.code == 0, tagged.out + tagged.err
    assert tagged.out.startswith("release-guard: dry run: demo-rel 1.0 is ready;")

    repo.tag("v0.9")  # (a newer tag would be check-version's RG105 first)
    other = release(cli, root, index, "--dry-run")
    assert other.code == 1
    assert other.out.startswith("pyproject.toml:8: RG201 tag v0.9 says 0.9 but the project version at the "
                                "tagged commit is 1.0\n")
    assert BUILD_STEP not in other.err
    assert listed(index) == []


# ------------------------------------------------------------------ where credentials go


@pytest.mark.slow
@pytest.mark.usefixtures("credentials")
def test_an_upload_url_from_pyproject_is_refused_and_the_same_url_as_a_flag_works(
        repo: GitRepo, cli: Cli, pypiserver_fresh: LocalIndex) -> None:
    index = pypiserver_fresh
    root = write_project(repo, tool=f'[tool.release-guard]\nrepository = "{index.upload_url}"\n')
    refused = cli("release", "--no-isolation", cwd=root)
    assert refused.code == 2
    assert refused.out == ""
    errors = [line for line in refused.err.splitlines() if not line.startswith("release-guard [")]
    assert errors == [
        f"release-guard: error: the upload URL {index.upload_url} comes from pyproject.toml: release-guard "
        f"uploads only to a target you choose (hint: choose it yourself: --repository-url {index.upload_url} "
        "(or RELEASE_GUARD_REPOSITORY, TWINE_REPOSITORY_URL, or a .pypirc section named in repository))"]
    assert not (root / "dist").exists()
    assert uploaded(index) == []
    assert listed(index) == []

    chosen = release(cli, root, index)
    assert chosen.code == 0, chosen.out + chosen.err
    assert listed(index) == [WHEEL, SDIST]


@pytest.mark.slow
@pytest.mark.usefixtures("credentials")
def test_a_url_in_twine_repository_is_where_twine_uploads_too(
        repo: GitRepo, cli: Cli, pypiserver_fresh: LocalIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    """release-guard reads a URL in TWINE_REPOSITORY as the target (as it reads -r URL), and
    says so; twine, given it as a section name, refused: 'Missing ... section from ~/.pypirc'."""
    monkeypatch.setenv("TWINE_REPOSITORY", pypiserver_fresh.upload_url)
    root = write_project(repo)
    dry = cli("release", "--no-isolation", "--dry-run", cwd=root)
    assert dry.out.endswith(f" to {pypiserver_fresh.upload_url}\n")
    result = cli("release", "--no-isolation", "--wait", "0", cwd=root)
    assert result.code == 0, result.out + result.err
    assert listed(pypiserver_fresh) == [WHEEL, SDIST]


@pytest.mark.parametrize("url", ["http://example.invalid/legacy/", "http://10.0.0.1:8080/"])
def test_plain_http_to_another_host_is_refused(repo: GitRepo, cli: Cli, url: str, credentials: None) -> None:
    root = write_project(repo)
    result = cli("release", "--repository-url", url, cwd=root)
    assert result.code == 2
    assert result.out == ""
    assert f"release-guard: error: the upload URL {url} is plain http: twine would send the credentials in " \
        "clear text (hint: use the index's https:// upload URL)\n" in result.err
    assert not (root / "dist").exists()


def test_a_monorepo_root_is_exit_2(repo: GitRepo, cli: Cli) -> None:
    repo.write("pyproject.toml", '[tool.release-guard]\nprojects = ["pkg-a"]\n')
    repo.write("pkg-a/pyproject.toml", '[project]\nname = "pkg-a"\nversion = "1.0"\n')
    repo.commit()
    result = cli("release", "--repository-url", "http://127.0.0.1:9/", cwd=repo.path)
    assert result.code == 2
    assert result.out == ""
    assert result.err.endswith(
        "release-guard: error: pyproject.toml lists projects: release releases one project at a time "
        "(hint: name it: release-guard release --project <path of the project>)\n")
    assert not (repo.path / "dist").exists()


@pytest.mark.slow
def test_a_pypirc_section_with_json_output(repo: GitRepo, cli: Cli, pypiserver_fresh: LocalIndex,
                                           tmp_path: Path) -> None:
    index = pypiserver_fresh
    pypirc = tmp_path / "pypirc"
    pypirc.write_text(f"[distutils]\nindex-servers =\n    local\n\n[local]\nrepository = {index.upload_url}\n"
                      f"username = {USERNAME}\npassword = {PASSWORD}\n")
    root = write_project(repo)
    target = ("release", "--no-isolation", "-r", "local", "--config-file", os.fspath(pypirc))
    dry = cli(*target, "--dry-run", cwd=root)
    assert dry.out.endswith(f"dist/{SDIST} to local ({index.upload_url})\n")
    result = cli(*target, "--format", "json", cwd=root)
    assert result.code == 0, result.out + result.err
    assert json.loads(result.out) == {"exit_code": 0, "findings": []}  # stdout: one JSON document
    assert steps(result.err) == [str(k) for k in range(1, 10)]
    assert f"  twine: Uploading {SDIST}" in result.err
    assert PASSWORD not in result.out + result.err
    assert listed(index) == [WHEEL, SDIST]


# ------------------------------------------------------------------ cleaning


@pytest.mark.slow
@pytest.mark.usefixtures("credentials")
def test_clean_removes_only_this_projects_build_leftovers(
        repo: GitRepo, cli: Cli, pypiserver_fresh: LocalIndex) -> None:
    root = write_project(repo, backend=SETUPTOOLS)
    repo.write("build/keep.txt", "tracked\n")
    repo.git("add", "-f", "build/keep.txt")
    repo.commit("a tracked build/ folder")
    dist = root / "dist"
    for name in ("other_pkg-2.0-py3-none-any.whl", "notes.txt", "demo_rel-0.9.tar.gz",
                 "demo_rel-0.9-py3-none-any.whl"):
        repo.write(f"dist/{name}", "old\n")
    repo.write("src/demo_rel.egg-info/stale.txt", "old\n")
    repo.write("src/other_pkg.egg-info/PKG-INFO", "other\n")

    result = release(cli, root, pypiserver_fresh, "--dry-run")
    assert result.code == 0, result.out + result.err
    removed = "dist/demo_rel-0.9-py3-none-any.whl, dist/demo_rel-0.9.tar.gz, src/demo_rel.egg-info"
    assert f"  removed: {removed}\n" in result.err
    assert sorted(p.name for p in dist.iterdir()) == [WHEEL, SDIST, "notes.txt",
                                                      "other_pkg-2.0-py3-none-any.whl"]
    assert (root / "build" / "keep.txt").read_text() == "tracked\n"
    assert not (root / "src" / "demo_rel.egg-info" / "stale.txt").exists()
    assert (root / "src" / "other_pkg.egg-info" / "PKG-INFO").read_text() == "other\n"
    assert listed(pypiserver_fresh) == []


@pytest.mark.usefixtures("credentials")
def test_dist_as_a_symlink_is_exit_2_and_nothing_is_written_through_it(
        repo: GitRepo, cli: Cli, pypiserver_fresh: LocalIndex, tmp_path: Path) -> None:
    root = write_project(repo)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "demo_rel-0.9.tar.gz").write_text("not ours to remove\n")
    (root / "dist").symlink_to(elsewhere)
    result = release(cli, root, pypiserver_fresh)
    assert result.code == 2
    assert result.out == ""
    assert result.err.endswith("release-guard: error: dist is a symbolic link: release writes no file "
                               "through one (hint: remove the link, or make dist a plain folder)\n")
    assert [p.name for p in elsewhere.iterdir()] == ["demo_rel-0.9.tar.gz"]
    assert (elsewhere / "demo_rel-0.9.tar.gz").read_text() == "not ours to remove\n"
    assert listed(pypiserver_fresh) == []


def test_no_twine_is_exit_2_before_anything_is_cleaned(repo: GitRepo, cli: Cli, pypiserver_fresh: LocalIndex,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """twine comes with the `release` extra, which a core install lacks (tests/test_lean.py runs
    that install for real): the release needs it for check-dist and the upload, so it says so
    at once — not as an internal error after dist/ was cleaned and the project built."""
    import importlib.util

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name.split(".")[0] == "twine" else real_find_spec(name, *a))
    root = write_project(repo)
    repo.write("dist/demo_rel-0.9.tar.gz", "an earlier build\n")
    result = release(cli, root, pypiserver_fresh, "--dry-run")
    assert result.code == 2
    assert result.out == ""
    assert result.err.endswith("release-guard: error: release needs twine, from release-guard's `release` "
                               "extra, which is not installed (hint: pip install 'release-guard[release]')\n")
    assert steps(result.err) == ["1"]
    assert (root / "dist" / "demo_rel-0.9.tar.gz").exists()


def test_dist_as_a_file_is_exit_2_in_one_line(repo: GitRepo, cli: Cli, pypiserver_fresh: LocalIndex) -> None:
    root = write_project(repo)
    (root / "dist").write_text("not a folder\n")
    result = release(cli, root, pypiserver_fresh, "--dry-run")
    assert result.code == 2
    assert result.out == ""
    assert result.err.endswith("release-guard: error: dist is not a folder: release builds into dist/ "
                               "(hint: move the file dist out of the way)\n")
    assert BUILD_STEP in result.err  # refused before python -m build runs: no time lost
    assert "built:" not in result.err
    assert (root / "dist").read_text() == "not a folder\n"


def cross_device_builds(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The build's temporary folder on another file system than the project, as with a tmpfs
    /tmp: a real one where /dev/shm is one, else os.rename and os.replace out of it fail as
    they would (EXDEV)."""
    import errno
    import tempfile

    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK) and shm.stat().st_dev != tmp_path.stat().st_dev:
        other = Path(tempfile.mkdtemp(dir=shm, prefix="release-guard-test-"))
        monkeypatch.setattr(tempfile, "tempdir", str(other))
        return
    for name in ("rename", "replace"):
        real = getattr(os, name)

        def cross(src: str, dst: str, *args: object, real: Callable[..., None] = real,
                  **kwargs: object) -> None:
            if "release-guard-build-" in os.fspath(src) and "release-guard-build-" not in os.fspath(dst):
                raise OSError(errno.EXDEV, "Invalid cross-device link")
            real(src, dst, *args, **kwargs)

        monkeypatch.setattr(os, name, cross)


@pytest.mark.usefixtures("credentials")
def test_a_symlink_in_dist_named_like_a_built_file_is_never_written_through(
        repo: GitRepo, cli: Cli, pypiserver_fresh: LocalIndex, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """clean leaves a symlink alone; the build must not then write its file through it (a copy
    across file systems opens the destination, and follows the link)."""
    root = write_project(repo)
    victim = tmp_path / "victim.txt"
    victim.write_text("not ours to overwrite\n")
    (root / "dist").mkdir()
    (root / "dist" / SDIST).symlink_to(victim)
    (root / "dist" / WHEEL).symlink_to(tmp_path / "created-elsewhere.whl")  # dangling
    cross_device_builds(monkeypatch, tmp_path)
    result = release(cli, root, pypiserver_fresh, "--dry-run")
    assert result.code == 2, result.out + result.err
    assert result.out == ""
    assert result.err.endswith(f"release-guard: error: dist/{WHEEL} is a symbolic link: release writes no "
                               "file through one (hint: remove the link from dist)\n")
    assert victim.read_text() == "not ours to overwrite\n"
    assert not (tmp_path / "created-elsewhere.whl").exists()
    assert sorted(p.name for p in (root / "dist").iterdir()) == [WHEEL, SDIST]
    assert all((root / "dist" / name).is_symlink() for name in (WHEEL, SDIST))
    assert listed(pypiserver_fresh) == []

    for name in (WHEEL, SDIST):
        (root / "dist" / name).unlink()
    again = release(cli, root, pypiserver_fresh, "--dry-run")  # across file systems, without links
    assert again.code == 0, again.out + again.err
    assert sorted(p.name for p in (root / "dist").iterdir()) == [WHEEL, SDIST]  # no .part left
    assert not any((root / "dist" / name).is_symlink() for name in (WHEEL, SDIST))


# ------------------------------------------------------------------ check-dist stops the release


@pytest.mark.slow
@pytest.mark.usefixtures("credentials")
def test_a_check_dist_failure_stops_before_the_upload(
        repo: GitRepo, cli: Cli, pypiserver_fresh: LocalIndex) -> None:
    # the backends refuse an unknown classifier themselves; the index refuses this one alone
    root = write_project(repo, backend=SETUPTOOLS, classifiers='"Private :: Do Not Upload"')
    result = release(cli, root, pypiserver_fresh, "--format", "json")
    assert result.code == 1
    found = json.loads(result.out)["findings"]
    assert [(f["code"], f["path"]) for f in found] == [("RG310", f"dist/{WHEEL}"), ("RG310", f"dist/{SDIST}")]
    assert steps(result.err) == ["1", "2", "3", "4", "5", "6"]
    assert twine_lines(result.err) == []
    assert listed(pypiserver_fresh) == []
    assert uploaded(pypiserver_fresh) == []


# ------------------------------------------------------------------ verify: --wait


@pytest.mark.slow
@pytest.mark.usefixtures("credentials")
def test_an_index_that_never_lists_the_upload_is_rg407_after_the_wait(
        repo: GitRepo, cli: Cli, new_pypiserver: Callable[[], LocalIndex]) -> None:
    upload_to, read_from = new_pypiserver(), new_pypiserver()
    root = write_project(repo)
    dry = release(cli, root, upload_to, "--index-url", read_from.simple_url, "--dry-run")
    assert dry.out.endswith(f" to {upload_to.upload_url}\n")  # where the files would go, not where it reads

    result = release(cli, root, upload_to, "--index-url", read_from.simple_url, "--wait", "1")
    assert result.code == 1
    assert result.out == (
        f"RG407 the upload succeeded, but {read_from.simple_url} did not list demo-rel 1.0 within 1 s\n"
        "  hint: look again in a minute; if it never shows, index-url may not be where this repository "
        "publishes (set index-url, or --index-url)\n")
    retries = [line for line in result.err.splitlines() if "looking again" in line]
    assert retries == ["  1.0 is not listed yet; looking again in 1 s (up to 1 s more; --wait)"]
    took = re.search(r"\[9/9\] demo-rel 1.0 is on .*?done in ([\d.]+) s", result.err, re.DOTALL)
    assert took is not None, result.err
    assert 0.9 <= float(took.group(1)) < 4.0
    assert listed(upload_to) == [WHEEL, SDIST]
    assert listed(read_from) == []


# ------------------------------------------------------------------ the default, isolated build


@pytest.mark.slow
@pytest.mark.usefixtures("credentials")
def test_an_isolated_build_from_the_wheelhouse(
        repo: GitRepo, cli: Cli, pypiserver_fresh: LocalIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    """What `tox -e release` runs: the isolated build, pip's index switched off."""
    wheelhouse = Path(__file__).resolve().parents[1] / ".wheelhouse"
    need(any(wheelhouse.glob("setuptools-*.whl")),
         "no .wheelhouse with setuptools (the README's test command fills it)")
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(wheelhouse))
    root = write_project(repo, backend=SETUPTOOLS)
    started = time.monotonic()
    result = cli("release", "--repository-url", pypiserver_fresh.upload_url, cwd=root)
    assert result.code == 0, result.out + result.err
    assert result.out == ok_line("1.0", f"{WHEEL}, {SDIST}", pypiserver_fresh.simple_url)
    assert listed(pypiserver_fresh) == [WHEEL, SDIST]
    assert time.monotonic() - started < 60


@pytest.mark.slow
@pytest.mark.usefixtures("credentials")
def test_a_build_with_uv_as_installer(
        repo: GitRepo, cli: Cli, pypiserver_fresh: LocalIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    """--installer uv, offline from the wheelhouse: the dry run builds and checks, and uploads nothing."""
    wheelhouse = Path(__file__).resolve().parents[1] / ".wheelhouse"
    need(any(wheelhouse.glob("setuptools-*.whl")),
         "no .wheelhouse with setuptools (the README's test command fills it)")
    need(shutil.which("uv"), "uv is not on PATH (the test extras install it into the venv: activate it)")
    monkeypatch.setenv("UV_OFFLINE", "1")  # uv has no UV_NO_INDEX; offline, find-links still serve
    monkeypatch.setenv("UV_FIND_LINKS", str(wheelhouse))
    root = write_project(repo, backend=SETUPTOOLS)
    result = cli("release", "--dry-run", "--installer", "uv", "--repository-url", pypiserver_fresh.upload_url,
                 cwd=root)
    assert result.code == 0, result.out + result.err
    assert "[5/9] build (python -m build)" in result.err
    assert sorted(p.name for p in (root / "dist").iterdir()) == sorted([SDIST, WHEEL])
    assert listed(pypiserver_fresh) == []


@pytest.mark.slow
@pytest.mark.usefixtures("credentials")
def test_files_that_git_tracks_in_dist_are_no_interrupted_upload(
        repo: GitRepo, cli: Cli, pypiserver_fresh: LocalIndex) -> None:
    """A pull request could commit dist/ files beside a wheel already on the index: they are no
    earlier run's output, so nothing is finished from them (RG401, nothing uploaded)."""
    index = pypiserver_fresh
    root = write_project(repo)
    assert release(cli, root, index, "--dry-run").code == 0
    upload(index, [root / "dist" / WHEEL])
    repo.git("add", "-f", "dist")
    repo.commit("commit the files")
    result = release(cli, root, index)
    assert result.code == 1
    assert "RG401 demo-rel 1.0 is already on" in result.out
    assert listed(index) == [WHEEL]
