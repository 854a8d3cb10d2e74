"""read_project and `release-guard version`: every version source, in every project state.

Each case writes the same project at four versions: 1.0.0 committed (HEAD~1), 2.0.0
committed (HEAD), 3.0.0 staged, 4.0.0 only on disk. Every state must report its own
version, from the right file and line.
"""

from __future__ import annotations

import gc
import json
import shutil
import subprocess
import sys
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from conftest import GitRepo
from release_guard import backend, git
from release_guard.errors import ProjectError
from release_guard.project import read_project
from release_guard.tree import GitTree, WorkTree

Files = Callable[[str], dict[str, str]]

SETUPTOOLS = '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n'
HATCHLING = '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
FLIT = '[build-system]\nrequires = ["flit_core >=3.2,<4"]\nbuild-backend = "flit_core.buildapi"\n'
PDM = '[build-system]\nrequires = ["pdm-backend"]\nbuild-backend = "pdm.backend"\n'
MATURIN = '[build-system]\nrequires = ["maturin>=1.0,<2.0"]\nbuild-backend = "maturin"\n'

COMPUTED = "computed from the module's text, not imported"
JSON_KEYS = {"name", "normalized_name", "name_source", "version", "version_source", "dynamic",
             "vcs_tool", "read_from"}


def dynamic(build: str, name: str, tables: str = "") -> str:
    """A pyproject.toml: [build-system], then [project] with a dynamic version (name on line 6)."""
    project = f'\n[project]\nname = "{name}"\ndynamic = ["version"]\n'
    return build + project + (f"\n{tables}" if tables else "")


def as_tuple(version: str) -> str:
    return "(" + ", ".join(version.split(".")) + ")"


@dataclass(frozen=True)
class Case:
    files: Files
    name: str | None
    name_source: tuple[str, int] | None
    path: str  # where the version is read
    line: int | None
    dynamic: str | None
    detail: str = ""


