"""The project readers treat the project's files as data from a stranger.

Nothing is read from outside the project (S2), a symlink inside it is followed the same way
on every tree (B9), a BOM in pyproject.toml is refused as pip refuses it (B5), no project
code runs unless allowed (S4), a wrong type in the configuration is one clear line (never
the backend, never "internal error"), the project's own regex cannot hang the hook (S7), a
project without a name or version is an error (B4), and every place that declares the
version is compared (C14). Real git repositories, the CLI run in-process.
"""

from __future__ import annotations

import os
import time
import weakref
from pathlib import Path
from typing import Any

import pytest

from conftest import GitRepo
from release_guard import backend
from release_guard.project import read_project, read_version_file
from release_guard.tree import WorkTree

PREFIX = "release-guard: error: "
SECRET = "pypi-SECRET-ENVIRON-42"
OUTSIDE_HINT = ("(hint: use a path inside the project directory; setuptools refuses a file outside "
                "the project too)")
BACKEND_HINT = ("(hint: declare it as a literal, or allow the build backend: --backend or "
                "allow-backend = true in [tool.release-guard])")
SETUPTOOLS = '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n'
HATCHLING = '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
FLIT = '[build-system]\nrequires = ["flit_core >=3.2,<4"]\nbuild-backend = "flit_core.buildapi"\n'
PDM = '[build-system]\nrequires = ["pdm-backend"]\nbuild-backend = "pdm.backend"\n'
MATURIN = '[build-system]\nrequires = ["maturin>=1.0,<2.0"]\nbuild-backend = "maturin"\n'

# How each tree is read: `version` reads the working tree, `check-version` the staged index
# (the pre-commit hook), `check-version --ref HEAD` a revision.
TREES = {
    "worktree": ("version",),
    "staged": ("check-version",),
    "revision": ("check-version", "--ref", "HEAD"),
}


def dynamic(build: str, tables: str, name: str = "demo") -> str:
    """[build-system], then [project] with a dynamic version (dynamic on line 6), then tables."""
    return build + f'\n[project]\nname = "{name}"\ndynamic = ["version"]\n\n' + tables


def committed(repo: GitRepo, files: dict[str, str]) -> str:
    for path, text in files.items():
        repo.write(path, text)
    return repo.commit("project")


def one_line(result: Any) -> str:
    """Exit 2, nothing on stdout, one stderr line with a hint: that line, without PREFIX."""
    assert (result.code, result.out) == (2, ""), result
    assert result.err.count("\n") == 1, result.err
    assert result.err.endswith("\n"), result.err
    assert result.err.startswith(PREFIX), result.err
    assert "internal error" not in result.err
    assert "(hint: " in result.err
    line: str = result.err[len(PREFIX):].rstrip("\n")
    return line


def at(repo: GitRepo, tree: str, path: str) -> str:
    """How a message names `path` on each tree: a revision says the ref the user gave."""
    return f"{path} at --ref HEAD" if tree == "revision" else path


