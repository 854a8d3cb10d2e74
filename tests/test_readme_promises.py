"""README promises tested the way a user meets them: the real `release-guard` console script
in a subprocess, on real git repositories (issue 12, "promises with no test at their own level").

Each test names the README sentence it proves. The pushes through pre-commit and the native
hook are in test_readme_promises_push.py; the choice of index in test_readme_promises_index.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import GitRepo

RELEASE_GUARD = str(Path(sys.executable).parent / "release-guard")
TIMEOUT = 120


def release_guard(cwd: Path, *args: str,
                  env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The installed console script, as a hook or a terminal runs it."""
    return subprocess.run([RELEASE_GUARD, *args], cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT,
                          check=False, env=env)


# --- "reads ... as text, without importing your code" ----------------------------------------

SETUP_CFG_ATTR = ("[metadata]\nname = demo\nversion = attr: demo.__version__\n\n[options]\npackage_dir =\n"
                  "    = src\npackages = find:\n\n[options.packages.find]\nwhere = src\n")
PYPROJECT_ATTR = ('[build-system]\nrequires = ["setuptools>=77"]\nbuild-backend = "setuptools.build_meta"\n\n'
                  '[project]\nname = "demo"\ndynamic = ["version"]\n\n'
                  '[tool.setuptools.dynamic]\nversion = {attr = "demo.__version__"}\n')


def booby_trapped(marker: Path, version_lines: str) -> str:
    """A module whose import writes `marker` and then raises: the version must be read as text."""
    return (f"{version_lines}\n"
            f"with open({str(marker)!r}, 'w') as f:\n    f.write('imported')\n"
            "raise RuntimeError('release-guard imported the project')\n")


@pytest.mark.parametrize(("config", "module", "line", "detail"), [
    ({"setup.cfg": SETUP_CFG_ATTR}, '__version__ = "1.2.3"', 1, ""),
    ({"pyproject.toml": PYPROJECT_ATTR}, 'VERSION = (1, 2, 3)\n__version__ = ".".join(map(str, VERSION))', 2,
     "computed from the module's text, not imported"),
], ids=["setup-cfg-attr", "setuptools-dynamic-attr-tuple"])
def test_the_version_is_read_without_importing_the_project(repo: GitRepo, tmp_path: Path,
                                                           config: dict[str, str], module: str,
                                                           line: int, detail: str) -> None:
    """README: "reads the project's name and version ... as text, without importing your code";
    "`version-bump` and `pypi-tag-guard` never run your code"."""
    marker = tmp_path / "IMPORTED"
    for path, text in config.items():
        repo.write(path, text)
    repo.write("src/demo/__init__.py", booby_trapped(marker, module))
    repo.commit("release 1.2.3")
    repo.tag("v1.2.3")
    proof = subprocess.run([sys.executable, "-c", "import demo"], cwd=repo.path / "src", capture_output=True,
                           text=True, timeout=TIMEOUT, check=False)
    assert proof.returncode == 1  # the trap works
    assert "release-guard imported the project" in proof.stderr
    marker.unlink()
    version = release_guard(repo.path, "version", "--format", "json")
    assert (version.returncode, version.stderr) == (0, ""), version
    shown = json.loads(version.stdout)
    assert (shown["version"], shown["version_source"]) == (
        "1.2.3", {"path": "src/demo/__init__.py", "line": line, "detail": detail})
    ok = f"release-guard: version 1.2.3 ok (src/demo/__init__.py:{line}{f' ({detail})' if detail else ''})\n"
    for state in ((), ("--ref", "v1.2.3"), ("--worktree",)):
        checked = release_guard(repo.path, "check-version", *state)
        assert (checked.returncode, checked.stdout, checked.stderr) == (0, ok, ""), (state, checked)
    assert not marker.exists()


# --- "Where the version comes from": the order between sources --------------------------------

HATCH_FIRST = ('[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
               '[project]\nname = "demo"\ndynamic = ["version"]\n\n[tool.hatch.version]\n'
               'path = "src/demo/about.py"\n\n[tool.setuptools.dynamic]\nversion = {file = "VERSION"}\n\n'
               "[tool.setuptools_scm]\n")