CASES: dict[str, Case] = {
    "pep621": Case(
        lambda v: {"pyproject.toml": f'[project]\nname = "Demo.Pkg"\nversion = "{v}"\ndescription = "d"\n'},
        "Demo.Pkg", ("pyproject.toml", 2), "pyproject.toml", 3, None),
    "pep621-with-scm-requirement": Case(  # a static version wins over a VCS plugin in requires
        lambda v: {"pyproject.toml": '[build-system]\nrequires = ["setuptools", "setuptools-scm"]\n\n'
                   f'[project]\nname = "static-scm"\nversion = "{v}"\n\n[tool.setuptools_scm]\n'},
        "static-scm", ("pyproject.toml", 5), "pyproject.toml", 6, None),
    "poetry": Case(
        lambda v: {"pyproject.toml": '[build-system]\nrequires = ["poetry-core>=1.0.0"]\n'
                   'build-backend = "poetry.core.masonry.api"\n\n'
                   f'[tool.poetry]\nname = "poetry-demo"\nversion = "{v}"\ndescription = ""\n'},
        "poetry-demo", ("pyproject.toml", 6), "pyproject.toml", 7, None),
    "setup-cfg-literal": Case(  # pyproject.toml holds only [build-system]: setup.cfg is primary
        lambda v: {"pyproject.toml": SETUPTOOLS,
                   "setup.cfg": f"[metadata]\nname = cfg_demo\nversion = {v}\n"},
        "cfg_demo", ("setup.cfg", 2), "setup.cfg", 3, None),
    "setup-cfg-colon-no-pyproject": Case(
        lambda v: {"setup.cfg": f"[metadata]\nname: cfg-colon\nversion: {v}\n\n[options]\nzip_safe = 0\n"},
        "cfg-colon", ("setup.cfg", 2), "setup.cfg", 3, None),
    "setup-cfg-attr-src-layout": Case(  # package_dir must win over a same-named top-level package
        lambda v: {"setup.cfg": "[metadata]\nname = attr-demo\nversion = attr: attr_demo.__version__\n\n"
                                "[options]\npackage_dir = =src\npackages = find:\n",
                   "src/attr_demo/__init__.py": f'"""Attr demo."""\n\n__version__ = "{v}"\n',
                   "attr_demo/__init__.py": '__version__ = "0.0.0"\n'},
        "attr-demo", ("setup.cfg", 2), "src/attr_demo/__init__.py", 3, "file"),
    "setup-cfg-attr-package-dir-multiline": Case(
        lambda v: {"setup.cfg": "[metadata]\nname = lib-demo\nversion = attr: lib_demo.about.VERSION\n\n"
                                "[options]\npackage_dir =\n    = lib\npackages = find:\n",
                   "lib/lib_demo/__init__.py": "",
                   "lib/lib_demo/about.py": f"AUTHOR = 'x'\nVERSION = '{v}'\n"},
        "lib-demo", ("setup.cfg", 2), "lib/lib_demo/about.py", 2, "file"),
    "setup-cfg-file": Case(
        lambda v: {"setup.cfg": "[metadata]\nname = file-demo\nversion = file: src/file_demo/VERSION\n",
                   "src/file_demo/VERSION": f"{v}\n"},
        "file-demo", ("setup.cfg", 2), "src/file_demo/VERSION", 1, "file", "whole file"),
    "hatch-default-pattern": Case(
        lambda v: {"pyproject.toml": HATCHLING + '\n[project]\nname = "hatch-demo"\ndynamic = ["version"]\n\n'
                   '[tool.hatch.version]\npath = "src/hatch_demo/__about__.py"\n',
                   "src/hatch_demo/__about__.py": f'# SPDX-License-Identifier: MIT\n__version__ = "{v}"\n'},
        "hatch-demo", ("pyproject.toml", 6), "src/hatch_demo/__about__.py", 2, "file"),
    "hatch-custom-pattern": Case(
        lambda v: {"pyproject.toml": dynamic(HATCHLING, "hatch-custom", '[tool.hatch.version]\n'
                                             'path = "hatch_custom/_build.py"\n'
                                             "pattern = \"BUILD_VERSION = '(?P<version>[^']+)'\"\n"),
                   "hatch_custom/_build.py": f"__version__ = \"0.0.0\"\nBUILD_VERSION = '{v}'\n"},
        "hatch-custom", ("pyproject.toml", 6), "hatch_custom/_build.py", 2, "file"),
    "setuptools-dynamic-attr": Case(  # the attribute named, not __version__
        lambda v: {"pyproject.toml": SETUPTOOLS + '\n[project]\nname = "st-attr"\ndynamic = ["version"]\n\n'
                   '[tool.setuptools.dynamic]\nversion = {attr = "st_attr.VERSION_STRING"}\n',
                   "src/st_attr/__init__.py": f'__version__ = "9.9.9"\nVERSION_STRING = "{v}"\n'},
        "st-attr", ("pyproject.toml", 6), "src/st_attr/__init__.py", 2, "file"),
    "setuptools-dynamic-attr-package-dir": Case(
        lambda v: {"pyproject.toml": SETUPTOOLS + '\n[project]\nname = "st-pkgdir"\ndynamic = ["version"]\n\n'
                   '[tool.setuptools]\npackage-dir = {"" = "lib"}\n\n'
                   '[tool.setuptools.dynamic]\nversion = {attr = "st_pkgdir.version.__version__"}\n',
                   "lib/st_pkgdir/__init__.py": "",
                   "lib/st_pkgdir/version.py": f'"""Version."""\n\n__version__: str = "{v}"\n'},
        "st-pkgdir", ("pyproject.toml", 6), "lib/st_pkgdir/version.py", 3, "file"),
    "setuptools-dynamic-file": Case(
        lambda v: {"pyproject.toml": SETUPTOOLS + '\n[project]\nname = "st-file"\ndynamic = ["version"]\n\n'
                   '[tool.setuptools.dynamic]\nversion = {file = "VERSION.txt"}\n',
                   "VERSION.txt": f"{v}\n"},
        "st-file", ("pyproject.toml", 6), "VERSION.txt", 1, "file", "whole file"),
    "setuptools-find-where-lib": Case(  # SQLAlchemy: packages.find where = ["lib"], no package-dir
        lambda v: {"pyproject.toml": '[build-system]\nbuild-backend = "setuptools.build_meta"\n'
                   'requires = ["setuptools>=77.0.3"]\n\n[project]\nname = "SQLAlchemy-Demo"\n'
                   'dynamic = ["version"]\n\n[tool.setuptools]\ninclude-package-data = true\n\n'
                   '[tool.setuptools.packages.find]\nwhere = ["lib"]\nnamespaces = false\n\n'
                   '[tool.setuptools.dynamic]\nversion = {attr = "sqla_demo.__version__"}\n',
                   "lib/sqla_demo/__init__.py": f'from . import util\n\n__version__ = "{v}"\n',
                   "sqla_demo/__init__.py": '__version__ = "0.0.1"\n'},  # not shipped: where wins
        "SQLAlchemy-Demo", ("pyproject.toml", 6), "lib/sqla_demo/__init__.py", 3, "file"),
    "flit": Case(
        lambda v: {"pyproject.toml": dynamic(FLIT, "flit-demo").replace('["version"]', '["version", "doc"]'),
                   "flit_demo/__init__.py": f'"""A flit demo."""\n\n__version__ = "{v}"\n'},
        "flit-demo", ("pyproject.toml", 6), "flit_demo/__init__.py", 3, "file"),
    "flit-module-name-src": Case(
        lambda v: {"pyproject.toml": FLIT + '\n[project]\nname = "flit-other"\ndynamic = ["version"]\n\n'
                   '[tool.flit.module]\nname = "other_mod"\n',
                   "src/other_mod/__init__.py": f"'''Doc.'''\n__version__ = '{v}'\n"},
        "flit-other", ("pyproject.toml", 6), "src/other_mod/__init__.py", 2, "file"),
    "pdm-file": Case(
        lambda v: {"pyproject.toml": dynamic(PDM, "pdm-demo", '[tool.pdm.version]\nsource = "file"\n'
                                             'path = "src/pdm_demo/__init__.py"\n'),
                   "src/pdm_demo/__init__.py": f'__version__ = "{v}"\n'},
        "pdm-demo", ("pyproject.toml", 6), "src/pdm_demo/__init__.py", 1, "file"),
    "pdm-legacy-from": Case(  # pdm-pep517: [tool.pdm] version = {from = "..."}
        lambda v: {"pyproject.toml": dynamic(PDM, "pdm-legacy", '[tool.pdm]\n'
                                             'version = {from = "pdm_legacy/__init__.py"}\n'),
                   "pdm_legacy/__init__.py": f'"""Doc."""\n__version__ = "{v}"\n'},
        "pdm-legacy", ("pyproject.toml", 6), "pdm_legacy/__init__.py", 2, "file"),
    "maturin-cargo": Case(
        lambda v: {"pyproject.toml": dynamic(MATURIN, "rusty-demo"),
                   "Cargo.toml": f'[package]\nname = "rusty_demo"\nversion = "{v}"\nedition = "2021"\n\n'
                   '[dependencies]\npyo3 = { version = "0.22", features = ["extension-module"] }\n'},
        "rusty-demo", ("pyproject.toml", 6), "Cargo.toml", 3, "file"),
    "setup-py-literal": Case(
        lambda v: {"setup.py": f'from setuptools import setup\n\nsetup(\n    name="setup-py-demo",\n'
                               f'    version="{v}",\n)\n'},
        "setup-py-demo", ("setup.py", 4), "setup.py", 5, None),
    "computed-format-tuple": Case(
        lambda v: {"pyproject.toml": dynamic(SETUPTOOLS, "computed-demo", '[tool.setuptools.dynamic]\n'
                                             'version = {attr = "computed_demo.__version__"}\n'),
                   "src/computed_demo/__init__.py": f'VERSION = {as_tuple(v)}\n'
                   '__version__ = "{}.{}.{}".format(*VERSION)\n'},
        "computed-demo", ("pyproject.toml", 6), "src/computed_demo/__init__.py", 2, "computed", COMPUTED),
    "computed-join-map": Case(
        lambda v: {"pyproject.toml": SETUPTOOLS + '\n[project]\nname = "join-demo"\ndynamic = ["version"]\n\n'
                   '[tool.setuptools.dynamic]\nversion = {attr = "join_demo.__version__"}\n',
                   "join_demo.py": f'VERSION_INFO = {as_tuple(v)}\n\n'
                                   '__version__ = ".".join(map(str, VERSION_INFO))\n'},
        "join-demo", ("pyproject.toml", 6), "join_demo.py", 3, "computed", COMPUTED),
    "computed-flit-namedtuple": Case(  # the pyparsing style
        lambda v: {"pyproject.toml": FLIT + '\n[project]\nname = "nt-demo"\ndynamic = ["version"]\n',
                   "nt_demo/__init__.py": 'from collections import namedtuple\n\n'
                   'version_info = namedtuple("version_info", "major minor micro releaselevel serial")\n'
                   f'__version_info__ = version_info({as_tuple(v)[1:-1]}, "final", 0)\n'
                   '__version__ = "{}.{}.{}".format(*__version_info__[:3])\n'},
        "nt-demo", ("pyproject.toml", 6), "nt_demo/__init__.py", 5, "computed", COMPUTED),
}