@pytest.fixture(autouse=True)
def no_backend(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The build backend is never run here: a call is recorded and answers nothing usable."""
    monkeypatch.setattr(backend, "_CACHE", weakref.WeakKeyDictionary())
    calls: list[Any] = []

    def refuse(tree: Any) -> tuple[str, str]:
        calls.append(tree)
        raise AssertionError("the build backend ran")

    monkeypatch.setattr(backend, "_run_backend", refuse)
    return calls


# --- 1. no reader leaves the project (S2) ----------------------------------------------------

ENVIRON = "../../../../proc/self/environ"


@pytest.mark.parametrize("tree", list(TREES))
def test_proc_self_environ_is_never_read(repo: GitRepo, cli: Any, monkeypatch: pytest.MonkeyPatch,
                                         tree: str) -> None:
    monkeypatch.setenv("TWINE_PASSWORD", SECRET)
    committed(repo, {"setup.cfg": f"[metadata]\nname = demo\nversion = file: {ENVIRON}\n"})
    result = cli(*TREES[tree], cwd=repo.path)
    assert one_line(result) == (
        f"{at(repo, tree, 'setup.cfg')}:3: version = file: {ENVIRON} leaves the project ('..' climbs "
        f"above the project directory) {OUTSIDE_HINT}")
    assert SECRET not in result.out + result.err


LEAVING: dict[str, tuple[dict[str, str], str, str]] = {  # files, the file that gave the path, the rest
    "setup-cfg-file-absolute": (
        {"setup.cfg": "[metadata]\nname = demo\nversion = file: /etc/hostname\n"},
        "setup.cfg", ":3: version = file: /etc/hostname leaves the project (an absolute path)"),
    "setuptools-dynamic-file": (
        {"pyproject.toml": dynamic(SETUPTOOLS, '[tool.setuptools.dynamic]\n'
                                   'version = {file = "../outside/VERSION"}\n')},
        "pyproject.toml", ":10: version = file: ../outside/VERSION leaves the project ('..' climbs above "
        "the project directory)"),
    "hatch-path": (
        {"pyproject.toml": dynamic(HATCHLING, '[tool.hatch.version]\npath = "../../outside/secret.txt"\n'
                                   'pattern = "(?P<version>.+)"\n')},
        "pyproject.toml", ":10: [tool.hatch.version] path: ../../outside/secret.txt leaves the project "
        "('..' climbs above the project directory)"),
    "pdm-path": (
        {"pyproject.toml": dynamic(PDM, '[tool.pdm.version]\nsource = "file"\npath = "/etc/passwd"\n')},
        "pyproject.toml", ":11: [tool.pdm.version] path: /etc/passwd leaves the project (an absolute path)"),
    "version-files": (
        {"pyproject.toml": '[project]\nname = "demo"\nversion = "1.0"\n\n[tool.release-guard]\n'
                           'version-files = ["../../outside/secret.txt"]\n'},
        "pyproject.toml", ":6: [tool.release-guard] version-files: ../../outside/secret.txt leaves the "
        "project ('..' climbs above the project directory)"),
    "package-dir-up": (
        {"pyproject.toml": dynamic(SETUPTOOLS, '[tool.setuptools]\npackage-dir = {"" = "../outside"}\n\n'
                                   '[tool.setuptools.dynamic]\nversion = {attr = "demo.__version__"}\n')},
        "pyproject.toml", ": [tool.setuptools] package-dir: ../outside leaves the project ('..' climbs "
        "above the project directory)"),
    "package-dir-absolute-setup-cfg": (
        {"setup.cfg": "[metadata]\nname = demo\nversion = attr: demo.__version__\n\n[options]\n"
                      "package_dir =\n    = /usr/lib/python3\n"},
        "setup.cfg", ": [options] package_dir: /usr/lib/python3 leaves the project (an absolute path)"),
}


@pytest.mark.parametrize("tree", list(TREES))
@pytest.mark.parametrize("case", list(LEAVING))
def test_a_path_that_leaves_the_project_is_an_error(repo: GitRepo, cli: Any, case: str, tree: str) -> None:
    files, origin, rest = LEAVING[case]
    committed(repo, files)
    assert one_line(cli(*TREES[tree], cwd=repo.path)) == f"{at(repo, tree, origin)}{rest} {OUTSIDE_HINT}"


@pytest.mark.parametrize("attr", ["..etc.passwd", "demo/../../x.VERSION", "demo.", "demo.1x"])
def test_attr_must_be_a_dotted_name(tmp_path: Path, cli: Any, attr: str) -> None:
    (tmp_path / "setup.cfg").write_text(f"[metadata]\nname = demo\nversion = attr: {attr}\n")
    assert one_line(cli("version", cwd=tmp_path)) == (
        f"setup.cfg:3: attr: {attr} is not a dotted Python name (package.module.NAME) (hint: name the "
        "attribute that holds the version, e.g. attr: mypkg.__version__)")


def test_flit_module_name_must_be_a_module_name(tmp_path: Path, cli: Any) -> None:
    (tmp_path / "pyproject.toml").write_text(dynamic(FLIT, '[tool.flit.module]\nname = "../../etc"\n'))
    assert one_line(cli("version", cwd=tmp_path)) == (
        "pyproject.toml:10: [tool.flit.module] name '../../etc' is not a Python module name (hint: name "
        'the import package, e.g. name = "mypkg")')


def test_version_file_flag_that_leaves_the_project(repo: GitRepo, cli: Any) -> None:
    committed(repo, {"pyproject.toml": '[project]\nname = "demo"\nversion = "1.0"\n'})
    assert one_line(cli("check-version", "--version-file", "../secret.txt", cwd=repo.path)) == (
        f"../secret.txt leaves the project ('..' climbs above the project directory) {OUTSIDE_HINT}")


def test_a_symlink_out_of_the_working_tree(tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The working tree follows links on disk: one that ends outside the project is refused."""
    secret = tmp_path / "outside" / "token.txt"
    secret.parent.mkdir()
    secret.write_text(SECRET)
    project = tmp_path / "project"
    (project / "data").mkdir(parents=True)
    (project / "setup.cfg").write_text("[metadata]\nname = demo\nversion = file: data/VERSION\n")
    (project / "data" / "VERSION").symlink_to(secret)
    result = cli("version", cwd=project)
    real = os.path.realpath(secret)
    assert one_line(result) == (f"setup.cfg:3: version = file: data/VERSION leaves the project (a symlink "
                                f"leads to {real}, outside the project) {OUTSIDE_HINT}")
    assert SECRET not in result.out + result.err
    (project / "data" / "VERSION").unlink()  # a symlinked folder on the way is refused as well
    (project / "data").rmdir()
    (project / "data").symlink_to(secret.parent)
    (tmp_path / "outside" / "VERSION").write_text("6.6.6\n")
    assert "leaves the project (a symlink leads to" in one_line(cli("version", cwd=project))


@pytest.mark.parametrize("tree", list(TREES))
def test_a_committed_symlink_out_of_the_project(repo: GitRepo, cli: Any, tree: str) -> None:
    committed(repo, {"setup.cfg": "[metadata]\nname = demo\nversion = file: VERSION\n"})
    (repo.path / "VERSION").symlink_to("/etc/hostname")
    repo.commit("link")
    line = one_line(cli(*TREES[tree], cwd=repo.path))
    assert line.startswith(f"{at(repo, tree, 'setup.cfg')}:3: version = file: VERSION leaves the project (")
    if tree != "worktree":  # git stores the link's text; the file system resolves it
        assert line == (f"{at(repo, tree, 'setup.cfg')}:3: version = file: VERSION leaves the project "
                        f"(a symlink to /etc/hostname) {OUTSIDE_HINT}")


# --- 2. a symlink inside the project is followed on every tree (B9) ---------------------------

@pytest.mark.parametrize("flags", [(), ("--staged",), ("--ref", "HEAD")], ids=list(TREES))
def test_a_symlinked_pyproject_is_followed_on_every_tree(repo: GitRepo, cli: Any,
                                                         flags: tuple[str, ...]) -> None:
    repo.write("real/pyproject.toml", '[project]\nname = "linked"\nversion = "1.0"\n')
    (repo.path / "pyproject.toml").symlink_to("real/pyproject.toml")
    repo.write("setup.cfg", "[metadata]\nname = linked\nversion = file: VERSION\n")
    (repo.path / "VERSION").symlink_to("real/VERSION")  # a symlinked version file, one more hop
    repo.write("real/VERSION", "1.0\n")
    repo.commit("linked")
    result = cli("version", *flags, cwd=repo.path)
    assert result.code == 0, result
    assert result.out.splitlines()[:3] == [
        "name:            linked  pyproject.toml:2",
        "normalized name: linked",
        "version:         1.0  pyproject.toml:3",
    ]
    checked = cli("check-version", *flags, cwd=repo.path)
    assert (checked.code, checked.err) == (0, ""), checked
    assert checked.out == "release-guard: version 1.0 ok (pyproject.toml:3)\n"


@pytest.mark.parametrize("tree", list(TREES))
def test_a_symlinked_setup_cfg_and_version_file(repo: GitRepo, cli: Any, tree: str) -> None:
    repo.write("conf/setup.cfg", "[metadata]\nname = demo\nversion = file: VERSION\n")
    (repo.path / "setup.cfg").symlink_to("conf/setup.cfg")
    repo.write("conf/VERSION", "2.5.0")  # no newline: the blob looks like a link, but is a file
    (repo.path / "VERSION").symlink_to("./conf/../conf/VERSION")
    repo.commit("linked")
    result = cli(*TREES[tree], cwd=repo.path)
    assert result.code == 0, result
    expected = "version:         2.5.0  VERSION:1 (whole file)" if tree == "worktree" else \
        "release-guard: version 2.5.0 ok (VERSION:1 (whole file))"
    assert expected in result.out.splitlines()


def test_a_symlink_loop_in_git(repo: GitRepo, cli: Any) -> None:
    (repo.path / "pyproject.toml").symlink_to("a.toml")
    (repo.path / "a.toml").symlink_to("pyproject.toml")
    repo.commit("loop")
    assert one_line(cli("check-version", cwd=repo.path)) == (
        "pyproject.toml: more than 8 symlinks in a row (a symlink loop?) (hint: point pyproject.toml at a "
        "file, not a chain of links)")


@pytest.mark.parametrize("flags", [(), ("--staged",), ("--ref", "HEAD")], ids=list(TREES))
def test_a_subproject_link_to_a_sibling_leaves_the_project(repo: GitRepo, cli: Any,
                                                           flags: tuple[str, ...]) -> None:
    """Inside the repository, but outside the project directory (-C sub): refused, as setuptools does."""
    repo.write("shared/pyproject.toml", '[project]\nname = "shared"\nversion = "1.0"\n')
    (repo.path / "sub").mkdir()
    (repo.path / "sub" / "pyproject.toml").symlink_to("../shared/pyproject.toml")
    repo.commit("linked")
    line = one_line(cli("version", "-C", "sub", *flags, cwd=repo.path))
    assert line.startswith("pyproject.toml leaves the project (")


# --- 3. a BOM in pyproject.toml (B5) ----------------------------------------------------------

@pytest.mark.parametrize("tree", list(TREES))
def test_a_bom_in_pyproject_is_refused(repo: GitRepo, cli: Any, tree: str) -> None:
    repo.path.joinpath("pyproject.toml").write_bytes(b'\xef\xbb\xbf[project]\nname = "bom"\n'
                                                     b'version = "1.0"\n')
    repo.commit("bom")
    assert one_line(cli(*TREES[tree], cwd=repo.path)) == (
        f"{at(repo, tree, 'pyproject.toml')}: starts with a UTF-8 byte order mark, which pip and build "
        "refuse (hint: save pyproject.toml as UTF-8 without a BOM)")


def test_a_bom_in_other_files_is_dropped(tmp_path: Path, cli: Any) -> None:
    (tmp_path / "setup.cfg").write_bytes(b"\xef\xbb\xbf[metadata]\nname = bom\nversion = file: VERSION\n")
    (tmp_path / "VERSION").write_bytes(b"\xef\xbb\xbf1.2\n")
    result = cli("version", cwd=tmp_path)
    assert result.code == 0, result
    assert "version:         1.2  VERSION:1 (whole file)" in result.out


# --- 4. the hooks never run project code (S4) -------------------------------------------------

PWNED_FILES = {
    "pyproject.toml": dynamic(SETUPTOOLS, '[tool.setuptools.dynamic]\n'
                                          'version = {attr = "demo.__version__"}\n'),
    "src/demo/__init__.py": "import os\nos.system('touch PWNED')\n__version__ = '1.' + str(len('ab'))\n",
}
NOT_RUN = ("src/demo/__init__.py: __version__ is computed by code that release-guard does not run "
           f"{BACKEND_HINT}")


@pytest.mark.parametrize("command", [("version",), ("check-version",), ("check-version", "--ref", "HEAD"),
                                     ("check-version", "--worktree"), ("check-tag", "v1.2")],
                         ids=["version", "staged", "revision", "worktree", "check-tag"])
def test_code_is_not_run_without_opt_in(repo: GitRepo, cli: Any, no_backend: list[Any],
                                        command: tuple[str, ...]) -> None:
    committed(repo, PWNED_FILES)
    start = time.perf_counter()
    result = cli(*command, cwd=repo.path)
    assert time.perf_counter() - start < 1
    line = one_line(result)
    where = "src/demo/__init__.py"
    if "--ref" in command:
        where += " at --ref HEAD"
    elif command[0] == "check-tag":  # the tag does not exist yet: check-tag reads HEAD for it
        where += f" at HEAD (commit {repo.git('rev-parse', '--short=7', 'HEAD')}, for tag v1.2)"
    assert line == NOT_RUN.replace("src/demo/__init__.py", where, 1)
    assert not (repo.path / "PWNED").exists()
    assert no_backend == []


@pytest.mark.parametrize("opt_in", ["flag", "environment", "file"])
def test_the_backend_is_asked_when_allowed(repo: GitRepo, cli: Any, monkeypatch: pytest.MonkeyPatch,
                                           opt_in: str) -> None:
    asked: list[Any] = []

    def fake_backend(tree: Any) -> tuple[str, str]:  # what setuptools would say, without running it
        asked.append(tree)
        return "demo", "1.2"

    monkeypatch.setattr(backend, "_run_backend", fake_backend)
    files = dict(PWNED_FILES)
    flags: tuple[str, ...] = ()
    if opt_in == "flag":
        flags = ("--backend",)
    elif opt_in == "environment":
        monkeypatch.setenv("RELEASE_GUARD_ALLOW_BACKEND", "1")
    else:
        files["pyproject.toml"] += "\n[tool.release-guard]\nallow-backend = true\n"
    committed(repo, files)
    result = cli("check-version", *flags, cwd=repo.path)
    assert (result.code, result.err) == (0, ""), result
    assert result.out == ("release-guard: version 1.2 ok (src/demo/__init__.py (attr: demo.__version__; "
                          "computed by the build backend))\n")
    assert len(asked) == 1


def test_allow_backend_must_be_a_real_boolean(repo: GitRepo, cli: Any, no_backend: list[Any]) -> None:
    files = dict(PWNED_FILES)
    files["pyproject.toml"] += '\n[tool.release-guard]\nallow-backend = "true"\n'
    committed(repo, files)
    assert one_line(cli("check-version", cwd=repo.path)) == NOT_RUN
    assert no_backend == []


def test_check_tag_asks_the_backend_with_the_flag(repo: GitRepo, cli: Any,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backend, "_run_backend", lambda tree: ("demo", "1.2"))
    committed(repo, PWNED_FILES)
    repo.tag("v1.2")
    result = cli("check-tag", "v1.2", "--backend", "--repository-url", "http://127.0.0.1:9/",
                 "--allow-offline", "--timeout", "0.5", cwd=repo.path)
    assert result.code == 0, result
    assert "computed by code" not in result.err


# --- 5. configuration type errors are one line, never the backend ------------------------------

TYPE_ERRORS: dict[str, tuple[dict[str, str], str]] = {
    "hatch-path-int": (
        {"pyproject.toml": dynamic(HATCHLING, "[tool.hatch.version]\npath = 5\n")},
        "pyproject.toml:10: [tool.hatch.version] path must be a string, not an integer "
        "(hint: fix [tool.hatch.version] path in pyproject.toml)"),
    "setuptools-attr-int": (
        {"pyproject.toml": dynamic(SETUPTOOLS, "[tool.setuptools.dynamic]\nversion = {attr = 5}\n")},
        "pyproject.toml:10: [tool.setuptools.dynamic] version.attr must be a string, not an integer "
        "(hint: fix [tool.setuptools.dynamic] version.attr in pyproject.toml)"),
    "flit-module-int": (
        {"pyproject.toml": dynamic(FLIT, "[tool.flit.module]\nname = 5\n")},
        "pyproject.toml:10: [tool.flit.module] name must be a string, not an integer "
        "(hint: fix [tool.flit.module] name in pyproject.toml)"),
    "project-array-of-tables": (
        {"pyproject.toml": SETUPTOOLS + '\n[[project]]\nname = "demo"\n'},
        "pyproject.toml: project must be a table, not an array of tables "
        "(hint: fix project in pyproject.toml)"),
    "dynamic-string": (
        {"pyproject.toml": SETUPTOOLS + '\n[project]\nname = "demo"\ndynamic = "version"\n'},
        "pyproject.toml:7: [project] dynamic must be an array of strings, not a string "
        "(hint: fix [project] dynamic in pyproject.toml)"),
    "dynamic-int": (
        {"pyproject.toml": SETUPTOOLS + '\n[project]\nname = "demo"\ndynamic = 5\n'},
        "pyproject.toml:7: [project] dynamic must be an array of strings, not an integer "
        "(hint: fix [project] dynamic in pyproject.toml)"),
    "tool-int": (
        {"pyproject.toml": 'tool = 5\n[project]\nname = "demo"\nversion = "1.0"\n'},
        "pyproject.toml:1: tool must be a table, not an integer (hint: fix tool in pyproject.toml)"),
    "requires-int": (
        {"pyproject.toml": '[build-system]\nrequires = 5\n\n[project]\nname = "demo"\n'
                           'dynamic = ["version"]\n'},
        "pyproject.toml:2: [build-system] requires must be an array of strings, not an integer "
        "(hint: fix [build-system] requires in pyproject.toml)"),
    "package-dir-string": (
        {"pyproject.toml": dynamic(SETUPTOOLS, '[tool.setuptools]\npackage-dir = "src"\n\n'
                                   '[tool.setuptools.dynamic]\nversion = {attr = "demo.__version__"}\n')},
        "pyproject.toml:10: [tool.setuptools] package-dir must be a table of folders, not a string "
        "(hint: fix [tool.setuptools] package-dir in pyproject.toml)"),
    "package-dir-value-int": (
        {"pyproject.toml": dynamic(SETUPTOOLS, '[tool.setuptools]\npackage-dir = {"" = 5}\n\n'
                                   '[tool.setuptools.dynamic]\nversion = {attr = "demo.__version__"}\n')},
        "pyproject.toml:10: [tool.setuptools] package-dir \"\" must be a string, not an integer "
        "(hint: fix [tool.setuptools] package-dir \"\" in pyproject.toml)"),
    "hatch-pattern-unclosed": (
        {"pyproject.toml": dynamic(HATCHLING, '[tool.hatch.version]\npath = "demo.py"\n'
                                   'pattern = "(unclosed"\n'),
         "demo.py": '__version__ = "1.0"\n'},
        "pyproject.toml:11: [tool.hatch.version]: pattern is not a valid regular expression: missing ), "
        "unterminated subpattern at position 0 (hint: fix the pattern in [tool.hatch.version])"),
    "cargo-package-int": (
        {"pyproject.toml": dynamic(MATURIN, ""), "Cargo.toml": "package = 1\n"},
        "Cargo.toml: package must be a table, not an integer (hint: fix [package] in Cargo.toml)"),
    "setuptools-dynamic-version-string": (
        {"pyproject.toml": dynamic(SETUPTOOLS, '[tool.setuptools.dynamic]\nversion = "1.0"\n')},
        "pyproject.toml:10: [tool.setuptools.dynamic] version must be a table ({attr = ...} or "
        "{file = ...}), not a string (hint: fix [tool.setuptools.dynamic] version in pyproject.toml)"),
    "setuptools-file-empty": (
        {"pyproject.toml": dynamic(SETUPTOOLS, "[tool.setuptools.dynamic]\nversion = {file = []}\n")},
        "pyproject.toml:10: [tool.setuptools.dynamic] version.file must be a string or a non-empty array of "
        "strings, not an array (hint: fix [tool.setuptools.dynamic] version.file in pyproject.toml)"),
    "poetry-version-int": (
        {"pyproject.toml": '[tool.poetry]\nname = "demo"\nversion = 1\n'},
        "pyproject.toml:3: [tool.poetry] version must be a string, not an integer "
        "(hint: fix [tool.poetry] version in pyproject.toml)"),
    "project-name-int": (
        {"pyproject.toml": '[project]\nname = 5\nversion = "1.0"\n'},
        "pyproject.toml:2: [project] name must be a string, not an integer "
        "(hint: fix [project] name in pyproject.toml)"),
}


@pytest.mark.parametrize("case", list(TYPE_ERRORS))
def test_a_wrong_type_is_one_line_and_never_the_backend(repo: GitRepo, cli: Any, no_backend: list[Any],
                                                        case: str) -> None:
    files, message = TYPE_ERRORS[case]
    committed(repo, files)
    for command in (("version",), ("check-version",), ("check-version", "--backend")):
        assert one_line(cli(*command, cwd=repo.path)) == message, command
    assert no_backend == []


# --- 6. the project's own regex is bounded (S7) -----------------------------------------------

def test_a_catastrophic_pattern_ends_quickly(repo: GitRepo, cli: Any) -> None:
    committed(repo, {"pyproject.toml": dynamic(HATCHLING, '[tool.hatch.version]\npath = "demo.py"\n'
                                               'pattern = "^(a+)+$(?P<version>x)"\n'),
                     "demo.py": "a" * 32 + "b\n"})
    start = time.perf_counter()
    line = one_line(cli("check-version", cwd=repo.path))
    assert time.perf_counter() - start < 1
    assert line == ("pyproject.toml:11: [tool.hatch.version]: pattern took more than 0.5 s on demo.py (it "
                    "backtracks too much) (hint: simplify the pattern, e.g. "
                    '^__version__ = "(?P<version>[^"]+)")')


def test_a_pattern_that_does_not_match(tmp_path: Path, cli: Any) -> None:
    (tmp_path / "pyproject.toml").write_text(dynamic(HATCHLING, '[tool.hatch.version]\npath = "demo.py"\n'
                                                     "pattern = 'BUILD = \"(?P<version>[^\"]+)\"'\n"))
    (tmp_path / "demo.py").write_text('__version__ = "1.0"\n')
    assert one_line(cli("version", cwd=tmp_path)) == (
        "pyproject.toml:11: [tool.hatch.version]: pattern does not match demo.py (hint: fix the pattern or "
        "the version line in the file)")


def test_a_pattern_without_a_version_group(tmp_path: Path, cli: Any) -> None:
    (tmp_path / "pyproject.toml").write_text(dynamic(HATCHLING, '[tool.hatch.version]\npath = "demo.py"\n'
                                                     "pattern = '__version__ = \"([^\"]+)\"'\n"))
    (tmp_path / "demo.py").write_text('__version__ = "1.0"\n')
    assert one_line(cli("version", cwd=tmp_path)) == (
        "pyproject.toml:11: [tool.hatch.version]: pattern has no group named version (hint: mark the "
        "version in the pattern with (?P<version>...))")


def test_a_huge_version_file_is_refused(tmp_path: Path, cli: Any) -> None:
    (tmp_path / "pyproject.toml").write_text(dynamic(HATCHLING, '[tool.hatch.version]\npath = "demo.py"\n'
                                                     'pattern = "V = (?P<version>.+)"\n'))
    (tmp_path / "demo.py").write_text("#" * (1 << 20) + '\nV = 1.0\n')
    assert one_line(cli("version", cwd=tmp_path)) == (
        "demo.py: larger than 1 MiB, too large for a version file (hint: point [tool.hatch.version] path "
        "at the file that holds only the version)")


def test_a_custom_pattern_still_finds_the_version(tmp_path: Path) -> None:
    """The deadline does not change hatch's semantics: the whole file, MULTILINE, the first match."""
    table = '[tool.hatch.version]\npath = "v.py"\npattern = \'(?s)VERSION = \\(\\s*"(?P<version>[^"]+)"\'\n'
    (tmp_path / "pyproject.toml").write_text(dynamic(HATCHLING, table))
    (tmp_path / "v.py").write_text('x = 1\nVERSION = (\n    "2.0.1"\n)\n')
    info = read_project(WorkTree(tmp_path))
    assert info.version == "2.0.1"
    assert info.version_source is not None
    assert info.version_source.line == 3


def test_version_files_with_many_blank_lines_are_fast(tmp_path: Path) -> None:
    """The version-files scan was quadratic in blank lines (`^\\s*` with MULTILINE)."""
    (tmp_path / "VERSIONS").write_text("\n" * 200_000 + 'version = "1.0"\n')
    start = time.perf_counter()
    declaration = read_version_file(WorkTree(tmp_path), "VERSIONS")
    assert time.perf_counter() - start < 1
    assert declaration is not None
    assert (declaration.version, declaration.source.line) == ("1.0", 200_001)


# --- 7. no name, no version: never UNKNOWN 0.0.0 (B4) ------------------------------------------

NO_NAME = ("pyproject.toml: declares no name/version ([project] name and version, [tool.poetry], "
           'setup.cfg [metadata] or setup.py) (hint: add [project] with name = "..." and version = "0.1.0" '
           "to pyproject.toml)")


@pytest.mark.parametrize("flags", [(), ("--backend",)], ids=["default", "backend-allowed"])
def test_no_project_table_is_an_error(repo: GitRepo, cli: Any, no_backend: list[Any],
                                      flags: tuple[str, ...]) -> None:
    committed(repo, {"pyproject.toml": SETUPTOOLS + "\n[tool.black]\nline-length = 88\n"})
    repo.tag("v1.0")
    assert one_line(cli("version", *flags, cwd=repo.path)) == NO_NAME
    assert one_line(cli("check-version", *flags, cwd=repo.path)) == NO_NAME
    assert no_backend == []


@pytest.mark.parametrize(("answer", "message"), [
    (("UNKNOWN", "0.0.0"), "setup.py: declares no name/version: the build backend reported the placeholder "
                           "version 0.0.0"),
    (("UNKNOWN", "1.0"), "pyproject.toml: declares no name/version: the build backend reported the "
                         "placeholder name UNKNOWN"),
])
def test_the_backends_placeholders_are_refused(repo: GitRepo, cli: Any, monkeypatch: pytest.MonkeyPatch,
                                               answer: tuple[str, str], message: str) -> None:
    monkeypatch.setattr(backend, "_run_backend", lambda tree: answer)
    committed(repo, {"pyproject.toml": SETUPTOOLS, "setup.py": "from setuptools import setup\nsetup()\n"})
    assert one_line(cli("check-version", "--backend", cwd=repo.path)).startswith(message)


@pytest.mark.parametrize("version", ["get()", "'1.' + '0'", "'1.' '0'", "'{}.0'.format(1)", "'1.%d' % 0"])
def test_setup_py_without_a_literal_needs_the_backend(repo: GitRepo, cli: Any, no_backend: list[Any],
                                                      version: str) -> None:
    """A string that an expression goes on from is no literal: never its first piece ('1.')."""
    committed(repo, {"setup.py": f"from setuptools import setup\nsetup(name='demo', version={version})\n"})
    assert one_line(cli("check-version", cwd=repo.path)) == (
        "setup.py: the version is computed by code that release-guard does not run "
        f"{BACKEND_HINT}")
    assert no_backend == []


# --- 8. every declaration is compared (C14) ---------------------------------------------------

def test_project_and_poetry_versions_must_agree(repo: GitRepo, cli: Any) -> None:
    committed(repo, {"pyproject.toml": '[project]\nname = "demo"\nversion = "3.1.5"\n\n'
                                       '[tool.poetry]\nversion = "3.1.4"\n'})
    result = cli("check-version", cwd=repo.path)
    assert (result.code, result.err) == (1, "")
    assert result.out.splitlines() == [
        "pyproject.toml:6: RG104 version '3.1.4' differs from '3.1.5' in pyproject.toml:3",
        "  hint: make both say '3.1.5' (or both the new version)"]


def test_poetry_2_dynamic_version_is_read(tmp_path: Path) -> None:
    """Poetry 2: [project] dynamic = ["version"] and the version in [tool.poetry]."""
    (tmp_path / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["poetry-core>=2"]\nbuild-backend = "poetry.core.masonry.api"\n\n'
        '[project]\nname = "p2"\ndynamic = ["version"]\n\n[tool.poetry]\nversion = "2.0.1"\n')
    info = read_project(WorkTree(tmp_path))
    assert (info.version, info.dynamic, len(info.declarations)) == ("2.0.1", None, 1)