SCM_BEFORE_SETUP_PY = ('[build-system]\nrequires = ["setuptools", "setuptools-scm"]\n'
                       'build-backend = "setuptools.build_meta"\n\n[project]\nname = "demo"\n'
                       'dynamic = ["version"]\n\n[tool.setuptools_scm]\n')

# Each case puts a source beside the ones the README lists after it, all disagreeing:
# (files, the version read, where from, check-version's exit code and finding lines).
SOURCE_ORDER = {
    "project-before-poetry-and-setup-cfg": (
        {"pyproject.toml": '[project]\nname = "demo"\nversion = "1.0"\n\n[tool.poetry]\nversion = "2.0"\n',
         "setup.cfg": "[metadata]\nname = demo\nversion = 3.0\n"},
        "1.0", "pyproject.toml:3", 1,
        ["pyproject.toml:6: RG104 version '2.0' differs from '1.0' in pyproject.toml:3",
         "setup.cfg:3: RG104 version '3.0' differs from '1.0' in pyproject.toml:3"]),
    "poetry-before-setup-cfg": (
        {"pyproject.toml": '[tool.poetry]\nname = "demo"\nversion = "2.0"\n',
         "setup.cfg": "[metadata]\nname = demo\nversion = 3.0\n"},
        "2.0", "pyproject.toml:3", 1,
        ["setup.cfg:3: RG104 version '3.0' differs from '2.0' in pyproject.toml:3"]),
    "setup-cfg-before-setuptools-dynamic": (
        {"pyproject.toml": PYPROJECT_ATTR, "setup.cfg": "[metadata]\nversion = 3.0\n",
         "src/demo/__init__.py": '__version__ = "4.0"\n'},
        "3.0", "setup.cfg:2", 1,
        ["src/demo/__init__.py:1: RG104 version '4.0' differs from '3.0' in setup.cfg:2"]),
    "hatch-path-before-setuptools-dynamic-and-vcs": (
        {"pyproject.toml": HATCH_FIRST, "VERSION": "6.0\n", "src/demo/about.py": '__version__ = "5.0"\n'},
        "5.0", "src/demo/about.py:1", 0, []),
    "vcs-before-setup-py-literal": (
        {"pyproject.toml": SCM_BEFORE_SETUP_PY,
         "setup.py": 'from setuptools import setup\nsetup(version="7.0")\n'},
        None, "pyproject.toml", 0,
        ["pyproject.toml: RG100 info: the version is derived from VCS tags by setuptools-scm; the "
         "consistency, tag and bump checks do not apply"]),
}


@pytest.mark.parametrize("case", list(SOURCE_ORDER))
def test_the_first_source_in_the_documented_order_wins(repo: GitRepo, case: str) -> None:
    """README "Where the version comes from": "In this order ...: [project].version;
    [tool.poetry].version (both ... must agree: RG104); setup.cfg [metadata] version;
    [tool.hatch.version].path ..., [tool.setuptools.dynamic].version ...; then VCS-derived
    versions ...; then a literal `version=` in setup.py"."""
    files, version, where, code, findings = SOURCE_ORDER[case]
    for path, text in files.items():
        repo.write(path, text)
    repo.stage()
    shown = release_guard(repo.path, "version", "--format", "json")
    assert shown.returncode == 0, shown
    document = json.loads(shown.stdout)
    source = document["version_source"]
    shown_where = f"{source['path']}:{source['line']}".removesuffix(":None")
    assert (document["version"], shown_where) == (version, where)
    checked = release_guard(repo.path, "check-version")
    assert checked.returncode == code, checked
    assert [line for line in checked.stdout.splitlines() if " RG" in line] == findings


# --- "version-bump runs offline ... imports nothing of your project" (and no network code) ---

NETWORK_AND_BUILD = ("twine", "build", "requests", "urllib3", "urllib.request", "http.client", "socket",
                     "ssl", "release_guard.index")


def imported(importtime_stderr: str) -> set[str]:
    """The modules `python -X importtime` reports, each line `import time: self | cum | name`."""
    names = set()
    for line in importtime_stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            if name != "imported package":
                names.add(name)
    return names