@dataclass(frozen=True)
class State:
    flags: tuple[str, ...]
    version: str
    label: str  # "working tree", "index", or "HEAD" / "HEAD~1" (resolved to the sha)


STATES = {
    "worktree": State((), "4.0.0", "working tree"),
    "worktree-flag": State(("--worktree",), "4.0.0", "working tree"),
    "staged": State(("--staged",), "3.0.0", "index"),
    "ref-head": State(("--ref", "HEAD"), "2.0.0", "HEAD"),
    "ref-older": State(("--ref", "HEAD~1"), "1.0.0", "HEAD~1"),
}


def write_all(repo: GitRepo, files: dict[str, str]) -> None:
    for path, text in files.items():
        repo.write(path, text)


def four_states(repo: GitRepo, files: Files) -> None:
    """1.0.0 at HEAD~1, 2.0.0 at HEAD, 3.0.0 staged, 4.0.0 on disk only."""
    write_all(repo, files("1.0.0"))
    repo.commit("1.0.0")
    write_all(repo, files("2.0.0"))
    repo.commit("2.0.0")
    write_all(repo, files("3.0.0"))
    repo.stage()
    write_all(repo, files("4.0.0"))


def source_doc(path: str, line: int | None, detail: str = "") -> dict[str, object]:
    return {"path": path, "line": line, "detail": detail}


