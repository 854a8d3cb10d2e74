"""Bad input, table-driven: every case is exit 2 with one stderr line and a hint.

Each table is one kind of input a user (or an attacker) controls: pyproject.toml,
setup.cfg, [tool.release-guard], the RELEASE_GUARD_* environment, tag names and
pre-push input, index URLs and repository names. Every case asserts its exit code,
that stderr is exactly one `release-guard: error: ... (hint: ...)` line naming what
was wrong, that nothing went to stdout, and that it is never an "internal error"
(a bug) nor a traceback. The index's own answers are in test_fail_closed.py.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any, NamedTuple

import pytest

from conftest import GitRepo

PREFIX = "release-guard: error: "
STATIC = '[project]\nname = "demo"\nversion = "1.0.0"\n'
SETUPTOOLS = '[build-system]\nrequires = ["setuptools>=68"]\nbuild-backend = "setuptools.build_meta"\n'


class Case(NamedTuple):
    id: str
    files: dict[str, str | bytes]
    args: tuple[str, ...]
    fragments: tuple[str, ...]  # each must be in the error line
    env: dict[str, str] = {}  # noqa: RUF012 - a NamedTuple default, never mutated


def one_line_error(result: Any, fragments: tuple[str, ...]) -> str:
    """Exit 2, nothing on stdout, one stderr line with a hint, not a bug; returns the line."""
    assert result.code == 2, (result.out, result.err)
    assert result.out == ""
    assert result.err.endswith("\n"), result.err
    assert result.err.count("\n") == 1, result.err
    line: str = result.err.rstrip("\n")
    assert line.startswith(PREFIX), line
    assert "(hint: " in line, line
    assert line.endswith(")"), line
    assert "internal error" not in line, line
    assert "Traceback" not in line, line
    for fragment in fragments:
        assert fragment in line, line
    return line


def committed(repo: GitRepo, files: dict[str, str | bytes]) -> GitRepo:
    for name, content in files.items():
        target = repo.path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content)
    repo.commit("the case")
    return repo


def run_case(repo: GitRepo, cli: Any, monkeypatch: pytest.MonkeyPatch, case: Case) -> str:
    committed(repo, case.files)
    for name, value in case.env.items():
        monkeypatch.setenv(name, value)
    return one_line_error(cli(*case.args, cwd=repo.path), case.fragments)


# ------------------------------------------------------------------------ pyproject.toml

def _dynamic(table: str) -> str:
    return SETUPTOOLS + '[project]\nname = "demo"\ndynamic = ["version"]\n' + table


PYPROJECT = [
    Case("toml-syntax", {"pyproject.toml": '[project]\nname = "demo"\nversion = 1.0.0\n'},
         ("check-version",), ("pyproject.toml: invalid TOML", "line 3")),
    Case("utf8-bom", {"pyproject.toml": b"\xef\xbb\xbf" + STATIC.encode()},
         ("check-version",), ("pyproject.toml", "byte order mark")),
    Case("not-utf8", {"pyproject.toml": b'[project]\nname = "d\xe9mo"\nversion = "1.0"\n'},
         ("check-version",), ("pyproject.toml: not valid UTF-8",)),
    Case("utf16", {"pyproject.toml": STATIC.encode("utf-16")},
         ("check-version",), ("pyproject.toml",)),
    Case("empty-file", {"pyproject.toml": ""}, ("check-version",), ("pyproject.toml",)),
    Case("version-not-a-string", {"pyproject.toml": '[project]\nname = "demo"\nversion = 5\n'},
         ("check-version",), ("pyproject.toml", "version must be a string")),
    Case("project-array-of-tables", {"pyproject.toml": '[[project]]\nname = "demo"\nversion = "1"\n'},
         ("check-version",), ("pyproject.toml",)),
    Case("dynamic-a-string",
         {"pyproject.toml": SETUPTOOLS + '[project]\nname = "demo"\ndynamic = "version"\n'},
         ("check-version",), ("pyproject.toml", "dynamic")),
    Case("dynamic-a-number", {"pyproject.toml": SETUPTOOLS + '[project]\nname = "demo"\ndynamic = 5\n'},
         ("check-version",), ("pyproject.toml", "dynamic")),
    Case("tool-not-a-table", {"pyproject.toml": 'tool = 5\n' + _dynamic("")},
         ("check-version",), ("pyproject.toml",)),
    Case("requires-not-a-list", {"pyproject.toml": '[build-system]\nrequires = 5\n[project]\nname = "demo"\n'
                                 'dynamic = ["version"]\n'},
         ("check-version",), ("pyproject.toml",)),
    Case("hatch-path-a-number", {"pyproject.toml": _dynamic("[tool.hatch.version]\npath = 5\n")},
         ("check-version",), ("pyproject.toml", "path")),
    Case("hatch-path-outside",
         {"pyproject.toml": _dynamic('[tool.hatch.version]\npath = "../../etc/hostname"\n')},
         ("check-version",), ("../../etc/hostname", "outside")),
    Case("hatch-path-absolute",
         {"pyproject.toml": _dynamic('[tool.hatch.version]\npath = "/etc/hostname"\n')},
         ("check-version",), ("/etc/hostname",)),
    Case("hatch-pattern-unclosed", {"pyproject.toml": _dynamic('[tool.hatch.version]\npath = "v.py"\n'
                                                               'pattern = "(unclosed"\n'),
                                    "v.py": '__version__ = "1.0"\n'},
         ("check-version",), ("pattern",)),
    Case("setuptools-attr-a-number", {"pyproject.toml": _dynamic("[tool.setuptools.dynamic]\n"
                                                                 "version = {attr = 5}\n")},
         ("check-version",), ("pyproject.toml", "attr")),
    Case("setuptools-file-outside", {"pyproject.toml": _dynamic("[tool.setuptools.dynamic]\n"
                                                                'version = {file = "../VERSION"}\n')},
         ("check-version",), ("../VERSION", "outside")),
    Case("flit-module-a-number", {"pyproject.toml": '[build-system]\nrequires = ["flit_core"]\n'
                                  'build-backend = "flit_core.buildapi"\n[project]\nname = "demo"\n'
                                  'dynamic = ["version"]\n[tool.flit.module]\nname = 5\n'},
         ("check-version",), ("pyproject.toml", "name")),
    Case("package-dir-a-string", {"pyproject.toml": _dynamic('[tool.setuptools]\npackage-dir = "src"\n'
                                                             "[tool.setuptools.dynamic]\n"
                                                             'version = {attr = "demo.__version__"}\n')},
         ("check-version",), ("package-dir",)),
    Case("maturin-package-a-number", {"pyproject.toml": '[build-system]\nrequires = ["maturin"]\n'
                                      'build-backend = "maturin"\n[project]\nname = "demo"\n'
                                      'dynamic = ["version"]\n', "Cargo.toml": "package = 1\n"},
         ("check-version",), ("Cargo.toml",)),
    Case("no-version-at-all", {"pyproject.toml": '[project]\nname = "demo"\n'},
         ("check-version",), ("declares no version",)),
    Case("no-name-or-version", {"pyproject.toml": SETUPTOOLS + "[tool.black]\nline-length = 88\n"},
         ("check-version",), ("pyproject.toml",)),
    Case("computed-version-without-backend", {
        "pyproject.toml": _dynamic('[tool.setuptools.dynamic]\nversion = {attr = "demo.__version__"}\n'),
        "src/demo/__init__.py": "import os\n__version__ = os.environ['HOME']\n"},
         ("check-version",), ("--backend", "allow-backend")),
]


@pytest.mark.parametrize("case", PYPROJECT, ids=[c.id for c in PYPROJECT])
def test_pyproject(repo: GitRepo, cli: Any, monkeypatch: pytest.MonkeyPatch, case: Case) -> None:
    run_case(repo, cli, monkeypatch, case)


# ------------------------------------------------------------------------------ setup.cfg

def _cfg(metadata: str, extra: str = "") -> dict[str, str | bytes]:
    return {"pyproject.toml": SETUPTOOLS, "setup.cfg": f"[metadata]\nname = demo\n{metadata}\n{extra}"}


SETUP_CFG = [
    Case("cfg-syntax", {"pyproject.toml": SETUPTOOLS, "setup.cfg": "name = demo\n[metadata]\n"},
         ("check-version",), ("setup.cfg: invalid setup.cfg",)),
    Case("cfg-duplicate-key", {"pyproject.toml": SETUPTOOLS,
                               "setup.cfg": "[metadata]\nname = demo\nname = other\nversion = 1.0\n"},
         ("check-version",), ("setup.cfg",)),
    Case("cfg-file-outside", _cfg("version = file: ../../../../proc/self/environ"),
         ("check-version",), ("setup.cfg", "outside")),
    Case("cfg-file-absolute", _cfg("version = file: /etc/hostname"),
         ("check-version",), ("setup.cfg", "/etc/hostname")),
    Case("cfg-file-missing", _cfg("version = file: VERSION"),
         ("check-version",), ("setup.cfg", "VERSION")),
    Case("cfg-attr-missing-module", _cfg("version = attr: nowhere.__version__"),
         ("check-version",), ("setup.cfg", "nowhere")),
    Case("cfg-attr-package-dir-outside", _cfg("version = attr: demo.__version__",
                                              "[options]\npackage_dir =\n    = ../elsewhere\n"),
         ("check-version",), ("outside",)),
    Case("cfg-not-utf8", {"pyproject.toml": SETUPTOOLS, "setup.cfg": b"[metadata]\nname = d\xe9mo\n"},
         ("check-version",), ("setup.cfg: not valid UTF-8",)),
]


@pytest.mark.parametrize("case", SETUP_CFG, ids=[c.id for c in SETUP_CFG])
def test_setup_cfg(repo: GitRepo, cli: Any, monkeypatch: pytest.MonkeyPatch, case: Case) -> None:
    run_case(repo, cli, monkeypatch, case)


# -------------------------------------------------------------------- [tool.release-guard]

def _config(table: str) -> dict[str, str | bytes]:
    return {"pyproject.toml": STATIC + "\n[tool.release-guard]\n" + table}


CONFIG = [
    Case("unknown-key", _config('tag-fromat = "v{version}"\n'), ("check-version",),
         ("unknown key 'tag-fromat'", "did you mean 'tag-format'")),
    Case("tag-format-without-version", _config('tag-format = "release"\n'), ("check-version",),
         ("tag-format 'release'",)),
    Case("tag-format-other-placeholder", _config('tag-format = "v{version}-{date}"\n'), ("check-version",),
         ("tag-format",)),
    Case("bump-policy", _config('bump-policy = "always"\n'), ("check-version",), ("bump-policy 'always'",)),
    Case("release-files-a-string", _config('release-files = "src/**"\n'), ("check-version",),
         ("'release-files' must be a list of strings",)),
    Case("allow-older-a-string", _config('allow-older = "yes"\n'), ("check-version",),
         ("'allow-older' must be true or false",)),
    Case("allow-backend-a-string", _config('allow-backend = "yes"\n'), ("check-version",),
         ("'allow-backend' must be true or false",)),
    Case("ignore-not-a-code", _config('ignore = ["E501"]\n'), ("check-version",), ("'E501'",)),
    Case("timeout-zero", _config("timeout = 0\n"), ("check-version",), ("'timeout'",)),
    Case("timeout-a-word", _config('timeout = "soon"\n'), ("check-version",), ("'timeout'",)),
    Case("timeout-too-long", _config("timeout = 99999\n"), ("check-version",), ("'timeout'",)),
    Case("timeout-below-the-project-floor", _config("timeout = 0.0001\n"), ("check-tag", "v1.0.0"),
         ("below 5 seconds",), {"RELEASE_GUARD_ALLOW_OFFLINE": "1"}),
    Case("repository-a-number", _config("repository = 5\n"), ("check-version",),
         ("'repository' must be a string",)),
    Case("table-not-a-table", {"pyproject.toml": STATIC + '\n[tool]\n"release-guard" = 5\n'},
         ("check-version",), ("[tool.release-guard] must be a table",)),
    Case("project-missing", _config('projects = ["pkgs/nope"]\n'), ("check-tag", "v1.0.0"),
         ("pkgs/nope",)),
    Case("project-outside", _config('projects = ["../elsewhere"]\n'), ("check-tag", "v1.0.0"),
         ("../elsewhere",)),
]


@pytest.mark.parametrize("case", CONFIG, ids=[c.id for c in CONFIG])
def test_config(repo: GitRepo, cli: Any, monkeypatch: pytest.MonkeyPatch, case: Case) -> None:
    run_case(repo, cli, monkeypatch, case)


# ------------------------------------------------------------------------------ environment

ENVIRONMENT = [
    Case("unknown-variable", {"pyproject.toml": STATIC}, ("check-version",),
         ("RELEASE_GUARD_ALLOW_OFLINE", "did you mean RELEASE_GUARD_ALLOW_OFFLINE"),
         {"RELEASE_GUARD_ALLOW_OFLINE": "1"}),
    Case("timeout-a-word", {"pyproject.toml": STATIC}, ("check-version",), ("RELEASE_GUARD_TIMEOUT",),
         {"RELEASE_GUARD_TIMEOUT": "abc"}),
    Case("timeout-negative", {"pyproject.toml": STATIC}, ("check-version",), ("RELEASE_GUARD_TIMEOUT",),
         {"RELEASE_GUARD_TIMEOUT": "-1"}),
    Case("timeout-nan", {"pyproject.toml": STATIC}, ("check-version",), ("RELEASE_GUARD_TIMEOUT",),
         {"RELEASE_GUARD_TIMEOUT": "nan"}),
    Case("bump-policy", {"pyproject.toml": STATIC}, ("check-version",), ("RELEASE_GUARD_BUMP_POLICY",),
         {"RELEASE_GUARD_BUMP_POLICY": "sometimes"}),
    Case("allow-older-maybe", {"pyproject.toml": STATIC}, ("check-version",),
         ("RELEASE_GUARD_ALLOW_OLDER",), {"RELEASE_GUARD_ALLOW_OLDER": "maybe"}),
    Case("tag-format", {"pyproject.toml": STATIC}, ("check-version",), ("RELEASE_GUARD_TAG_FORMAT",),
         {"RELEASE_GUARD_TAG_FORMAT": "release"}),
    Case("ignore-not-a-code", {"pyproject.toml": STATIC}, ("check-version",), ("RELEASE_GUARD_IGNORE",),
         {"RELEASE_GUARD_IGNORE": "RG102,everything"}),
    Case("index-url-with-newline", {"pyproject.toml": STATIC}, ("check-tag", "v1.0.0"), ("index",),
         {"RELEASE_GUARD_INDEX_URL": "http://127.0.0.1:1/simple\r\nX-Injected: 1"}),
]


@pytest.mark.parametrize("case", ENVIRONMENT, ids=[c.id for c in ENVIRONMENT])
def test_environment(repo: GitRepo, cli: Any, monkeypatch: pytest.MonkeyPatch, case: Case) -> None:
    run_case(repo, cli, monkeypatch, case)


# ------------------------------------------------------------------ flags, URLs, repositories

FLAGS = [
    Case("tag-format-flag", {"pyproject.toml": STATIC}, ("check-tag", "1.0.0", "--tag-format", "release"),
         ("--tag-format",)),
    Case("timeout-flag-zero", {"pyproject.toml": STATIC}, ("check-tag", "v1.0.0", "--timeout", "0"),
         ("--timeout",)),
    Case("unknown-format", {"pyproject.toml": STATIC}, ("check-version", "--format", "xml"),
         ("--format",)),
    Case("unknown-subcommand", {"pyproject.toml": STATIC}, ("publish",), ("publish",)),
    Case("ref-not-a-commit", {"pyproject.toml": STATIC}, ("check-version", "--ref", "nosuch"),
         ("'nosuch'",)),
    Case("base-not-a-commit", {"pyproject.toml": STATIC}, ("check-version", "--base", "nosuch"),
         ("'nosuch'",)),
    Case("project-dir-missing", {"pyproject.toml": STATIC}, ("check-version", "-C", "nowhere"),
         ("nowhere",)),
    Case("file-url", {"pyproject.toml": STATIC}, ("check-tag", "v1.0.0", "--index-url", "file:///etc/"),
         ("invalid index URL",)),
    Case("ftp-url", {"pyproject.toml": STATIC}, ("check-tag", "v1.0.0", "--index-url", "ftp://127.0.0.1/"),
         ("invalid index URL",)),
    Case("no-scheme", {"pyproject.toml": STATIC},
         ("check-tag", "v1.0.0", "--index-url", "127.0.0.1/simple"),
         ("invalid index URL",)),
    Case("javascript-url", {"pyproject.toml": STATIC},
         ("check-tag", "v1.0.0", "--index-url", "javascript:x"),
         ("invalid index URL",)),
    Case("bad-port", {"pyproject.toml": STATIC}, ("check-tag", "v1.0.0", "--index-url",
                                                  "http://127.0.0.1:99999/simple/"), ("invalid index URL",)),
    Case("no-host", {"pyproject.toml": STATIC}, ("check-tag", "v1.0.0", "--index-url", "http://"),
         ("invalid index URL",)),
    Case("broken-ipv6", {"pyproject.toml": STATIC}, ("check-tag", "v1.0.0", "--index-url", "http://[::1/"),
         ("invalid index URL",)),
    Case("repository-url-invalid", {"pyproject.toml": STATIC},
         ("check-tag", "v1.0.0", "--repository-url", "upload.example.invalid/legacy/"), ("repository",)),
    Case("repository-name-unknown", {"pyproject.toml": STATIC}, ("check-tag", "v1.0.0", "-r", "nosuch"),
         ("'nosuch' is not defined",)),
    Case("config-file-missing", {"pyproject.toml": STATIC},
         ("check-tag", "v1.0.0", "-r", "local", "--config-file", "nowhere.pypirc"), ("nowhere.pypirc",)),
]


@pytest.mark.parametrize("case", FLAGS, ids=[c.id for c in FLAGS])
def test_flags_and_urls(repo: GitRepo, cli: Any, monkeypatch: pytest.MonkeyPatch, case: Case) -> None:
    run_case(repo, cli, monkeypatch, case)


@pytest.mark.parametrize("where", ["flag", "environment"])
def test_userinfo_in_a_repository_name_is_never_shown(repo: GitRepo, cli: Any,
                                                      monkeypatch: pytest.MonkeyPatch, where: str) -> None:
    """security.md S5: the secret in a scheme-less repository name stayed in the hint."""
    secret = "s3cretZZ-not-for-eyes"
    name = f"__token__:{secret}@upload.example.invalid/legacy/"
    committed(repo, {"pyproject.toml": STATIC})
    if where == "flag":
        result = cli("check-tag", "v1.0.0", "-r", name, cwd=repo.path)
    else:
        monkeypatch.setenv("TWINE_REPOSITORY", name)
        result = cli("check-tag", "v1.0.0", cwd=repo.path)
    line = one_line_error(result, ("upload.example.invalid/legacy/",))
    assert secret not in line


# ---------------------------------------------------------------- tag names and pre-push input

PRE_PUSH = [
    Case("three-fields", {"pyproject.toml": STATIC}, ("pre-push", "origin", "url"),
         ("pre-push input line 1",)),
    Case("five-fields", {"pyproject.toml": STATIC}, ("pre-push", "origin", "url"),
         ("pre-push input line 1",)),
]
PRE_PUSH_STDIN = {"three-fields": "refs/tags/v1 abc refs/tags/v1\n",
                  "five-fields": f"refs/tags/v1 {'a' * 40} refs/tags/v1 {'0' * 40} extra\n"}


@pytest.mark.parametrize("case", PRE_PUSH, ids=[c.id for c in PRE_PUSH])
def test_pre_push_input(repo: GitRepo, cli: Any, monkeypatch: pytest.MonkeyPatch, case: Case) -> None:
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO(PRE_PUSH_STDIN[case.id]))
    run_case(repo, cli, monkeypatch, case)


HOSTILE_TAGS = [  # (tag name, exit code, the first line of output)
    ("-x", 0, "RG200 info: tag -x does not match tag-format 'v{version}': not checked"),
    ("--output=OUT", 0, "RG200 info: tag --output=OUT does not match tag-format 'v{version}': not checked"),
    ("@{-1}", 0, "RG200 info: tag @{-1} does not match tag-format 'v{version}': not checked"),
    ("v1.0.0^{}", 1, "RG101 tag v1.0.0^{}: version '1.0.0^{}' is not valid PEP 440"),
    ("v1.0.0~1", 1, "RG101 tag v1.0.0~1: version '1.0.0~1' is not valid PEP 440"),
    ("v1.0.0:x", 1, "RG101 tag v1.0.0:x: version '1.0.0:x' is not valid PEP 440"),
    ("v" + "1" * 10_000, 1,
     "RG101 tag v" + "1" * 10_000 + ": version '" + "1" * 10_000 + "' is not valid PEP 440"),
]


@pytest.mark.parametrize(("tag", "code", "first"), HOSTILE_TAGS, ids=[t[0][:12] for t in HOSTILE_TAGS])
def test_hostile_tag_names_reach_no_git_option(repo: GitRepo, cli: Any, tmp_path: Path, tag: str, code: int,
                                               first: str) -> None:
    """A tag name is data: never an option or a revision expression for git, never a crash; a name
    that is no release is not checked, one that looks like a release and does not parse blocks."""
    committed(repo, {"pyproject.toml": STATIC})
    out = tmp_path / "written-by-git"
    tag, first = tag.replace("OUT", str(out)), first.replace("OUT", str(out))
    result = cli("check-tag", "--index-url", "http://127.0.0.1:9/simple/", "--", tag, cwd=repo.path)
    assert (result.code, result.err) == (code, ""), result
    assert result.out.splitlines()[0] == first
    assert not out.exists()


def test_a_bug_is_exit_2_in_one_line_through_the_console_script(repo: GitRepo) -> None:
    """Through a real process: even an input nobody planned for ends in one line, exit 2."""
    committed(repo, {"pyproject.toml": STATIC + "[tool]\nrelease-guard = []\n"})
    proc = subprocess.run([sys.executable, "-m", "release_guard", "check-version"], cwd=repo.path,
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2, proc
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1, proc.stderr
    assert "Traceback" not in proc.stderr