@pytest.mark.parametrize("args", [("check-version",), ("check-version", "--ref", "HEAD"), ("version",)])
def test_check_version_imports_no_twine_build_or_http_module(repo: GitRepo, args: tuple[str, ...]) -> None:
    """README: "`version-bump` runs offline (pre-commit.ci has no network)". The console script,
    under `python -X importtime`, loads no twine, build, requests or HTTP module (as
    test_index.py::test_default_targets_come_from_twine_without_importing_it shows for the targets
    of check-tag)."""
    repo.write("pyproject.toml", '[project]\nname = "demo"\nversion = "1.0"\n')
    repo.write("src/demo/__init__.py", "")
    repo.commit("1.0")
    repo.tag("v1.0")
    repo.write("src/demo/core.py", "x = 1\n")
    repo.stage()  # an unbumped change: the whole check runs, up to RG106
    proc = subprocess.run([sys.executable, "-X", "importtime", RELEASE_GUARD, *args], cwd=repo.path,
                          capture_output=True, text=True, timeout=TIMEOUT, check=False)
    loaded = imported(proc.stderr)
    assert "release_guard.cli" in loaded  # the probe sees release-guard's own imports
    assert sorted(m for m in loaded if m in NETWORK_AND_BUILD or m.split(".")[0] in NETWORK_AND_BUILD) == []
    if args == ("check-version",):
        assert proc.returncode == 1, proc
        assert proc.stdout.splitlines()[0] == (
            "pyproject.toml:3: RG106 1.0 is already released (tag v1.0), but release files change "
            "(src/demo/core.py); bump the version")
    else:
        assert proc.returncode == 0, proc


# --- Exit codes: "RELEASE_GUARD_DEBUG=1 shows its traceback and still exits 2" -------------------


def test_debug_shows_the_traceback_of_a_real_internal_error_and_keeps_exit_2(repo: GitRepo) -> None:
    """README "Exit codes": a bug is exit 2, one line `internal error: <type> at <file:line>`;
    `RELEASE_GUARD_DEBUG=1` shows its traceback and still exits 2.

    The internal error is a real one, no function replaced: `release-guard version >&-` runs
    with its standard output closed (Python's sys.stdout is then None)."""
    repo.write("pyproject.toml", '[project]\nname = "demo"\nversion = "1.0"\n')
    repo.commit("1.0")
    closed = [RELEASE_GUARD, "version"]

    def run(**env: str) -> subprocess.CompletedProcess[str]:
        import os

        return subprocess.run(["sh", "-c", 'exec "$@" >&-', "sh", *closed], cwd=repo.path,
                              capture_output=True, text=True, timeout=TIMEOUT, check=False,
                              env={**os.environ, **env})

    head = "release-guard: error: internal error: AttributeError at version_report.py:"
    quiet = run()
    assert quiet.returncode == 2, quiet
    [line] = quiet.stderr.splitlines()
    assert line.startswith(head), line
    assert line.endswith("(hint: a bug in release-guard; run again with RELEASE_GUARD_DEBUG=1 for the "
                         "traceback, and report it)"), line
    debug = run(RELEASE_GUARD_DEBUG="1")
    assert debug.returncode == 2, debug
    lines = debug.stderr.splitlines()
    assert lines[0] == "Traceback (most recent call last):"
    assert "AttributeError: 'NoneType' object has no attribute 'write'" in lines
    assert lines[-1].startswith(head), lines[-1]
    assert lines[-1].endswith("(hint: a bug in release-guard; report it with the traceback above)")
    assert lines.count("Traceback (most recent call last):") == 1  # none from the console script's exit


def test_debug_leaves_a_bad_input_one_line_and_exit_2(repo: GitRepo) -> None:
    """README "Exit codes": bad input is "one line on stderr, `release-guard: error: ... (hint:
    ...)`, never a traceback" — RELEASE_GUARD_DEBUG=1 shows the traceback of a bug only."""
    import os

    repo.write("pyproject.toml", '[project]\nname = "demo"\nversion = "1.0"\n')
    repo.commit("1.0")
    expected = (2, "", f"release-guard: error: 'nope' is not a commit in {repo.path} (hint: give a branch, "
                       "tag or commit that exists (git log --oneline))\n")
    for env in ({}, {"RELEASE_GUARD_DEBUG": "1"}):
        proc = release_guard(repo.path, "check-version", "--ref", "nope", env={**os.environ, **env})
        assert (proc.returncode, proc.stdout, proc.stderr) == expected, env