def version_json(cli: Any, cwd: Path, *args: str) -> dict[str, Any]:
    result = cli("version", "--format", "json", *args, cwd=cwd)
    assert (result.code, result.err) == (0, "")
    document: dict[str, Any] = json.loads(result.out)
    assert set(document) == JSON_KEYS
    return document


@pytest.fixture
def blob_reader(repo: GitRepo) -> Iterator[git.BlobReader]:
    reader = git.BlobReader(str(repo.path))
    yield reader
    reader.close()


def check_document(document: dict[str, Any], case: Case, version: str, label: str) -> None:
    assert document["version"] == version, label
    assert document["version_source"] == source_doc(case.path, case.line, case.detail)
    assert document["dynamic"] == case.dynamic
    assert document["vcs_tool"] is None
    assert document["read_from"] == label
    assert document["name"] == case.name
    if case.name is None:
        assert document["normalized_name"] is None
        assert document["name_source"] is None
    else:
        assert document["normalized_name"] == case.name.lower().replace("_", "-").replace(".", "-")
        assert document["name_source"] == source_doc(*case.name_source or ("", 0))


@pytest.mark.parametrize("case_id", list(CASES))
def test_version_in_every_state(repo: GitRepo, cli: Any, blob_reader: git.BlobReader, case_id: str) -> None:
    """`release-guard version` and read_project on the work tree, the index and two commits."""
    case = CASES[case_id]
    four_states(repo, case.files)
    for state in STATES.values():
        label = repo.git("rev-parse", state.label) if state.label.startswith("HEAD") else state.label
        check_document(version_json(cli, repo.path, *state.flags), case, state.version, label)

    git_repo = git.open_repo(str(repo.path))
    head, older = repo.git("rev-parse", "HEAD"), repo.git("rev-parse", "HEAD~1")
    trees = {
        "4.0.0": WorkTree(repo.path),
        "3.0.0": GitTree(git_repo, "", blob_reader),
        "2.0.0": GitTree(git_repo, head, blob_reader),
        "1.0.0": GitTree(git_repo, older, blob_reader),
    }
    for version, tree in trees.items():
        info = read_project(tree)
        assert info.version == version, tree.label
        assert info.version_source is not None
        assert (info.version_source.path, info.version_source.line) == (case.path, case.line)
        assert info.dynamic == case.dynamic
        assert info.tree_label == tree.label
        assert info.declarations[0].version == version
        assert not info.vcs_derived


def test_text_output_lines(repo: GitRepo, cli: Any) -> None:
    four_states(repo, CASES["pep621"].files)
    assert cli("version", cwd=repo.path).out.splitlines() == [
        "name:            Demo.Pkg  pyproject.toml:2",
        "normalized name: demo-pkg",
        "version:         4.0.0  pyproject.toml:3",
        "read from:       working tree",
    ]
    head = repo.git("rev-parse", "HEAD")
    result = cli("version", "--ref", "HEAD", cwd=repo.path)
    assert result.code == 0
    assert result.out.splitlines()[2:] == [
        "version:         2.0.0  pyproject.toml:3", f"read from:       {head}"]
    assert cli("version", "--staged", cwd=repo.path).out.splitlines()[2:] == [
        "version:         3.0.0  pyproject.toml:3", "read from:       index"]


def test_text_output_names_the_detail(tmp_path: Path, cli: Any) -> None:
    for case_id in ("setup-cfg-file", "computed-format-tuple"):
        for path, text in CASES[case_id].files("4.0.0").items():
            (tmp_path / case_id / path).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / case_id / path).write_text(text)
    assert cli("version", "-C", "setup-cfg-file", cwd=tmp_path).out.splitlines()[2] == (
        "version:         4.0.0  setup-cfg-file/src/file_demo/VERSION:1 (whole file)")
    assert cli("version", cwd=tmp_path / "computed-format-tuple").out.splitlines()[2] == (
        f"version:         4.0.0  src/computed_demo/__init__.py:2 ({COMPUTED})")


def test_ref_accepts_a_tag_and_an_abbreviated_sha(repo: GitRepo, cli: Any) -> None:
    four_states(repo, CASES["poetry"].files)
    repo.tag("v1.0.0", rev="HEAD~1")
    assert version_json(cli, repo.path, "--ref", "v1.0.0")["version"] == "1.0.0"
    older = repo.git("rev-parse", "HEAD~1")
    document = version_json(cli, repo.path, "--ref", older[:10])
    assert (document["version"], document["read_from"]) == ("1.0.0", older)


