"""Interruptions, reviewed: the backend's wrapper process (backend.py), the interrupted
upload's statement (release_stop.py), with real processes where a process is involved."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

from conftest import GitRepo
from test_interrupt import assert_one_line, console_script, interrupt, survivors

ENV_BACKEND = '''"""An in-tree backend: the version is its to say; it notes which secrets it was shown."""
import os

def get_requires_for_build_wheel(config_settings=None):
    return []

def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    with open(os.environ["SEEN_FILE"], "w") as f:
        f.write(" ".join(sorted(k for k in os.environ if k.startswith(("TWINE_", "ACTIONS_ID_TOKEN_")))))
    info = os.path.join(metadata_directory, "env_pkg-3.1.dist-info")
    os.mkdir(info)
    with open(os.path.join(info, "METADATA"), "w") as f:
        f.write("Metadata-Version: 2.1\\nName: env-pkg\\nVersion: 3.1\\n")
    return "env_pkg-3.1.dist-info"
'''


def backend_project(repo: GitRepo) -> Path:
    repo.write("pyproject.toml", '[build-system]\nrequires = []\nbuild-backend = "env_backend"\n'
               'backend-path = ["_backend"]\n\n[project]\nname = "env-pkg"\ndynamic = ["version"]\n')
    repo.write("_backend/env_backend.py", ENV_BACKEND)
    repo.commit("env backend")
    return repo.path


def run_version(project: Path, seen: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SEEN_FILE": str(seen), **extra}
    env.pop("RELEASE_GUARD_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "release_guard", "version", "--backend"], cwd=project,
                          env=env, capture_output=True, text=True, timeout=120)


def test_a_ctypes_module_in_the_project_is_not_the_wrappers(repo: GitRepo, tmp_path: Path) -> None:
    """The PDEATHSIG wrapper runs in the project's folder: `python -c` would import the
    project's ctypes.py (its code, in release-guard's interpreter) instead of the backend."""
    project = backend_project(repo)
    marker = tmp_path / "ctypes-ran"
    repo.write("ctypes.py", f"open({str(marker)!r}, 'w').close()\nraise SystemExit(3)\n")
    repo.commit("a ctypes.py of its own")
    proc = run_version(project, tmp_path / "seen")
    assert proc.returncode == 0, proc.stderr
    assert "3.1" in proc.stdout
    assert not marker.exists()


def test_the_backend_sees_no_upload_token(repo: GitRepo, tmp_path: Path) -> None:
    """`release` asks the backend for the version (step 1) before it builds: the build runs
    without TWINE_* and the OIDC request token, and so must the backend."""
    project = backend_project(repo)
    seen = tmp_path / "seen"
    proc = run_version(project, seen, TWINE_PASSWORD="pypi-secret", TWINE_USERNAME="__token__",
                       ACTIONS_ID_TOKEN_REQUEST_TOKEN="oidc", ACTIONS_ID_TOKEN_REQUEST_URL="https://127.0.0.1/")
    assert proc.returncode == 0, proc.stderr
    assert seen.read_text() == ""


def test_an_upload_cut_short_before_twine_said_anything() -> None:
    """twine printed nothing (or only began the first file) and the index did not answer:
    whether any file reached it is unknown — not "no file reached the index"."""
    from release_guard.release_stop import during_upload

    files = [Path("dist/a-1.0.tar.gz"), Path("dist/a-1.0-py3-none-any.whl")]
    for started in ([], ["a-1.0.tar.gz"]):
        line = during_upload(8, 9, files, started, False, lambda: None)
        assert line.startswith("interrupted during step 8/9 (upload); whether a-1.0.tar.gz, "
                               "a-1.0-py3-none-any.whl reached the index is unknown (the index did not "
                               "answer within 3 s); run `release-guard release` again"), line
        assert "no file" not in line


def test_without_sighup_and_process_groups_the_commands_still_run(repo: GitRepo, tmp_path: Path) -> None:
    """Windows has no signal.SIGHUP and no os.killpg: interrupt.py's import raised
    AttributeError, so every command but the commit hook's was an internal error. (A real
    interpreter with those two names removed before release-guard is imported; the
    project's CI has no Windows runner.)"""
    project = backend_project(repo)
    code = ("import os, signal, sys\ndel signal.SIGHUP, os.killpg\nfrom release_guard.cli import main\n"
            "from release_guard import interrupt\ncode = main(['version', '--backend'])\n"
            "assert not interrupt.installed()\n"
            "assert signal.getsignal(signal.SIGINT) is signal.default_int_handler\n"
            "sys.exit(code)\n")
    env = {**os.environ, "SEEN_FILE": str(tmp_path / "seen")}
    proc = subprocess.run([sys.executable, "-c", code], cwd=project, env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "3.1" in proc.stdout


def in_build_env(tmpdir: Path) -> bool:
    """pip, run again by pip with the Python of build's environment in `tmpdir`."""
    for entry in Path("/proc").iterdir():
        try:
            cmdline = (entry / "cmdline").read_bytes() if entry.name.isdigit() else b""
            if cmdline.startswith(os.fsencode(tmpdir)) and b"__pip-runner__" in cmdline:
                return True
        except OSError:
            continue
    return False


def pip_saw_a_token() -> bool:
    """pip, run from release-guard's process by build (it may run a requirement's setup.py),
    has TWINE_PASSWORD in its environment."""
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and b"__pip-runner__" in (entry / "cmdline").read_bytes():
                return b"TWINE_PASSWORD=" in (entry / "environ").read_bytes()
        except OSError:
            continue
    raise AssertionError("no pip running")


def test_interrupted_while_build_installs_the_backend(repo: GitRepo, tmp_path: Path) -> None:
    """The backend's requirements are missing here: build's isolated environment runs pip from
    release-guard's own process (no group of ours), and pip runs itself again inside that
    environment. SIGTERM while pip waits for an index (a socket on loopback that never
    answers) ended the first pip only: the second ran on, and pip's folders stayed in TMPDIR."""
    repo.write("pyproject.toml", '[build-system]\nrequires = ["setuptools>=999"]\n'
               'build-backend = "setuptools.build_meta"\n\n[project]\nname = "pip-pkg"\n'
               'dynamic = ["version"]\n')
    repo.write("setup.py", "from setuptools import setup\nsetup(version='.'.join(['1', '0']))\n")
    repo.commit("needs an install")
    tmpdir = tmp_path / "tmpdir"
    tmpdir.mkdir()
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        # pip's only index is this socket on loopback (no proxy in between: conftest's goes nowhere)
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("PIP_", "RELEASE_GUARD_")) and "proxy" not in k.lower()}
        env.update(TMPDIR=str(tmpdir), PIP_INDEX_URL=f"http://127.0.0.1:{silent.getsockname()[1]}/simple",
                   PIP_DEFAULT_TIMEOUT="60", PIP_RETRIES="0", PIP_CONFIG_FILE=os.devnull,
                   TWINE_PASSWORD="pypi-secret")
        proc = subprocess.Popen([console_script(), "version", "--backend"], cwd=repo.path, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                start_new_session=True)
        silent.settimeout(60)
        try:
            asking, _ = silent.accept()  # pip, run again in build's environment, asks the index
            with asking:
                assert in_build_env(tmpdir)
                assert not pip_saw_a_token()
                code, _, err = interrupt(proc, signal.SIGTERM)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.communicate()
    assert code == 143, err
    assert_one_line(err, "release-guard: interrupted (SIGTERM) while asking the build backend for the "
                    "version")
    # as release-guard exits, not later: a pip left running ends (and cleans up) in its own time
    assert survivors(str(tmpdir)) == []
    assert sorted(p.name for p in tmpdir.iterdir()) == []
