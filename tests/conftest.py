"""Shared fixtures: a clean environment, real git repositories, the CLI run in-process."""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from release_guard.cli import main

if (Path(__file__).parent / "index_servers.py").exists():
    pytest_plugins = ["index_servers"]

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.invalid",
    "GIT_COMMITTER_NAME": "Test Committer",
    "GIT_COMMITTER_EMAIL": "committer@example.invalid",
}


# Read once, at import, before clean_environment drops CI: under .ci/run
# (RELEASE_GUARD_TESTS_STRICT=1) or any CI, a missing input of the suite — the wheelhouse,
# ../shared, uv, the console script — fails with one line; on a developer's machine it
# skips, saying why (`pytest -rs` lists them).
STRICT = bool(os.environ.get("RELEASE_GUARD_TESTS_STRICT") or os.environ.get("CI"))


def need(present: object, message: str) -> None:
    """Go on when `present`; otherwise fail under STRICT, or skip, with `message`."""
    if not present:
        if STRICT:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No outside git config, no pre-commit or CI variables, a known git identity."""
    for name in list(os.environ):
        if name.startswith(("PRE_COMMIT", "RELEASE_GUARD_", "GIT_", "TWINE_", "PIP_", "UV_")) or name in (
            "GITHUB_ACTIONS", "NO_COLOR", "CI",
        ):
            monkeypatch.delenv(name, raising=False)
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    (home / ".gitconfig").write_text("[init]\n\tdefaultBranch = main\n[tag]\n\tgpgSign = false\n")
    for key, value in GIT_IDENTITY.items():
        monkeypatch.setenv(key, value)
    # Nothing may leave this machine: anything not on loopback goes to a closed local port.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost,::1")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost,::1")


# ------------------------------------------------------------------ secrets never leak

# What a full upload token looks like: never in any output, whichever test made it.
TOKEN_SHAPE = re.compile(r"pypi-[A-Za-z0-9_\-]{16,}")
# Environment variables whose values are secrets, wherever a test sets them.
SECRET_VARIABLE = re.compile(r"PASSWORD|TOKEN|SECRET", re.IGNORECASE)
# Files a test writes on purpose to hold a credential; everything else must not hold one.
CREDENTIAL_FILES = (".pypirc", "pypirc", ".netrc", "netrc", "htpasswd", ".htpasswd")


@dataclass
class LeakGuard:
    """Every secret a test uses, and everything release-guard said while it ran.

    At the end of each test the fixture `leak_guard` asserts that no secret appears in
    what was written to stdout or stderr (in-process or by a subprocess the test ran),
    in a log record, in the text of an exception the test saw, or in a file under the
    test's temporary folders other than the credential files the test wrote itself.
    """

    secrets: set[str] = field(default_factory=set)
    texts: list[tuple[str, str]] = field(default_factory=list)
    allowed_files: set[Path] = field(default_factory=set)

    def register(self, *secrets: str) -> None:
        self.secrets.update(s for s in secrets if len(s) >= 8)

    def saw(self, where: str, text: object) -> None:
        if isinstance(text, bytes):
            text = text.decode("utf-8", "replace")
        if isinstance(text, str) and text:
            self.texts.append((where, text))

    def allow_file(self, path: Path) -> None:
        self.allowed_files.add(path.resolve())

    def leaks(self, roots: list[Path]) -> list[str]:
        found = []
        for where, text in self.texts:
            for secret in self.secrets:
                if secret in text:
                    found.append(f"{where} holds a secret ({secret[:4]}...)")
            match = TOKEN_SHAPE.search(text)
            if match:
                found.append(f"{where} holds a token-shaped value ({match.group(0)[:9]}...)")
        for root in roots:
            found += self._files_with_secrets(root)
        return found

    def _files_with_secrets(self, root: Path) -> list[str]:
        found = []
        for folder, dirs, files in os.walk(root):
            dirs[:] = [d for d in dirs if d not in (".git", "objects", ".wheelhouse")]
            for name in files:
                path = Path(folder, name)
                if name in CREDENTIAL_FILES or path.is_symlink() or path.resolve() in self.allowed_files:
                    continue
                try:
                    data = path.read_bytes()[:1_000_000]
                except OSError:
                    continue
                for secret in self.secrets:
                    if secret.encode() in data:
                        found.append(f"file {path} holds a secret ({secret[:4]}...)")
        return found


@pytest.fixture(autouse=True)
def leak_guard(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, caplog: pytest.LogCaptureFixture,
               clean_environment: None) -> Iterator[LeakGuard]:
    """Used by the whole suite: whatever secret a test sets, nothing may show it (see LeakGuard)."""
    from index_servers import PASSWORD

    guard = LeakGuard()
    guard.register(PASSWORD)
    real_run = subprocess.run

    def recording_run(*args: object, **kwargs: object) -> subprocess.CompletedProcess[object]:
        env = kwargs.get("env")
        if isinstance(env, dict):
            guard.register(*(str(v) for k, v in env.items() if SECRET_VARIABLE.search(str(k))))
        proc: subprocess.CompletedProcess[object] = real_run(*args, **kwargs)  # type: ignore[call-overload]
        guard.saw(f"output of {str(proc.args)[:60]}", proc.stdout)
        guard.saw(f"stderr of {str(proc.args)[:60]}", proc.stderr)
        return proc

    monkeypatch.setattr(subprocess, "run", recording_run)
    caplog.set_level(logging.DEBUG)
    yield guard
    guard.register(*(v for k, v in os.environ.items() if SECRET_VARIABLE.search(k)))
    for record in caplog.records:
        guard.saw(f"log record {record.name}", record.getMessage())
    home = Path(os.environ.get("HOME", str(tmp_path)))
    leaks = guard.leaks([tmp_path, home] if home != tmp_path else [tmp_path])
    assert not leaks, "a secret leaked: " + "; ".join(leaks[:5])


@dataclass
class GitRepo:
    """A real git repository in a temporary directory."""

    path: Path

    def git(self, *args: str, check: bool = True) -> str:
        proc = subprocess.run(["git", *args], cwd=self.path, capture_output=True, text=True, check=False)
        if check and proc.returncode != 0:
            raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr}")
        return proc.stdout.strip()

    def write(self, rel: str, text: str) -> Path:
        target = self.path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        return target

    def stage(self, *paths: str) -> None:
        self.git("add", "-A", *paths)

    def commit(self, message: str = "change") -> str:
        self.git("add", "-A")
        self.git("commit", "--no-verify", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD")

    def tag(self, name: str, *, annotated: bool = False, rev: str = "HEAD") -> None:
        if annotated:
            self.git("tag", "-a", name, "-m", f"release {name}", rev)
        else:
            self.git("tag", name, rev)


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    path = tmp_path / "project"
    path.mkdir()
    repo = GitRepo(path)
    repo.git("init", "-q", "-b", "main")
    return repo


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], leak_guard: LeakGuard) -> object:
    """Run `release-guard ARGS` in-process in a directory; returns a Result."""

    def run(*args: str, cwd: Path | None = None) -> Result:
        if cwd is not None:
            monkeypatch.chdir(cwd)
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        leak_guard.saw("release-guard's stdout", captured.out)
        leak_guard.saw("release-guard's stderr", captured.err)
        return Result(code, captured.out, captured.err)

    return run


def reported_git(version: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A git on PATH that reports `version` and hands everything else to the real git, so that
    tests of what install-hook prints pass on whatever git the machine has (2.39 here; the
    config-based hooks of git 2.54 add a line)."""
    real_git = shutil.which("git")
    assert real_git is not None
    bindir = tmp_path / f"git-{version}"
    bindir.mkdir()
    wrapper = bindir / "git"
    wrapper.write_text(f'#!/bin/sh\nif [ "$1" = "--version" ]; then echo "git version {version}"; '
                       f'else exec {real_git} "$@"; fi\n')
    wrapper.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ['PATH']}")