def test_file_added_only_in_later_commit_is_absent_at_older_ref(repo: GitRepo, cli: Any) -> None:
    """An older commit that still had a literal version keeps it; the switch to hatch came later."""
    repo.write("pyproject.toml", '[project]\nname = "moving"\nversion = "0.9.0"\n')
    repo.commit("literal")
    write_all(repo, CASES["hatch-default-pattern"].files("1.0.0"))
    repo.write("pyproject.toml", CASES["hatch-default-pattern"].files("1.0.0")["pyproject.toml"]
               .replace("hatch-demo", "moving"))
    repo.commit("to hatch")
    old = version_json(cli, repo.path, "--ref", "HEAD~1")
    new = version_json(cli, repo.path, "--ref", "HEAD")
    assert (old["version"], old["version_source"], old["dynamic"]) == (
        "0.9.0", source_doc("pyproject.toml", 3), None)
    assert (new["version"], new["version_source"]["path"], new["dynamic"]) == (
        "1.0.0", "src/hatch_demo/__about__.py", "file")


@pytest.mark.parametrize("flags", [(), ("--staged",), ("--ref", "HEAD")], ids=["worktree", "staged", "head"])
def test_subdirectory_project(repo: GitRepo, cli: Any, flags: tuple[str, ...]) -> None:
    repo.write("README.md", "monorepo\n")
    repo.write("pyproject.toml", '[project]\nname = "root-project"\nversion = "9.0.0"\n')
    repo.write("packages/sub/pyproject.toml", HATCHLING + '\n[project]\nname = "sub-project"\n'
               'dynamic = ["version"]\n\n[tool.hatch.version]\npath = "sub_project.py"\n')
    repo.write("packages/sub/sub_project.py", '__version__ = "1.5.0"\n')
    repo.commit()
    document = version_json(cli, repo.path, "-C", "packages/sub", *flags)
    assert document["name"] == "sub-project"
    assert document["version"] == "1.5.0"
    assert document["version_source"] == source_doc("packages/sub/sub_project.py", 1)
    assert document["name_source"] == source_doc("packages/sub/pyproject.toml", 6)
    text = cli("version", "--project", "packages/sub", *flags, cwd=repo.path)
    assert text.out.splitlines()[2] == "version:         1.5.0  packages/sub/sub_project.py:1"
    inside = version_json(cli, repo.path / "packages" / "sub", *flags)
    assert inside["version_source"] == source_doc("sub_project.py", 1)


def test_subdirectory_project_staged_ignores_the_work_tree(repo: GitRepo, cli: Any) -> None:
    repo.write("sub/pyproject.toml", '[project]\nname = "sub"\nversion = "1.0.0"\n')
    repo.commit()
    repo.write("sub/pyproject.toml", '[project]\nname = "sub"\nversion = "1.1.0"\n')
    repo.stage()
    repo.write("sub/pyproject.toml", '[project]\nname = "sub"\nversion = "1.2.0"\n')
    versions = [version_json(cli, repo.path, "-C", "sub", *flags)["version"]
                for flags in ((), ("--staged",), ("--ref", "HEAD"))]
    assert versions == ["1.2.0", "1.1.0", "1.0.0"]


VCS_CASES: dict[str, tuple[dict[str, str], str, str]] = {
    "setuptools-scm-table": ({"pyproject.toml": SETUPTOOLS + '\n[project]\nname = "scm-table"\n'
                              'dynamic = ["version"]\n\n[tool.setuptools_scm]\n'
                              'version_file = "src/scm_table/_version.py"\n'},
                             "setuptools-scm", "pyproject.toml"),
    "setuptools-scm-build-requires": ({"pyproject.toml": dynamic(
        '[build-system]\nrequires = ["setuptools>=64", "setuptools_scm[toml]>=6.2"]\n'
        'build-backend = "setuptools.build_meta"\n', "scm-req")},
                                      "setuptools-scm", "pyproject.toml"),
    "hatch-vcs": ({"pyproject.toml": '[build-system]\nrequires = ["hatchling", "hatch-vcs"]\n'
                   'build-backend = "hatchling.build"\n\n[project]\nname = "hvcs"\ndynamic = ["version"]\n\n'
                   '[tool.hatch.version]\nsource = "vcs"\n'},
                  "hatch-vcs", "pyproject.toml"),
    "versioningit": ({"pyproject.toml": '[build-system]\nrequires = ["setuptools", "versioningit"]\n'
                      'build-backend = "setuptools.build_meta"\n\n[project]\nname = "vit"\n'
                      'dynamic = ["version"]\n\n[tool.versioningit]\ndefault-version = "0+unknown"\n'},
                     "versioningit", "pyproject.toml"),
    "pdm-scm": ({"pyproject.toml": dynamic(PDM, "pdm-scm", '[tool.pdm.version]\nsource = "scm"\n')},
                "pdm-backend (scm)", "pyproject.toml"),
    "pdm-legacy-use-scm": ({"pyproject.toml": dynamic(PDM, "pdm-old-scm",
                                                      '[tool.pdm]\nversion = {use_scm = true}\n')},
                           "pdm-backend (scm)", "pyproject.toml"),
    "poetry-dynamic-versioning": ({"pyproject.toml": '[build-system]\nrequires = ["poetry-core>=1.0.0", '
                                   '"poetry-dynamic-versioning>=1.0.0,<2.0.0"]\n'
                                   'build-backend = "poetry_dynamic_versioning.backend"\n\n'
                                   '[tool.poetry]\nname = "pdv"\nversion = "0.0.0"\n\n'
                                   '[tool.poetry-dynamic-versioning]\nenable = true\n'},
                                  "poetry-dynamic-versioning", "pyproject.toml"),
    "setup-py-use-scm-version": ({"setup.py": 'from setuptools import setup\n\nsetup(\n    name="scm-py",\n'
                                  '    use_scm_version=True,\n    setup_requires=["setuptools_scm"],\n)\n'},
                                 "setuptools-scm", "setup.py"),
}


