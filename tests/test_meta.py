"""The project's own promises: hooks documented, codes documented, no public index host."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from release_guard.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
HOOKS = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())


@pytest.mark.parametrize("hook", HOOKS, ids=[h["id"] for h in HOOKS])
def test_every_hook_is_documented_and_runs_a_real_subcommand(hook: dict[str, object]) -> None:
    assert f"| `{hook['id']}` |" in README
    entry = str(hook["entry"]).split()
    assert entry[0] == "release-guard"
    subcommands = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert entry[1] in subcommands
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is False
    # a hook runs on every commit or push, or on exactly the files it names
    assert (hook.get("always_run") is True) != ("files" in hook)
    assert hook["minimum_pre_commit_version"] == "3.2.0"
    assert set(hook["stages"]) <= {"pre-commit", "pre-push", "manual"}  # type: ignore[arg-type]


def test_hook_ids_are_the_designed_ones() -> None:
    assert [h["id"] for h in HOOKS] == ["version-bump", "pypi-tag-guard", "twine-check", "release-preflight"]


def test_twine_check_runs_when_packaging_files_change() -> None:
    files = re.compile(next(h for h in HOOKS if h["id"] == "twine-check")["files"])
    for path in ("pyproject.toml", "setup.cfg", "setup.py", "MANIFEST.in", "README.md", "README.rst",
                 "sub/pkg/pyproject.toml", "src/demo/__init__.py"):
        assert files.search(path), path
    for path in ("docs/index.md", "CHANGELOG.md", "tests/data.json", "notREADME.md", ".github/ci.yml"):
        assert not files.search(path), path


def test_every_finding_code_is_documented() -> None:
    codes = set()
    for path in (ROOT / "src" / "release_guard").rglob("*.py"):
        codes |= set(re.findall(r'"(RG\d{3})"', path.read_text()))
    assert codes, "no finding codes found"
    missing = sorted(c for c in codes if f"| {c} |" not in README)
    assert missing == []


def test_no_public_index_host_in_tracked_files() -> None:
    hosts = ("pypi" + ".org", "python" + "hosted" + ".org", "files." + "pythonhosted")
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.split()
    offenders = [f for f in files if (ROOT / f).is_file()
                 and any(h in (ROOT / f).read_text(errors="replace") for h in hosts)]
    assert offenders == []


def test_the_leak_guard_finds_a_secret_in_output_and_files(tmp_path: Path, leak_guard: object) -> None:
    """The suite-wide secret fixture is itself a check that can fail."""
    from conftest import LeakGuard

    guard = LeakGuard()
    guard.register("s3cret-value-123", "short")  # under 8 characters: too common to look for
    guard.saw("stdout", "nothing here")
    assert guard.leaks([tmp_path]) == []
    guard.saw("stderr", "error: s3cret-value-123 refused")
    guard.saw("stdout", b"token pypi-AgEIcHlwaS5vcmcCJGFiY2Rl")
    written = tmp_path / "report.txt"
    written.write_text("s3cret-value-123\n")
    assert isinstance(leak_guard, LeakGuard)
    leak_guard.allow_file(written)  # this test's own file, not a leak of the code under test
    assert guard.leaks([tmp_path]) == [
        "stderr holds a secret (s3cr...)",
        "stdout holds a token-shaped value (pypi-AgEI...)",
        f"file {written} holds a secret (s3cr...)",
    ]