STATIC_VCS_DECOY = {"pyproject.toml": '[project]\nname = "decoy"\nversion = "9.9.9"\n',
                    "setup.py": 'from setuptools import setup\n\nsetup(name="decoy", version="9.9.9")\n'}


@pytest.mark.parametrize("flags", [(), ("--staged",), ("--ref", "HEAD")], ids=["worktree", "staged", "head"])
@pytest.mark.parametrize("case_id", list(VCS_CASES))
def test_vcs_derived_versions(repo: GitRepo, cli: Any, case_id: str, flags: tuple[str, ...]) -> None:
    """Only the state asked for holds the VCS project; the others declare 9.9.9, so reading
    the wrong state fails."""
    files, tool, path = VCS_CASES[case_id]
    static = {name: STATIC_VCS_DECOY[name] for name in files}
    states = [files if flags == ("--ref", "HEAD") else static, files if flags == ("--staged",) else static,
              files if not flags else static]
    write_all(repo, states[0])
    repo.commit()
    repo.tag("v1.4.0")
    write_all(repo, states[1])
    repo.stage()
    write_all(repo, states[2])
    document = version_json(cli, repo.path, *flags)
    assert document["version"] is None
    assert document["dynamic"] == "vcs"
    assert document["vcs_tool"] == tool
    assert document["version_source"] == source_doc(path, None, f"derived from VCS tags by {tool}")
    text = cli("version", *flags, cwd=repo.path)
    assert text.out.splitlines()[2] == (
        f"version:         (none: derived from VCS tags)  {path} (derived from VCS tags by {tool})")


def test_vcs_derived_read_project_reports_the_tool(tmp_path: Path) -> None:
    files, tool, _ = VCS_CASES["hatch-vcs"]
    (tmp_path / "pyproject.toml").write_text(files["pyproject.toml"])
    info = read_project(WorkTree(tmp_path))
    assert (info.name, info.version, info.dynamic, info.vcs_tool) == ("hvcs", None, "vcs", tool)
    assert info.vcs_derived
    assert info.declarations == ()


def test_poetry_dynamic_versioning_needs_enable(tmp_path: Path) -> None:
    """Without `enable = true` the plugin does nothing: the [tool.poetry] version is the version."""
    text = VCS_CASES["poetry-dynamic-versioning"][0]["pyproject.toml"].replace("enable = true", "")
    (tmp_path / "pyproject.toml").write_text(text)
    info = read_project(WorkTree(tmp_path))
    assert (info.version, info.dynamic, info.vcs_tool) == ("0.0.0", None, None)


def test_hatch_default_pattern_variants(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        dynamic(HATCHLING, "hv", '[tool.hatch.version]\npath = "hv.py"\n'))
    (tmp_path / "hv.py").write_text("import os\n\n    __version__ = '0.1'\nVERSION_INFO = (0, 2)\n"
                                    "Version = 'v2.3.4'\n__version__ = '5.0'\n")
    info = read_project(WorkTree(tmp_path))
    # hatch's pattern: case-insensitive, at the start of a line, the first match, a leading v dropped
    assert info.version == "2.3.4"
    assert info.version_source is not None
    assert info.version_source.line == 5


def test_missing_attr_module_is_a_project_error(tmp_path: Path) -> None:
    (tmp_path / "setup.cfg").write_text("[metadata]\nname = gone\nversion = attr: gone.__version__\n")
    with pytest.raises(ProjectError, match=r"setup.cfg:3: version = attr: gone.__version__ names a module"):
        read_project(WorkTree(tmp_path))


@pytest.fixture
def fresh_backend_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts with an empty backend cache."""
    monkeypatch.setattr(backend, "_CACHE", weakref.WeakKeyDictionary())


@pytest.mark.usefixtures("fresh_backend_cache")
@pytest.mark.parametrize("expression", [
    '"%*d" % (1000000000000, 1)',
    '"{:{}}".format("1.0", 1000000000000)',
    '"{:>{w}}".format("1.0", w=1000000000000)',
])
def test_format_width_from_an_argument_is_not_evaluated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        expression: str) -> None:
    """A width taken from an argument could ask for terabytes: only the backend may run that."""
    asked = []

    def fake_backend(tree: Any) -> tuple[str, str]:
        asked.append(tree)
        return "wide", "7.7.7"

    monkeypatch.setattr(backend, "_run_backend", fake_backend)
    (tmp_path / "pyproject.toml").write_text(dynamic(SETUPTOOLS, "wide", '[tool.setuptools.dynamic]\n'
                                                     'version = {attr = "wide.__version__"}\n'))
    (tmp_path / "wide.py").write_text(f"__version__ = {expression}\n")
    info = read_project(WorkTree(tmp_path), allow_backend=True)
    assert (info.version, info.dynamic, len(asked)) == ("7.7.7", "backend", 1)


def slow_files(version: str) -> dict[str, str]:
    head, _, tail = version.rpartition(".")
    return {
        "pyproject.toml": SETUPTOOLS + '\n[project]\nname = "slow-demo"\ndynamic = ["version"]\n\n'
                          '[tool.setuptools.dynamic]\nversion = {attr = "slow_demo.__version__"}\n',
        "src/slow_demo/__init__.py": f'def _v():\n    return "{head}." + "{tail}"\n\n\n__version__ = _v()\n',
        ".gitignore": "*.egg-info/\n",
    }


SLOW_DETAIL = "attr: slow_demo.__version__; computed by the build backend"


@pytest.mark.slow
@pytest.mark.usefixtures("fresh_backend_cache")
@pytest.mark.filterwarnings("ignore:Support for `\\[tool.setuptools\\]` in `pyproject.toml` is still")
@pytest.mark.parametrize("state_id", ["worktree", "staged", "ref-head"])
def test_version_computed_by_the_backend(repo: GitRepo, cli: Any, state_id: str) -> None:
    state = STATES[state_id]
    four_states(repo, slow_files)
    document = version_json(cli, repo.path, *state.flags, "--backend")
    assert document["version"] == state.version
    assert document["dynamic"] == "backend"
    assert document["version_source"] == source_doc("src/slow_demo/__init__.py", None, SLOW_DETAIL)
    assert document["name"] == "slow-demo"


@pytest.mark.usefixtures("fresh_backend_cache")
def test_backend_answer_is_not_reused_for_another_tree(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    def fake_backend(tree: Any) -> tuple[str, str]:  # what the backend would say, without running it
        return "slow-demo", (Path(tree.root) / "answer.txt").read_text()

    monkeypatch.setattr(backend, "_run_backend", fake_backend)
    projects = []
    for number in range(5):
        project = tmp_path / f"p{number}"
        for path, text in {**slow_files("1.0.0"), "answer.txt": f"1.0.{number}"}.items():
            (project / path).parent.mkdir(parents=True, exist_ok=True)
            (project / path).write_text(text)
        projects.append(project)
    trees = [WorkTree(project) for project in projects]
    assert [read_project(tree, allow_backend=True).version for tree in trees] == [
        f"1.0.{n}" for n in range(5)]
    assert len(backend._CACHE) == 5
    # an answer lives as long as its tree: a later tree (whatever id it gets) asks anew
    del trees
    gc.collect()
    assert len(backend._CACHE) == 0
    (projects[0] / "answer.txt").write_text("1.0.9")
    assert read_project(WorkTree(projects[0]), allow_backend=True).version == "1.0.9"


def console_script() -> str:
    found = shutil.which("release-guard", path=str(Path(sys.executable).parent))
    assert found is not None
    return found


@pytest.mark.slow
def test_backend_output_does_not_corrupt_json(tmp_path: Path) -> None:
    for path, text in slow_files("2.5.0").items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    proc = subprocess.run([console_script(), "version", "--format", "json", "--backend"], cwd=tmp_path,
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["version"] == "2.5.0"
    assert proc.stderr == ""
    assert list(tmp_path.rglob("*.egg-info")) == []  # the backend ran on a copy, not the user's tree


# --- what the distributions ship: the default release files -----------------------------

def pep621(build: str, name: str, tables: str = "") -> str:
    return build + f'\n[project]\nname = "{name}"\nversion = "1.0"\n' + (f"\n{tables}" if tables else "")


PACKAGES: dict[str, tuple[dict[str, str], tuple[str, ...]]] = {
    "flit-flat": ({"pyproject.toml": pep621(FLIT, "flatpkg"), "flatpkg/__init__.py": "",
                   "flatpkg/core.py": ""}, ("flatpkg/**",)),
    "flit-module-src": ({"pyproject.toml": pep621(FLIT, "flit-other",
                                                  '[tool.flit.module]\nname = "other_mod"\n'),
                         "src/other_mod/__init__.py": ""}, ("src/other_mod/**",)),
    "flit-single-module": ({"pyproject.toml": pep621(FLIT, "single-mod"), "single_mod.py": "x = 1\n"},
                           ("single_mod.py",)),
    "no-backend-flat": ({"pyproject.toml": '[project]\nname = "flatpkg"\nversion = "1.0"\n',
                         "flatpkg/__init__.py": ""}, ("flatpkg/**",)),
    "src-layout": ({"pyproject.toml": pep621(SETUPTOOLS, "Demo.Pkg"), "src/demo_pkg/__init__.py": ""},
                   ("src/**",)),
    "setuptools-where": ({"pyproject.toml": pep621(SETUPTOOLS, "sqla", '[tool.setuptools.packages.find]\n'
                                                   'where = ["lib"]\n')}, ("lib/**",)),
    "setuptools-package-dir": ({"pyproject.toml": pep621(SETUPTOOLS, "pd", '[tool.setuptools]\n'
                                                         'package-dir = {"" = "lib"}\n')}, ("lib/**",)),
    "setuptools-packages": ({"pyproject.toml": pep621(SETUPTOOLS, "many", '[tool.setuptools]\n'
                                                      'packages = ["alpha", "alpha.sub", "beta"]\n'
                                                      'py-modules = ["solo"]\n')},
                            ("alpha/**", "beta/**", "solo.py")),
    "setup-cfg-package-dir": ({"setup.cfg": "[metadata]\nname = demo\nversion = 1.0\n\n[options]\n"
                                            "package_dir =\n    =src\npackages = find:\n"}, ("src/**",)),
    "setup-cfg-packages": ({"setup.cfg": "[metadata]\nname = demo\nversion = 1.0\n\n[options]\n"
                                         "packages = one, two\npy_modules = solo\n"},
                           ("one/**", "two/**", "solo.py")),
    "setup-cfg-attr": ({"setup.cfg": "[metadata]\nname = other-name\nversion = attr: mypkg.about.VERSION\n",
                        "mypkg/__init__.py": "", "mypkg/about.py": 'VERSION = "1.0"\n'}, ("mypkg/**",)),
    "hatch-wheel-packages": ({"pyproject.toml": pep621(HATCHLING, "hw", '[tool.hatch.build.targets.wheel]\n'
                                                       'packages = ["src/foo"]\n')}, ("src/foo/**",)),
    "poetry-packages": ({"pyproject.toml": '[tool.poetry]\nname = "cleo"\nversion = "1.0"\n'
                                           'packages = [{include = "cleo", from = "src"}]\n'},
                        ("src/cleo/**",)),
    "maturin": ({"pyproject.toml": pep621(MATURIN, "rusty", '[tool.maturin]\npython-source = "python"\n')},
                ("src/**", "Cargo.toml", "python/**")),
    "nothing-found": ({"pyproject.toml": pep621(SETUPTOOLS, "elsewhere")}, ()),
}


@pytest.mark.parametrize("case_id", list(PACKAGES))
def test_packages_are_what_ships(repo: GitRepo, blob_reader: git.BlobReader, case_id: str) -> None:
    files, expected = PACKAGES[case_id]
    write_all(repo, files)
    repo.commit()
    head = repo.git("rev-parse", "HEAD")
    for tree in (WorkTree(repo.path), GitTree(git.open_repo(str(repo.path)), head, blob_reader)):
        assert read_project(tree).packages == expected, tree.label


def test_a_flat_layout_change_needs_a_bump(repo: GitRepo, cli: Any) -> None:
    """B1: flit's flat layout ships flatpkg/, so a change there after a release is RG106 / RG107."""
    write_all(repo, {"pyproject.toml": pep621(FLIT, "flatpkg"), "flatpkg/__init__.py": '"""Flat."""\n',
                     "flatpkg/core.py": "def f():\n    return 1\n"})
    repo.commit("release")
    repo.tag("v1.0")
    repo.write("flatpkg/core.py", "def f():\n    return 2\n")
    repo.stage()
    staged = cli("check-version", cwd=repo.path)
    assert (staged.code, staged.err) == (1, "")
    assert staged.out.splitlines()[0] == ("pyproject.toml:7: RG106 1.0 is already released (tag v1.0), but "
                                          "release files change (flatpkg/core.py); bump the version")
    repo.commit("change")
    based = cli("check-version", "--base", "v1.0", cwd=repo.path)
    assert based.code == 1
    assert "pyproject.toml:7: RG107 version 1.0 is equal to 1.0 on v1.0, but release files changed since " \
           "then (flatpkg/core.py)" in based.out.splitlines()
