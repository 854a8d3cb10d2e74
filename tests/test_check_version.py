"""End-to-end tests of `release-guard check-version` (the `version-bump` pre-commit hook).

Every scenario is a real git repository and the command runs in-process (the `cli`
fixture). Most scenarios run for every version source in `SOURCES` and in two states:
"staged" (what the hook sees at the pre-commit stage) and "committed" (`--ref HEAD`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from conftest import GitRepo

# --- version sources: each writes a project "demo" that declares a given version --------

SETUPTOOLS = '[build-system]\nrequires = ["setuptools>=68"]\nbuild-backend = "setuptools.build_meta"\n'
SRC_LAYOUT = "\n[options]\npackage_dir =\n    =src\npackages = find:\n"


def _pep621(version: str) -> dict[str, str]:
    return {"pyproject.toml": f'[project]\nname = "demo"\nversion = "{version}"\n'}


def _poetry(version: str) -> dict[str, str]:
    return {"pyproject.toml": f'[tool.poetry]\nname = "demo"\nversion = "{version}"\n'
                              'description = ""\nauthors = []\n'}


def _cfg_literal(version: str) -> dict[str, str]:
    return {"pyproject.toml": SETUPTOOLS,
            "setup.cfg": f"[metadata]\nname = demo\nversion = {version}\n"}


def _cfg_attr(version: str) -> dict[str, str]:
    return {"pyproject.toml": SETUPTOOLS,
            "setup.cfg": "[metadata]\nname = demo\nversion = attr: demo.__version__\n" + SRC_LAYOUT,
            "src/demo/__init__.py": f'__version__ = "{version}"\n'}


def _cfg_file(version: str) -> dict[str, str]:
    return {"pyproject.toml": SETUPTOOLS,
            "setup.cfg": "[metadata]\nname = demo\nversion = file: VERSION\n" + SRC_LAYOUT,
            "VERSION": f"{version}\n"}


def _hatch_path(version: str) -> dict[str, str]:
    return {"pyproject.toml": '[build-system]\nrequires = ["hatchling"]\n'
                              'build-backend = "hatchling.build"\n\n'
                              '[project]\nname = "demo"\ndynamic = ["version"]\n\n'
                              '[tool.hatch.version]\npath = "src/demo/__about__.py"\n',
            "src/demo/__about__.py": f'__version__ = "{version}"\n'}


def _setuptools_dynamic(spec: str) -> str:
    return (SETUPTOOLS + '\n[project]\nname = "demo"\ndynamic = ["version"]\n\n'
            f"[tool.setuptools.dynamic]\nversion = {spec}\n")


def _st_attr(version: str) -> dict[str, str]:
    return {"pyproject.toml": _setuptools_dynamic('{attr = "demo.__version__"}'),
            "src/demo/__init__.py": f'__version__ = "{version}"\n'}


def _st_file(version: str) -> dict[str, str]:
    return {"pyproject.toml": _setuptools_dynamic('{file = "VERSION"}'), "VERSION": f"{version}\n"}


def _scm(version: str) -> dict[str, str]:  # the version comes from the tags; `version` is unused
    return {"pyproject.toml": '[build-system]\nrequires = ["setuptools>=68", "setuptools-scm>=8"]\n'
                              'build-backend = "setuptools.build_meta"\n\n'
                              '[project]\nname = "demo"\ndynamic = ["version"]\n\n[tool.setuptools_scm]\n'}


@dataclass(frozen=True)
class VersionSource:
    id: str
    files: Callable[[str], dict[str, str]]
    where: str  # "path:line" of the version in findings ("" when derived from VCS)
    shown: str  # how the "ok" line names it
    holder: str  # the file whose text holds the version

    @property
    def vcs(self) -> bool:
        return not self.where


SOURCES = [
    VersionSource("pep621", _pep621, "pyproject.toml:3", "pyproject.toml:3", "pyproject.toml"),
    VersionSource("poetry", _poetry, "pyproject.toml:3", "pyproject.toml:3", "pyproject.toml"),
    VersionSource("setup.cfg", _cfg_literal, "setup.cfg:3", "setup.cfg:3", "setup.cfg"),
    VersionSource("setup.cfg-attr", _cfg_attr, "src/demo/__init__.py:1", "src/demo/__init__.py:1",
                  "src/demo/__init__.py"),
    VersionSource("setup.cfg-file", _cfg_file, "VERSION:1", "VERSION:1 (whole file)", "VERSION"),
    VersionSource("hatch-path", _hatch_path, "src/demo/__about__.py:1", "src/demo/__about__.py:1",
                  "src/demo/__about__.py"),
    VersionSource("setuptools-attr", _st_attr, "src/demo/__init__.py:1", "src/demo/__init__.py:1",
                  "src/demo/__init__.py"),
    VersionSource("setuptools-file", _st_file, "VERSION:1", "VERSION:1 (whole file)", "VERSION"),
    VersionSource("setuptools-scm", _scm, "", "pyproject.toml (derived from VCS tags by setuptools-scm)",
                  "pyproject.toml"),
]
# The checks are pure: a scenario runs for one source per distinct way the version is
# written — a TOML value, an INI value, a Python assignment, a whole file — and every source
# once (test_each_source_is_named_at_its_line). Reading each source in each state is
# test_project.py's; a VCS-derived version has its own tests below.
MATRIX = [s for s in SOURCES if s.id in ("pep621", "setup.cfg", "setuptools-attr", "setuptools-file")]
DECLARED = [s for s in SOURCES if not s.vcs]
SCM = SOURCES[-1]
STATES = ["staged", "committed"]

VCS_INFO = ("pyproject.toml: RG100 info: the version is derived from VCS tags by setuptools-scm; "
            "the consistency, tag and bump checks do not apply")


def write_project(repo: GitRepo, source: VersionSource, version: str, config: str = "") -> None:
    """Write the project declaring `version`; `config` is the body of [tool.release-guard]."""
    files = {"src/demo/__init__.py": '"""demo."""\n', **source.files(version)}
    if config:
        files["pyproject.toml"] = files.get("pyproject.toml", "") + f"\n[tool.release-guard]\n{config}"
    for path, text in files.items():
        repo.write(path, text)


def change_code(repo: GitRepo, text: str = "def f():\n    return 1\n") -> None:
    repo.write("src/demo/core.py", text)


def change_docs(repo: GitRepo) -> None:
    repo.write("tests/test_core.py", "def test_f():\n    pass\n")
    repo.write("docs/index.md", "# demo\n")
    repo.write("README.md", "demo, now documented\n")


def released(repo: GitRepo, source: VersionSource, version: str, config: str = "",
             tag: str | None = None) -> None:
    """Commit the project at `version` and tag it (`tag`, default v{version})."""
    write_project(repo, source, version, config)
    repo.commit(f"release {version}")
    repo.tag(tag or f"v{version}")


def check(repo: GitRepo, cli: Any, state: str, *args: str) -> Any:
    """Stage everything and run the hook's check, or commit it and check `--ref HEAD`."""
    if state == "staged":
        repo.stage()
        return cli("check-version", *args, cwd=repo.path)
    repo.commit("the change under test")
    return cli("check-version", "--ref", "HEAD", *args, cwd=repo.path)


_FINDING = re.compile(r"^(\S+: )?RG\d{3} ")


def finding_lines(out: str) -> list[str]:
    return [line for line in out.splitlines() if _FINDING.match(line)]


def hints(out: str) -> list[str]:
    return [line[len("  hint: "):] for line in out.splitlines() if line.startswith("  hint: ")]


def assert_outcome(result: Any, source: VersionSource, *lines: str) -> None:
    """Exactly these finding lines and exit 1; none and exit 0 when `lines` is empty.

    A VCS-derived version never fails: one informational RG100 line, exit 0.
    """
    assert result.err == ""
    if source.vcs:
        assert (result.code, finding_lines(result.out)) == (0, [VCS_INFO])
    elif lines:
        assert (result.code, finding_lines(result.out)) == (1, list(lines))
    else:
        assert (result.code, finding_lines(result.out)) == (0, [])
    if source.vcs:
        assert result.out.splitlines()[-1] == (
            "release-guard: the version comes from VCS tags (setuptools-scm): nothing to check")
    elif result.code == 0:
        assert result.out.splitlines()[-1].endswith(f" ok ({source.shown})")


def at(source: VersionSource, finding: str) -> str:
    return f"{source.where}: {finding}"


def release_changes(source: VersionSource, *paths: str) -> str:
    """How RG106/RG107 list the changed release files: sorted, VERSION is not a release file."""
    return ", ".join(sorted({p for p in (source.holder, *paths) if p != "VERSION"}))


by_source = pytest.mark.parametrize("source", MATRIX, ids=lambda s: s.id)
by_declared_source = by_source
by_state = pytest.mark.parametrize("state", STATES)


# --- 1-3: validity -------------------------------------------------------------------


@by_state
@by_declared_source
def test_invalid_version_is_rg101_with_the_nearest_valid_form(repo: GitRepo, cli: Any,
                                                             source: VersionSource, state: str) -> None:
    write_project(repo, source, "1.0.0 beta1")
    result = check(repo, cli, state)
    assert_outcome(result, source, at(source, "RG101 version '1.0.0 beta1' is not valid PEP 440"))
    assert hints(result.out) == ["use '1.0.0b1'"]


@pytest.mark.parametrize(("raw", "hint"), [
    ("1.0.0 beta1", "use '1.0.0b1'"),
    ("1.0.0-beta-1-", "use '1.0.0b1'"),
    ("1.0.0-SNAPSHOT", "use '1.0.0.dev0'"),
    ("one", "see PEP 440 for valid forms, e.g. '1.2.3', '1.2.3rc1'"),
])
def test_rg101_hints(repo: GitRepo, cli: Any, raw: str, hint: str) -> None:
    write_project(repo, SOURCES[0], raw)
    result = check(repo, cli, "staged")
    assert_outcome(result, SOURCES[0], f"pyproject.toml:3: RG101 version {raw!r} is not valid PEP 440")
    assert hints(result.out) == [hint]


NON_CANONICAL = [
    ("1.0.0-rc1", "1.0.0rc1"),
    ("v1.0", "1.0"),
    # The issue cites `1.0.0-beta.1` as invalid, but PEP 440 accepts it (a non-canonical
    # spelling of 1.0.0b1): it is RG102, and the hint still shows 1.0.0b1.
    ("1.0.0-beta.1", "1.0.0b1"),
]


@by_state
@pytest.mark.parametrize(("source", "raw", "canonical"), [
    pytest.param(source, raw, canonical, id=f"{source.id}-{raw}")
    for raw, canonical in NON_CANONICAL for source in MATRIX
    # hatchling's default pattern drops a leading "v" (see the test below)
    if not (source.id == "hatch-path" and raw.startswith("v"))
])
def test_non_canonical_version_is_rg102(repo: GitRepo, cli: Any, source: VersionSource, state: str,
                                        raw: str, canonical: str) -> None:
    """A warning, not a block: the backends and the index normalise the version (C1)."""
    write_project(repo, source, raw)
    result = check(repo, cli, state)
    assert (result.code, result.err, finding_lines(result.out)) == (0, "", [at(
        source, f"RG102 warning: version {raw!r} is not in canonical form; the index will list it as "
                f"{canonical!r}")])
    assert hints(result.out) == [f"write it as {canonical!r}"]
    assert result.out.splitlines()[-1] == f"release-guard: version {raw} ok ({source.shown})"


def test_hatch_path_drops_a_leading_v_like_hatchling(repo: GitRepo, cli: Any) -> None:
    source = next(s for s in SOURCES if s.id == "hatch-path")
    write_project(repo, source, "v1.0")
    result = check(repo, cli, "staged")
    assert_outcome(result, source)
    assert result.out == "release-guard: version 1.0 ok (src/demo/__about__.py:1)\n"


@by_state
@by_declared_source
def test_local_segment_is_rg103(repo: GitRepo, cli: Any, source: VersionSource, state: str) -> None:
    write_project(repo, source, "1.0.0+abc")
    result = check(repo, cli, state)
    assert_outcome(result, source, at(
        source, "RG103 version '1.0.0+abc' has a local segment '+abc', which the index refuses"))
    assert hints(result.out) == ["drop the local segment: '1.0.0'"]


@by_state
@by_declared_source
def test_valid_canonical_version_passes(repo: GitRepo, cli: Any, source: VersionSource, state: str) -> None:
    write_project(repo, source, "1.0.0rc1")
    result = check(repo, cli, state)
    assert_outcome(result, source)
    assert result.out == f"release-guard: version 1.0.0rc1 ok ({source.shown})\n"


# --- 4: consistency ------------------------------------------------------------------


@by_state
@by_source
def test_package_version_differs_is_rg104(repo: GitRepo, cli: Any, source: VersionSource,
                                          state: str) -> None:
    write_project(repo, source, "1.0.0")
    repo.write("src/demo/_version.py", '"""The version."""\n__version__ = "1.0.1"\n')
    result = check(repo, cli, state)
    assert_outcome(result, source, f"src/demo/_version.py:2: RG104 version '1.0.1' differs from "
                                   f"'1.0.0' in {source.where}")
    if not source.vcs:
        assert hints(result.out) == ["make both say '1.0.0' (or both the new version)"]


@by_state
@by_source
def test_version_files_entry_differs_is_rg104(repo: GitRepo, cli: Any, source: VersionSource,
                                              state: str) -> None:
    write_project(repo, source, "1.0.0", config='version-files = ["docs/conf.py"]\n')
    repo.write("docs/conf.py", 'project = "demo"\nrelease = "0.9.0"\n')
    result = check(repo, cli, state)
    assert_outcome(result, source, f"docs/conf.py:2: RG104 version '0.9.0' differs from '1.0.0' in "
                                   f"{source.where}")


@by_state
@by_source
def test_version_file_flag_entry_without_version_is_rg108(repo: GitRepo, cli: Any, source: VersionSource,
                                                          state: str) -> None:
    write_project(repo, source, "1.0.0")
    repo.write("docs/conf.py", 'project = "demo"\n')
    result = check(repo, cli, state, "--version-file", "docs/conf.py")
    assert_outcome(result, source, "docs/conf.py: RG108 declares no version that release-guard can find")


@by_state
@by_declared_source
def test_agreeing_declarations_pass(repo: GitRepo, cli: Any, source: VersionSource, state: str) -> None:
    write_project(repo, source, "1.0.0", config='version-files = ["docs/conf.py"]\n')
    repo.write("docs/conf.py", 'release = "1.0.0"\n')
    repo.write("src/demo/_version.py", '__version__ = "1.0.0"\n')
    assert_outcome(check(repo, cli, state), source)


def test_version_files_entry_that_does_not_exist_is_a_config_error(repo: GitRepo, cli: Any) -> None:
    write_project(repo, SOURCES[0], "1.0.0")
    result = check(repo, cli, "staged", "--version-file", "CITATION.cff")
    assert (result.code, result.out) == (2, "")
    assert result.err.startswith("release-guard: error: CITATION.cff: listed in version-files but not in "
                                 "the index (hint: fix the path in version-files")
    repo.write("CITATION.cff", 'cff-version: 1.2.0\nversion: "1.0.0"\n')
    assert check(repo, cli, "staged", "--version-file", "CITATION.cff").code == 0


def test_version_files_entry_without_a_version_is_rg108(repo: GitRepo, cli: Any) -> None:
    write_project(repo, SOURCES[0], "1.0.0")
    repo.write("CITATION.cff", "cff-version: 1.2.0\ntitle: demo\n")
    result = check(repo, cli, "staged", "--version-file", "CITATION.cff")
    assert (result.code, finding_lines(result.out)) == (
        1, ["CITATION.cff: RG108 declares no version that release-guard can find"])


def test_version_file_flag_adds_to_the_configured_list(repo: GitRepo, cli: Any) -> None:
    write_project(repo, SOURCES[0], "1.0.0", config='version-files = ["docs/conf.py"]\n')
    repo.write("docs/conf.py", 'release = "1.0.1"\n')
    repo.write("CITATION.cff", 'version: "1.0.2"\n')
    result = check(repo, cli, "staged", "--version-file", "CITATION.cff")
    # the flag adds a file to the configured list: both are checked
    assert finding_lines(result.out) == [
        "docs/conf.py:1: RG104 version '1.0.1' differs from '1.0.0' in pyproject.toml:3",
        "CITATION.cff:1: RG104 version '1.0.2' differs from '1.0.0' in pyproject.toml:3"]


def test_setup_cfg_differs_from_pyproject_is_rg104(repo: GitRepo, cli: Any) -> None:
    write_project(repo, SOURCES[0], "1.0.0")
    repo.write("setup.cfg", "[metadata]\nname = demo\nversion = 1.0.1\n")
    result = check(repo, cli, "staged")
    assert (result.code, finding_lines(result.out)) == (
        1, ["setup.cfg:3: RG104 version '1.0.1' differs from '1.0.0' in pyproject.toml:3"])


# --- 5: never lower than the newest reachable release tag -----------------------------


@by_state
@by_source
def test_lower_than_newest_tag_is_rg105(repo: GitRepo, cli: Any, source: VersionSource, state: str) -> None:
    released(repo, source, "1.2.0")
    write_project(repo, source, "1.1.0")
    change_code(repo)
    result = check(repo, cli, state)
    assert_outcome(result, source, at(source, "RG105 version 1.1.0 is lower than the newest release tag "
                                              "v1.2.0 (1.2.0)"))
    if not source.vcs:
        assert hints(result.out) == ["bump the version, e.g. to 1.2.1, 1.3.0, 2.0.0, 1.2.1.dev0"]


@pytest.mark.parametrize("annotated", [False, True], ids=["lightweight", "annotated"])
def test_rg105_picks_the_newest_tag_by_version_not_by_date(repo: GitRepo, cli: Any, annotated: bool) -> None:
    write_project(repo, SOURCES[0], "1.10.0")
    repo.commit("1.10.0")
    repo.tag("v1.10.0", annotated=annotated)
    repo.tag("v1.9.0", annotated=annotated)  # newer tag, older version
    repo.tag("not-a-release")
    write_project(repo, SOURCES[0], "1.9.5")
    result = check(repo, cli, "staged")
    assert finding_lines(result.out) == [
        "pyproject.toml:3: RG105 version 1.9.5 is lower than the newest release tag v1.10.0 (1.10.0)"]


def test_maintenance_branch_ignores_newer_tags_on_main(repo: GitRepo, cli: Any) -> None:
    pep621 = SOURCES[0]
    released(repo, pep621, "1.0.0", tag="v1.0")
    released(repo, pep621, "2.0.0", tag="v2.0")
    repo.git("checkout", "-q", "-b", "maint-1.0", "v1.0")
    write_project(repo, pep621, "1.0.1")
    change_code(repo)
    assert_outcome(check(repo, cli, "staged"), pep621)
    assert_outcome(check(repo, cli, "committed"), pep621)
    # below the maintenance line's own newest tag is still refused
    repo.tag("v1.0.1")
    write_project(repo, pep621, "1.0.0")
    assert_outcome(check(repo, cli, "staged"), pep621,
                   "pyproject.toml:3: RG105 version 1.0.0 is lower than the newest release tag v1.0.1 "
                   "(1.0.1)",
                   rg106(pep621, "1.0.0", "v1.0", "pyproject.toml"))


def test_tags_are_local_only(repo: GitRepo, cli: Any, tmp_path: Any) -> None:
    """A release tag that exists only on the remote is not seen (no fetch, no network)."""
    pep621 = SOURCES[0]
    write_project(repo, pep621, "1.0.0")
    repo.commit("1.0.0")
    remote = GitRepo(tmp_path / "remote.git")
    remote.path.mkdir()
    remote.git("init", "-q", "--bare")
    repo.git("remote", "add", "origin", str(remote.path))
    repo.git("push", "-q", "origin", "main")
    remote.git("tag", "v2.0.0", "main")
    write_project(repo, pep621, "1.0.1")
    assert_outcome(check(repo, cli, "staged"), pep621)
    repo.git("fetch", "-q", "--tags", "origin")
    assert_outcome(check(repo, cli, "staged"), pep621, "pyproject.toml:3: RG105 version 1.0.1 is lower "
                                                       "than the newest release tag v2.0.0 (2.0.0)")


# --- 6: bump policy -------------------------------------------------------------------


def rg106(source: VersionSource, version: str, tag: str, changed: str) -> str:
    return at(source, f"RG106 {version} is already released (tag {tag}), but release files change "
                      f"({changed}); bump the version")


@by_state
@by_source
def test_release_files_change_without_bump_is_rg106(repo: GitRepo, cli: Any, source: VersionSource,
                                                    state: str) -> None:
    released(repo, source, "0.1.2")
    change_code(repo)
    result = check(repo, cli, state)
    assert_outcome(result, source, rg106(source, "0.1.2", "v0.1.2", "src/demo/core.py"))
    if not source.vcs:
        assert hints(result.out) == ["bump the version, e.g. to 0.1.3, 0.2.0, 1.0.0, 0.1.3.dev0"]


@by_state
@by_source
def test_bumped_release_change_passes(repo: GitRepo, cli: Any, source: VersionSource, state: str) -> None:
    released(repo, source, "0.1.2")
    change_code(repo)
    write_project(repo, source, "0.1.3.dev0")
    assert_outcome(check(repo, cli, state), source)


@by_state
@by_source
def test_only_tests_docs_and_readme_change_passes(repo: GitRepo, cli: Any, source: VersionSource,
                                                  state: str) -> None:
    released(repo, source, "0.1.2")
    change_docs(repo)
    assert_outcome(check(repo, cli, state), source)


@by_state
@by_source
def test_on_release_policy_allows_the_same_change(repo: GitRepo, cli: Any, source: VersionSource,
                                                  state: str) -> None:
    released(repo, source, "0.1.2", config='bump-policy = "on-release"\n')
    change_code(repo)
    assert_outcome(check(repo, cli, state), source)


@by_state
@by_declared_source
def test_on_release_policy_still_checks_validity_consistency_and_tags(
        repo: GitRepo, cli: Any, source: VersionSource, state: str) -> None:
    released(repo, source, "1.2.0", config='bump-policy = "on-release"\n')
    write_project(repo, source, "1.1.0+local", config='bump-policy = "on-release"\n')
    repo.write("src/demo/_version.py", '__version__ = "1.2.0"\n')
    change_code(repo)
    result = check(repo, cli, state)
    assert_outcome(result, source,
                   at(source, "RG103 version '1.1.0+local' has a local segment '+local', which the "
                              "index refuses"),
                   f"src/demo/_version.py:1: RG104 version '1.2.0' differs from '1.1.0+local' in "
                   f"{source.where}",
                   at(source, "RG105 version 1.1.0+local is lower than the newest release tag v1.2.0 "
                              "(1.2.0)"))


@pytest.mark.parametrize("annotated", [False, True], ids=["lightweight", "annotated"])
@pytest.mark.parametrize(("tag", "version"), [("v1.0", "1.0.0"), ("v1.0.0", "1.0"), ("v1.0.0", "1.0.0")])
def test_canonically_equal_tag_counts_as_released(repo: GitRepo, cli: Any, tag: str, version: str,
                                                  annotated: bool) -> None:
    pep621 = SOURCES[0]
    write_project(repo, pep621, version)
    repo.commit("release")
    repo.tag(tag, annotated=annotated)
    change_code(repo)
    result = check(repo, cli, "staged")
    assert_outcome(result, pep621, rg106(pep621, version, tag, "src/demo/core.py"))


def test_released_version_on_another_branch_counts(repo: GitRepo, cli: Any) -> None:
    """RG106 looks at every tag, not only the reachable ones: 2.0.0 exists on main."""
    pep621 = SOURCES[0]
    released(repo, pep621, "1.0.0")
    released(repo, pep621, "2.0.0")
    repo.git("checkout", "-q", "-b", "maint-1.x", "v1.0.0")
    write_project(repo, pep621, "2.0.0")
    change_code(repo)
    assert_outcome(check(repo, cli, "staged"), pep621,
                   rg106(pep621, "2.0.0", "v2.0.0", "pyproject.toml, src/demo/core.py"))


def test_rg106_lists_three_changed_files_and_counts_the_rest(repo: GitRepo, cli: Any) -> None:
    pep621 = SOURCES[0]
    released(repo, pep621, "0.1.2")
    for name in "abcde":
        repo.write(f"src/demo/{name}.py", "x = 1\n")
    repo.write("setup.py", "from setuptools import setup\nsetup()\n")
    repo.write("docs/conf.py", "x = 1\n")
    result = check(repo, cli, "staged")
    assert finding_lines(result.out) == [rg106(pep621, "0.1.2", "v0.1.2",
                                               "setup.py, src/demo/a.py, src/demo/b.py and 3 more")]


def test_custom_release_and_ignore_files(repo: GitRepo, cli: Any) -> None:
    pep621 = SOURCES[0]
    config = 'release-files = ["src/**", "data/*.json"]\nignore-files = ["src/demo/_generated.py"]\n'
    released(repo, pep621, "0.1.2", config=config)
    repo.write("src/demo/_generated.py", "x = 2\n")
    repo.write("README.md", "docs\n")
    assert_outcome(check(repo, cli, "staged"), pep621)
    repo.write("data/table.json", "{}\n")
    assert_outcome(check(repo, cli, "staged"), pep621, rg106(pep621, "0.1.2", "v0.1.2", "data/table.json"))


# --- 7: --base ------------------------------------------------------------------------


def feature_branch(repo: GitRepo, source: VersionSource, version: str) -> None:
    """main holds the project at `version` (untagged); HEAD is a new branch `feature`."""
    write_project(repo, source, version)
    repo.commit(f"main at {version}")
    repo.git("checkout", "-q", "-b", "feature")


def rg107(source: VersionSource, version: str, relation: str, base: str, changed: str,
          label: str = "main") -> str:
    return at(source, f"RG107 version {version} is {relation} {base} on {label}, but release files "
                      f"changed since then ({changed})")


@by_state
@by_source
def test_base_equal_version_is_rg107(repo: GitRepo, cli: Any, source: VersionSource, state: str) -> None:
    feature_branch(repo, source, "1.0.0")
    change_code(repo)
    result = check(repo, cli, state, "--base", "main")
    assert_outcome(result, source, rg107(source, "1.0.0", "equal to", "1.0.0", "src/demo/core.py"))
    if not source.vcs:
        assert hints(result.out) == ["bump the version, e.g. to 1.0.1, 1.1.0, 2.0.0, 1.0.1.dev0"]


@by_state
@by_source
def test_base_lower_version_is_rg107(repo: GitRepo, cli: Any, source: VersionSource, state: str) -> None:
    feature_branch(repo, source, "1.0.0")
    change_code(repo)
    write_project(repo, source, "0.9.0")
    result = check(repo, cli, state, "--base", "main")
    changed = release_changes(source, "src/demo/core.py")
    assert_outcome(result, source, rg107(source, "0.9.0", "lower than", "1.0.0", changed))


@by_state
@by_source
def test_base_greater_version_passes(repo: GitRepo, cli: Any, source: VersionSource, state: str) -> None:
    feature_branch(repo, source, "1.0.0")
    change_code(repo)
    write_project(repo, source, "1.0.1")
    assert_outcome(check(repo, cli, state, "--base", "main"), source)


@by_state
def test_base_compares_with_the_version_at_ref_not_the_merge_base(repo: GitRepo, cli: Any,
                                                                  state: str) -> None:
    """Issue: the version must be greater than the version *at REF* (main moved on to 1.2.0)."""
    pep621 = SOURCES[0]
    feature_branch(repo, pep621, "1.0.0")
    write_project(repo, pep621, "1.1.0")
    change_code(repo)
    repo.git("add", "-A")
    repo.git("stash", "-q")
    repo.git("checkout", "-q", "main")
    write_project(repo, pep621, "1.2.0")  # main moved on after the branch point
    repo.commit("main at 1.2.0")
    repo.git("checkout", "-q", "feature")
    repo.git("stash", "pop", "-q")
    assert_outcome(check(repo, cli, state, "--base", "main"), pep621,
                   "pyproject.toml:3: RG107 version 1.1.0 is lower than 1.2.0 on main, but release files "
                   "changed since then (pyproject.toml, src/demo/core.py)")


@by_state
def test_base_only_non_release_files_changed_passes(repo: GitRepo, cli: Any, state: str) -> None:
    pep621 = SOURCES[0]
    feature_branch(repo, pep621, "1.0.0")
    change_docs(repo)
    assert_outcome(check(repo, cli, state, "--base", "main"), pep621)


@by_state
def test_base_version_moved_from_setup_cfg_to_pyproject(repo: GitRepo, cli: Any, state: str) -> None:
    setup_cfg, pep621 = SOURCES[2], SOURCES[0]
    feature_branch(repo, setup_cfg, "1.0.0")
    repo.write("setup.cfg", "[metadata]\nname = demo\n")
    repo.write("pyproject.toml", SETUPTOOLS + '\n[project]\nname = "demo"\nversion = "1.0.0"\n')
    result = check(repo, cli, state, "--base", "main")
    assert (result.code, finding_lines(result.out)) == (1, [
        "pyproject.toml:7: RG107 version 1.0.0 is equal to 1.0.0 on main, but release files changed "
        "since then (pyproject.toml, setup.cfg)"])
    write_project(repo, pep621, "1.0.1")
    repo.write("pyproject.toml", SETUPTOOLS + '\n[project]\nname = "demo"\nversion = "1.0.1"\n')
    result = check(repo, cli, state, "--base", "main")
    assert (result.code, result.out) == (0, "release-guard: version 1.0.1 ok (pyproject.toml:7)\n")


@by_state
def test_base_version_moved_from_pyproject_to_hatch_path(repo: GitRepo, cli: Any, state: str) -> None:
    hatch = next(s for s in SOURCES if s.id == "hatch-path")
    feature_branch(repo, SOURCES[0], "1.0.0")
    write_project(repo, hatch, "1.0.0")
    result = check(repo, cli, state, "--base", "main")
    assert_outcome(result, hatch, rg107(hatch, "1.0.0", "equal to", "1.0.0",
                                        "pyproject.toml, src/demo/__about__.py"))
    write_project(repo, hatch, "1.1.0")
    assert_outcome(check(repo, cli, state, "--base", "main"), hatch)


@by_state
@by_source
def test_base_before_the_project_existed_passes(repo: GitRepo, cli: Any, source: VersionSource,
                                                state: str) -> None:
    repo.write("README.md", "nothing here yet\n")
    repo.commit("empty")
    repo.git("checkout", "-q", "-b", "feature")
    write_project(repo, source, "0.1.0")
    change_code(repo)
    assert_outcome(check(repo, cli, state, "--base", "main"), source)


def test_base_that_is_no_commit_is_exit_2(repo: GitRepo, cli: Any) -> None:
    feature_branch(repo, SOURCES[0], "1.0.0")
    result = check(repo, cli, "staged", "--base", "no-such-branch")
    assert result.code == 2
    assert result.out == ""
    assert result.err.startswith("release-guard: error: ")
    assert "Traceback" not in result.err


# --- tag formats and monorepos --------------------------------------------------------


def test_tag_format_version_only(repo: GitRepo, cli: Any) -> None:
    pep621 = SOURCES[0]
    config = 'tag-format = "{version}"\n'
    released(repo, pep621, "1.2.0", config=config, tag="1.2.0")
    repo.tag("latest")  # not a version
    repo.tag("release-9.0.0")  # not this format
    write_project(repo, pep621, "1.1.0", config=config)
    assert_outcome(check(repo, cli, "staged"), pep621,
                   "pyproject.toml:3: RG105 version 1.1.0 is lower than the newest release tag 1.2.0 (1.2.0)")
    write_project(repo, pep621, "1.2.0", config=config)
    change_code(repo)
    assert_outcome(check(repo, cli, "staged"), pep621, rg106(pep621, "1.2.0", "1.2.0", "src/demo/core.py"))


def test_tag_format_flag_beats_the_file(repo: GitRepo, cli: Any) -> None:
    pep621 = SOURCES[0]
    released(repo, pep621, "1.2.0", config='tag-format = "release-{version}"\n', tag="v1.2.0")
    write_project(repo, pep621, "1.1.0", config='tag-format = "release-{version}"\n')
    assert_outcome(check(repo, cli, "staged"), pep621)
    assert_outcome(check(repo, cli, "staged", "--tag-format", "v{version}"), pep621,
                   "pyproject.toml:3: RG105 version 1.1.0 is lower than the newest release tag v1.2.0 "
                   "(1.2.0)")


def monorepo_package(repo: GitRepo, name: str, version: str) -> None:
    module = name.replace("-", "_")
    repo.write(f"{name}/pyproject.toml", f'[project]\nname = "{name}"\nversion = "{version}"\n\n'
                                         '[tool.release-guard]\ntag-format = "{name}-v{version}"\n')
    repo.write(f"{name}/src/{module}/__init__.py", '"""package."""\n')


@pytest.fixture
def monorepo(repo: GitRepo) -> GitRepo:
    """pkg-a at 1.0.0 (tag pkg-a-v1.0.0), pkg-b at 3.0.0 (tag pkg-b-v3.0.0), one repository."""
    monorepo_package(repo, "pkg-a", "1.0.0")
    monorepo_package(repo, "pkg-b", "3.0.0")
    repo.commit("two packages")
    repo.tag("pkg-a-v1.0.0")
    repo.tag("pkg-b-v3.0.0")
    repo.tag("v5.0.0")  # another format: ignored
    return repo


def test_monorepo_change_in_the_project_without_bump_is_rg106(monorepo: GitRepo, cli: Any) -> None:
    monorepo.write("pkg-a/src/pkg_a/core.py", "x = 1\n")
    result = check(monorepo, cli, "staged", "-C", "pkg-a")
    assert (result.code, finding_lines(result.out)) == (1, [
        "pkg-a/pyproject.toml:3: RG106 1.0.0 is already released (tag pkg-a-v1.0.0), but release files "
        "change (pkg-a/src/pkg_a/core.py); bump the version"])


@pytest.mark.parametrize("state", STATES)
def test_monorepo_other_projects_changes_and_tags_are_ignored(monorepo: GitRepo, cli: Any,
                                                              state: str) -> None:
    monorepo.write("pkg-b/src/pkg_b/core.py", "x = 1\n")
    monorepo.write("pkg-a/README.md", "docs\n")
    result = check(monorepo, cli, state, "-C", "pkg-a")
    assert (result.code, result.out) == (0, "release-guard: version 1.0.0 ok (pkg-a/pyproject.toml:3)\n")
    # pkg-b's newer tag does not make pkg-a's 1.0.1 "lower"; pkg-a's own tag does for 0.9.0
    monorepo_package(monorepo, "pkg-a", "1.0.1")
    assert check(monorepo, cli, state, "-C", "pkg-a").code == 0
    monorepo_package(monorepo, "pkg-a", "0.9.0")
    result = check(monorepo, cli, state, "-C", "pkg-a")
    assert (result.code, finding_lines(result.out)) == (1, [
        "pkg-a/pyproject.toml:3: RG105 version 0.9.0 is lower than the newest release tag pkg-a-v1.0.0 "
        "(1.0.0)"])


def test_monorepo_run_from_inside_the_project(monorepo: GitRepo, cli: Any) -> None:
    monorepo_package(monorepo, "pkg-a", "0.9.0")
    monorepo.stage()
    result = cli("check-version", cwd=monorepo.path / "pkg-a")
    assert (result.code, finding_lines(result.out)) == (1, [
        "pyproject.toml:3: RG105 version 0.9.0 is lower than the newest release tag pkg-a-v1.0.0 (1.0.0)"])


def test_monorepo_name_containing_dash_v(repo: GitRepo, cli: Any) -> None:
    monorepo_package(repo, "data-vault", "1.0.0")
    repo.commit("data-vault")
    repo.tag("data-vault-v1.0.0")
    monorepo_package(repo, "data-vault", "0.9.0")
    result = check(repo, cli, "staged", "-C", "data-vault")
    assert finding_lines(result.out) == [
        "data-vault/pyproject.toml:3: RG105 version 0.9.0 is lower than the newest release tag "
        "data-vault-v1.0.0 (1.0.0)"]


# --- states: --ref, --worktree, --staged ----------------------------------------------


def test_ref_checks_that_revision(repo: GitRepo, cli: Any) -> None:
    pep621 = SOURCES[0]
    write_project(repo, pep621, "1.0.0-rc1")
    repo.commit("rc1, spelled badly")
    write_project(repo, pep621, "1.0.0rc2")
    repo.commit("rc2")
    write_project(repo, pep621, "not a version")
    repo.stage()  # neither the index nor the working tree matters with --ref
    old = cli("check-version", "--ref", "HEAD~1", cwd=repo.path)
    assert (old.code, finding_lines(old.out)) == (0, [
        "pyproject.toml:3: RG102 warning: version '1.0.0-rc1' is not in canonical form; the index will "
        "list it as '1.0.0rc1'"])
    new = cli("check-version", "--ref", "HEAD", cwd=repo.path)
    assert (new.code, new.out) == (0, "release-guard: version 1.0.0rc2 ok (pyproject.toml:3)\n")


def test_ref_checks_that_commits_own_changes(repo: GitRepo, cli: Any) -> None:
    pep621 = SOURCES[0]
    released(repo, pep621, "0.1.2")
    change_code(repo)
    repo.commit("unbumped change")
    change_docs(repo)
    repo.commit("docs")
    assert cli("check-version", "--ref", "HEAD", cwd=repo.path).code == 0
    result = cli("check-version", "--ref", "HEAD~1", cwd=repo.path)
    assert finding_lines(result.out) == [rg106(pep621, "0.1.2", "v0.1.2", "src/demo/core.py")]


def test_ref_that_is_no_commit_is_exit_2(repo: GitRepo, cli: Any) -> None:
    write_project(repo, SOURCES[0], "1.0.0")
    repo.commit()
    result = cli("check-version", "--ref", "nope", cwd=repo.path)
    assert (result.code, result.out) == (2, "")
    assert result.err == ("release-guard: error: 'nope' is not a commit in "
                          f"{repo.path.resolve()} (hint: give a branch, tag or commit that exists "
                          "(git log --oneline))\n")


def test_worktree_reads_unstaged_files(repo: GitRepo, cli: Any) -> None:
    pep621 = SOURCES[0]
    change_code(repo)
    released(repo, pep621, "0.1.2")
    change_code(repo, "def f():\n    return 2\n")  # not staged
    assert_outcome(cli("check-version", cwd=repo.path), pep621)
    result = cli("check-version", "--worktree", cwd=repo.path)
    assert_outcome(result, pep621, rg106(pep621, "0.1.2", "v0.1.2", "src/demo/core.py"))
    write_project(repo, pep621, "0.1.3")
    assert_outcome(cli("check-version", "--worktree", cwd=repo.path), pep621)


def test_staged_state_ignores_unstaged_edits(repo: GitRepo, cli: Any) -> None:
    pep621 = SOURCES[0]
    released(repo, pep621, "0.1.2")
    change_code(repo)
    write_project(repo, pep621, "0.1.3")
    repo.stage()
    write_project(repo, pep621, "0.1.2")  # the bump is undone on disk but staged
    assert_outcome(cli("check-version", cwd=repo.path), pep621)
    assert_outcome(cli("check-version", "--staged", cwd=repo.path), pep621)


def test_first_commit_in_an_empty_repository(repo: GitRepo, cli: Any) -> None:
    pep621 = SOURCES[0]
    write_project(repo, pep621, "0.1.0")
    change_code(repo)
    assert_outcome(check(repo, cli, "staged"), pep621)


# --- policy precedence and output formats ---------------------------------------------


def test_bump_policy_env_beats_file_and_flag_beats_env(repo: GitRepo, cli: Any,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    pep621 = SOURCES[0]
    released(repo, pep621, "0.1.2", config='bump-policy = "on-change"\n')
    change_code(repo)
    repo.stage()
    failing = [rg106(pep621, "0.1.2", "v0.1.2", "src/demo/core.py")]
    assert finding_lines(cli("check-version", cwd=repo.path).out) == failing
    monkeypatch.setenv("RELEASE_GUARD_BUMP_POLICY", "on-release")
    assert_outcome(cli("check-version", cwd=repo.path), pep621)
    result = cli("check-version", "--bump-policy", "on-change", cwd=repo.path)
    assert (result.code, finding_lines(result.out)) == (1, failing)


def test_bump_policy_invalid_value_is_exit_2(repo: GitRepo, cli: Any,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    write_project(repo, SOURCES[0], "0.1.2")
    repo.stage()
    monkeypatch.setenv("RELEASE_GUARD_BUMP_POLICY", "always")
    result = cli("check-version", cwd=repo.path)
    assert (result.code, result.out) == (2, "")
    assert "bump-policy 'always' is not one of on-change, on-release" in result.err


def test_unknown_config_key_is_exit_2_naming_the_nearest(repo: GitRepo, cli: Any) -> None:
    write_project(repo, SOURCES[0], "0.1.2", config='bump_policy = "on-release"\n')
    repo.stage()
    result = cli("check-version", cwd=repo.path)
    assert (result.code, result.out) == (2, "")
    assert "unknown key 'bump_policy'" in result.err
    assert "did you mean 'bump-policy'?" in result.err


@pytest.fixture
def unbumped(repo: GitRepo) -> GitRepo:
    released(repo, SOURCES[0], "0.1.2")
    change_code(repo)
    repo.stage()
    return repo


RG106_MESSAGE = ("0.1.2 is already released (tag v0.1.2), but release files change (src/demo/core.py); "
                 "bump the version")
RG106_HINT = "bump the version, e.g. to 0.1.3, 0.2.0, 1.0.0, 0.1.3.dev0"


def test_format_json(unbumped: GitRepo, cli: Any) -> None:
    result = cli("check-version", "--format", "json", cwd=unbumped.path)
    assert result.code == 1
    assert json.loads(result.out) == {"exit_code": 1, "findings": [{
        "code": "RG106", "message": RG106_MESSAGE, "path": "pyproject.toml", "line": 3,
        "hint": RG106_HINT, "severity": "error"}]}


def test_format_json_vcs_info(repo: GitRepo, cli: Any) -> None:
    write_project(repo, SOURCES[-1], "")
    repo.stage()
    result = cli("check-version", "--format", "json", cwd=repo.path)
    assert result.code == 0
    document = json.loads(result.out)
    assert document["exit_code"] == 0
    assert [(f["code"], f["severity"], f["path"]) for f in document["findings"]] == [
        ("RG100", "info", "pyproject.toml")]


def test_format_github(unbumped: GitRepo, cli: Any) -> None:
    expected = (f"::error file=pyproject.toml,line=3,title=RG106::{RG106_MESSAGE} (hint: {RG106_HINT})\n")
    result = cli("check-version", "--format", "github", cwd=unbumped.path)
    assert (result.code, result.out) == (1, expected)


def test_format_github_is_the_default_under_github_actions(unbumped: GitRepo, cli: Any,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    result = cli("check-version", cwd=unbumped.path)
    assert result.code == 1
    assert result.out.startswith("::error file=pyproject.toml,line=3,title=RG106::")
    assert cli("check-version", "--format", "text", cwd=unbumped.path).out.startswith(
        "pyproject.toml:3: RG106 ")


def test_text_output_is_finding_then_hint(unbumped: GitRepo, cli: Any) -> None:
    result = cli("check-version", cwd=unbumped.path)
    assert (result.code, result.out, result.err) == (
        1, f"pyproject.toml:3: RG106 {RG106_MESSAGE}\n  hint: {RG106_HINT}\n", "")


# --- the pre-push stage, as pre-commit runs the hook -----------------------------------


def pre_push(monkeypatch: pytest.MonkeyPatch, from_ref: str, to_ref: str,
             local_branch: str = "refs/heads/main") -> None:
    """The environment pre-commit gives a hook at the pre-push stage."""
    monkeypatch.setenv("PRE_COMMIT_FROM_REF", from_ref)
    monkeypatch.setenv("PRE_COMMIT_TO_REF", to_ref)
    monkeypatch.setenv("PRE_COMMIT_LOCAL_BRANCH", local_branch)
    monkeypatch.setenv("PRE_COMMIT_REMOTE_BRANCH", "refs/heads/main")
    monkeypatch.setenv("PRE_COMMIT_REMOTE_NAME", "origin")
    monkeypatch.setenv("PRE_COMMIT_REMOTE_URL", "/srv/git/demo.git")


@pytest.fixture
def pushed(repo: GitRepo) -> tuple[GitRepo, str]:
    """The remote has the project at 1.0.0 (commit `remote_sha`); the index holds junk."""
    write_project(repo, SOURCES[0], "1.0.0")
    remote_sha = repo.commit("1.0.0")
    return repo, remote_sha


def stage_junk(repo: GitRepo) -> None:
    """The pre-push stage checks the pushed commit, never the index or the working tree."""
    write_project(repo, SOURCES[0], "not a version")
    repo.stage()


def test_pre_push_unbumped_change_after_a_release_is_rg106(
        pushed: tuple[GitRepo, str], cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    repo, remote_sha = pushed
    repo.tag("v1.0.0", rev=remote_sha)
    change_code(repo)
    repo.commit("fix")
    change_docs(repo)
    head = repo.commit("docs")
    stage_junk(repo)
    pre_push(monkeypatch, remote_sha, head)
    result = cli("check-version", cwd=repo.path)
    assert (result.code, finding_lines(result.out)) == (1, [
        "pyproject.toml:3: RG106 1.0.0 is already released (tag v1.0.0), but release files change "
        "(src/demo/core.py); bump the version"])


@pytest.mark.parametrize("policy", ["on-change", "on-release"])
def test_pre_push_of_unreleased_work_needs_no_bump(pushed: tuple[GitRepo, str], cli: Any,
                                                   monkeypatch: pytest.MonkeyPatch, policy: str) -> None:
    """Pushing code twice between releases is normal work: no bump is owed to the remote."""
    repo, remote_sha = pushed
    change_code(repo)
    head = repo.commit("feature work")
    pre_push(monkeypatch, remote_sha, head)
    monkeypatch.setenv("RELEASE_GUARD_BUMP_POLICY", policy)
    result = cli("check-version", cwd=repo.path)
    assert (result.code, finding_lines(result.out)) == (0, [])


@pytest.mark.parametrize("order", ["bump-first", "bump-last"])
def test_pre_push_bumped_range_passes(pushed: tuple[GitRepo, str], cli: Any,
                                      monkeypatch: pytest.MonkeyPatch, order: str) -> None:
    repo, remote_sha = pushed
    steps = [lambda: write_project(repo, SOURCES[0], "1.0.1"), lambda: change_code(repo)]
    for step in steps if order == "bump-first" else steps[::-1]:
        step()
        head = repo.commit(order)
    stage_junk(repo)
    pre_push(monkeypatch, remote_sha, head)
    result = cli("check-version", cwd=repo.path)
    assert (result.code, result.out) == (0, "release-guard: version 1.0.1 ok (pyproject.toml:3)\n")


def test_pre_push_docs_only_range_passes(pushed: tuple[GitRepo, str], cli: Any,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    repo, remote_sha = pushed
    change_docs(repo)
    head = repo.commit("docs")
    pre_push(monkeypatch, remote_sha, head)
    assert cli("check-version", cwd=repo.path).code == 0


def test_pre_push_checks_to_ref_not_head(pushed: tuple[GitRepo, str], cli: Any,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """`git push origin feature` from main: the pushed branch's tip is checked."""
    repo, remote_sha = pushed
    repo.tag("v1.0.0", rev=remote_sha)
    repo.git("checkout", "-q", "-b", "feature")
    change_code(repo)
    feature = repo.commit("unbumped")
    repo.git("checkout", "-q", "main")
    write_project(repo, SOURCES[0], "1.0.1")
    repo.commit("bumped on main")
    pre_push(monkeypatch, remote_sha, feature, "refs/heads/feature")
    result = cli("check-version", cwd=repo.path)
    assert result.code == 1
    assert finding_lines(result.out)[0].startswith("pyproject.toml:3: RG106 1.0.0 is already released")


def test_pre_push_to_ref_may_be_an_annotated_tag_object(pushed: tuple[GitRepo, str], cli: Any,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    repo, remote_sha = pushed
    write_project(repo, SOURCES[0], "1.0.0-rc1")
    repo.commit("badly spelled")
    repo.tag("marker", annotated=True)
    tag_object = repo.git("rev-parse", "marker")
    pre_push(monkeypatch, remote_sha, tag_object, "refs/tags/marker")
    result = cli("check-version", cwd=repo.path)
    assert result.code == 0
    assert finding_lines(result.out)[0] == (
        "pyproject.toml:3: RG102 warning: version '1.0.0-rc1' is not in canonical form; the index will "
        "list it as '1.0.0rc1'")


def test_pre_push_base_flag_beats_from_ref(pushed: tuple[GitRepo, str], cli: Any,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    repo, remote_sha = pushed
    write_project(repo, SOURCES[0], "1.0.1")
    repo.commit("1.0.1")
    repo.git("branch", "stable")
    change_code(repo)
    head = repo.commit("unbumped after 1.0.1")
    pre_push(monkeypatch, remote_sha, head)
    assert cli("check-version", cwd=repo.path).code == 0  # greater than the remote's 1.0.0
    result = cli("check-version", "--base", "stable", cwd=repo.path)
    assert finding_lines(result.out) == [
        "pyproject.toml:3: RG107 version 1.0.1 is equal to 1.0.1 on stable, but release files changed "
        "since then (src/demo/core.py)"]


def test_pre_push_of_a_new_root_branch_checks_head(repo: GitRepo, cli: Any,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A push of the whole history: pre-commit sets the remote and the pushed ref but no FROM/TO
    refs (as a real run shows: test_readme_promises_push.py::
    test_real_pre_commit_first_push_of_a_branch_that_is_not_head, where the pushed ref is not HEAD)."""
    write_project(repo, SOURCES[0], "1.0.0-rc1")
    repo.commit("first")
    write_project(repo, SOURCES[0], "1.0.0")
    repo.stage()
    monkeypatch.setenv("PRE_COMMIT_REMOTE_NAME", "origin")
    monkeypatch.setenv("PRE_COMMIT_REMOTE_URL", "/srv/git/demo.git")
    monkeypatch.setenv("PRE_COMMIT_LOCAL_BRANCH", "refs/heads/main")
    monkeypatch.setenv("PRE_COMMIT_REMOTE_BRANCH", "refs/heads/main")
    result = cli("check-version", cwd=repo.path)
    assert result.code == 0
    assert finding_lines(result.out) == [
        "pyproject.toml:3: RG102 warning: version '1.0.0-rc1' is not in canonical form; the index will "
        "list it as '1.0.0rc1'"]


@pytest.mark.parametrize("at_pre_push", [True, False], ids=["pre-push", "ci-ref-head"])
def test_pre_push_of_the_tagged_release_commit_passes(pushed: tuple[GitRepo, str], cli: Any,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      at_pre_push: bool) -> None:
    """bump, commit, `git tag v1.0.1`, `git push --follow-tags`: the usual release."""
    repo, remote_sha = pushed
    change_code(repo)
    write_project(repo, SOURCES[0], "1.0.1")
    head = repo.commit("release 1.0.1")
    repo.tag("v1.0.1", annotated=True)
    pre_push(monkeypatch, remote_sha, head)
    args = () if at_pre_push else ("--ref", "HEAD")
    if not at_pre_push:  # CI on the tag: `release-guard check-version --ref HEAD`
        for name in ("PRE_COMMIT_FROM_REF", "PRE_COMMIT_TO_REF", "PRE_COMMIT_REMOTE_NAME"):
            monkeypatch.delenv(name)
    result = cli("check-version", *args, cwd=repo.path)
    assert (result.code, finding_lines(result.out)) == (0, [])


# --- B6: a tag on HEAD with --base is that commit's own release -------------------------


def test_release_commit_with_base_agrees_in_every_state(repo: GitRepo, cli: Any) -> None:
    """The probe's case: HEAD tagged v1.2 (version 1.2), v1.0 on an earlier commit."""
    pep621 = SOURCES[0]
    released(repo, pep621, "1.0", tag="v1.0")
    change_code(repo)
    released(repo, pep621, "1.2", tag="v1.2")
    for state in (("--ref", "HEAD"), (), ("--staged",), ("--worktree",)):
        result = cli("check-version", *state, "--base", "v1.0", cwd=repo.path)
        assert (result.code, result.out) == (0, "release-guard: version 1.2 ok (pyproject.toml:3)\n"), state
    # A change after the release, staged (or on disk), is RG106; the release's own files are not listed.
    change_code(repo, "def f():\n    return 3\n")
    repo.write("src/demo/extra.py", "x = 1\n")
    repo.git("add", "src/demo/extra.py")
    staged = cli("check-version", "--base", "v1.0", cwd=repo.path)
    assert (staged.code, finding_lines(staged.out)) == (
        1, [rg106(pep621, "1.2", "v1.2", "src/demo/extra.py")])
    on_disk = cli("check-version", "--worktree", "--base", "v1.0", cwd=repo.path)
    assert (on_disk.code, finding_lines(on_disk.out)) == (
        1, [rg106(pep621, "1.2", "v1.2", "src/demo/core.py, src/demo/extra.py")])
    committed = cli("check-version", "--ref", "HEAD", "--base", "v1.0", cwd=repo.path)
    assert committed.code == 0


def test_base_with_an_earlier_release_of_the_same_version_is_still_rg106(repo: GitRepo, cli: Any) -> None:
    pep621 = SOURCES[0]
    released(repo, pep621, "1.0", tag="v1.0")
    repo.git("checkout", "-q", "-b", "feature")
    change_code(repo)
    repo.commit("unbumped")
    for state in (("--ref", "HEAD"), (), ("--worktree",)):
        result = cli("check-version", *state, "--base", "main", cwd=repo.path)
        assert finding_lines(result.out)[0] == rg106(pep621, "1.0", "v1.0", "src/demo/core.py"), state


# --- B10: shallow clones ------------------------------------------------------------------


SHALLOW_WARNING = ("RG109 warning: shallow clone: tags and history are missing, so RG105/RG106 cannot be "
                   "checked")
SHALLOW_HINT = ("fetch the history and the tags: git fetch --tags --unshallow (GitHub Actions: "
                "actions/checkout with fetch-depth: 0)")


@pytest.fixture
def origin(repo: GitRepo) -> GitRepo:
    """v1.0 and v1.1 released; main moved on (docs), so a depth-1 clone fetches no tag."""
    released(repo, SOURCES[0], "1.0", tag="v1.0")
    change_code(repo)
    released(repo, SOURCES[0], "1.1", tag="v1.1")
    change_docs(repo)
    repo.commit("docs")
    return repo


def clone(origin: GitRepo, tmp_path: Any, *args: str) -> GitRepo:
    target = GitRepo(tmp_path / "clone")
    origin.git("clone", "-q", *args, f"file://{origin.path}", str(target.path))
    return target


def test_shallow_clone_without_tags_warns(origin: GitRepo, cli: Any, tmp_path: Any) -> None:
    shallow = clone(origin, tmp_path, "--depth", "1")
    write_project(shallow, SOURCES[0], "0.9")
    shallow.stage()
    result = cli("check-version", cwd=shallow.path)
    assert (result.code, result.err) == (0, "")
    assert result.out == (f"{SHALLOW_WARNING}\n  hint: {SHALLOW_HINT}\n"
                          "release-guard: version 0.9 ok (pyproject.toml:3)\n")
    shallow.git("fetch", "-q", "--tags", "--unshallow")  # what the hint says
    fetched = cli("check-version", cwd=shallow.path)
    assert (fetched.code, finding_lines(fetched.out)) == (1, [
        "pyproject.toml:3: RG105 version 0.9 is lower than the newest release tag v1.1 (1.1)"])


def test_full_clone_and_shallow_clone_with_tags_do_not_warn(origin: GitRepo, cli: Any, tmp_path: Any) -> None:
    origin.tag("v1.1.0")  # on the tip: a depth-1 clone fetches it
    shallow = clone(origin, tmp_path, "--depth", "1")
    result = cli("check-version", cwd=shallow.path)
    assert (result.code, result.out) == (0, "release-guard: version 1.1 ok (pyproject.toml:3)\n")


def test_shallow_clone_base_without_merge_base_is_exit_2(origin: GitRepo, cli: Any, tmp_path: Any) -> None:
    origin.git("checkout", "-q", "-b", "feature", "v1.0")
    change_code(origin, "def f():\n    return 9\n")
    origin.commit("feature work")
    shallow = clone(origin, tmp_path, "--depth", "1", "--no-single-branch", "-b", "feature")
    result = cli("check-version", "--base", "origin/main", cwd=shallow.path)
    assert (result.code, result.out) == (2, "")
    assert result.err == (
        f"release-guard: error: --base origin/main and HEAD have no common ancestor in this shallow clone "
        f"({shallow.path}): the history between them was not fetched (hint: {SHALLOW_HINT})\n")
    single = clone(origin, tmp_path / "single", "--depth", "1", "-b", "feature")  # only the one branch
    missing = cli("check-version", "--base", "origin/main", cwd=single.path)
    assert (missing.code, missing.err) == (2, (
        f"release-guard: error: 'origin/main' is not a commit in this shallow clone ({single.path}) (hint: "
        "fetch it and the history: git fetch --unshallow origin main:refs/remotes/origin/main (GitHub "
        "Actions: actions/checkout with fetch-depth: 0))\n"))
    single.git("fetch", "-q", "--unshallow", "origin", "main:refs/remotes/origin/main")  # what it says
    fetched = cli("check-version", "--base", "origin/main", cwd=single.path)
    assert (fetched.code, finding_lines(fetched.out)) == (1, [  # checked now, both findings real
        rg106(SOURCES[0], "1.0", "v1.0", "src/demo/core.py"),
        "pyproject.toml:3: RG107 version 1.0 is lower than 1.1 on origin/main, but release files changed "
        "since then (src/demo/core.py)"])


# --- M3: ignore = [...] -------------------------------------------------------------------------


def test_ignore_silences_codes(repo: GitRepo, cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    pep621 = SOURCES[0]
    write_project(repo, pep621, "1.0.0-rc1", config='ignore = ["RG102"]\n')
    for state in STATES:
        result = check(repo, cli, state)
        assert (result.code, result.out) == (0, "release-guard: version 1.0.0-rc1 ok (pyproject.toml:3)\n")
    repo.tag("v1.0.0rc1")
    change_code(repo)
    assert check(repo, cli, "staged").code == 1  # RG106 is not ignored
    monkeypatch.setenv("RELEASE_GUARD_IGNORE", "RG106")  # the environment replaces the file's list
    result = cli("check-version", cwd=repo.path)
    assert (result.code, finding_lines(result.out)) == (0, [
        "pyproject.toml:3: RG102 warning: version '1.0.0-rc1' is not in canonical form; the index will "
        "list it as '1.0.0rc1'"])


# --- C3: bare version tags with the default format ----------------------------------------


def test_bare_version_tags_count_with_the_default_format(repo: GitRepo, cli: Any) -> None:
    pep621 = SOURCES[0]
    released(repo, pep621, "1.2.0", tag="1.2.0")
    write_project(repo, pep621, "1.1.0")
    assert_outcome(check(repo, cli, "staged"), pep621,
                   "pyproject.toml:3: RG105 version 1.1.0 is lower than the newest release tag 1.2.0 (1.2.0)")
    write_project(repo, pep621, "1.2.0")
    change_code(repo)
    assert_outcome(check(repo, cli, "staged"), pep621, rg106(pep621, "1.2.0", "1.2.0", "src/demo/core.py"))


# --- C7, C8, C9: what the messages name ---------------------------------------------------


def test_ref_errors_name_the_ref_not_a_hash(repo: GitRepo, cli: Any) -> None:
    repo.write("README.md", "nothing yet\n")
    repo.commit("empty")
    repo.write("pyproject.toml", '[project\nname = "demo"\n')
    repo.commit("broken")
    result = cli("check-version", "--ref", "main", cwd=repo.path)
    assert result.code == 2
    assert result.err.startswith("release-guard: error: pyproject.toml at --ref main: invalid TOML: "), result
    missing = cli("check-version", "--ref", "main~1", cwd=repo.path)
    assert (missing.code, missing.err) == (2, (
        "release-guard: error: no pyproject.toml, setup.cfg or setup.py at --ref main~1 (hint: check that "
        "the project existed there, or pass its directory with --project DIR)\n"))
    repo.write("pkg/pyproject.toml", '[project]\nname = "demo"\nversion = "1.0"\n')
    repo.commit("the project, in pkg/")
    sub = cli("check-version", "--ref", "main~1", "-C", "pkg", cwd=repo.path)
    assert sub.err.startswith("release-guard: error: no pyproject.toml, setup.cfg or setup.py in pkg/ at "
                              "--ref main~1 (hint: ")


def test_unmerged_project_file_is_named(repo: GitRepo, cli: Any) -> None:
    write_project(repo, SOURCES[0], "1.0.0")
    repo.commit("1.0.0")
    repo.git("checkout", "-q", "-b", "other")
    write_project(repo, SOURCES[0], "1.1.0")
    repo.commit("1.1.0")
    repo.git("checkout", "-q", "main")
    write_project(repo, SOURCES[0], "2.0.0")
    repo.commit("2.0.0")
    repo.git("merge", "-q", "other", check=False)
    assert "pyproject.toml" in repo.git("diff", "--name-only", "--diff-filter=U")
    for state in ((), ("--worktree",)):  # the index holds no stage 0; the file on disk has markers
        result = cli("check-version", *state, cwd=repo.path)
        assert (result.code, result.out) == (2, "")
        assert result.err == ("release-guard: error: pyproject.toml is unmerged (resolve the conflict first) "
                              "(hint: edit the conflict out, then git add pyproject.toml (git status lists "
                              "every conflict))\n"), state


def test_worktree_outside_git_checks_what_needs_no_git(tmp_path: Any, cli: Any) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "1.0.0-rc1"\n')
    result = cli("check-version", "--worktree", cwd=folder)
    assert (result.code, result.err) == (0, "")
    assert result.out.splitlines() == [
        "RG110 info: not inside a git repository: checked validity and consistency only; the tag and bump "
        "checks (RG105-RG107) need git",
        "  hint: run it in the project's git checkout to check them too",
        "pyproject.toml:3: RG102 warning: version '1.0.0-rc1' is not in canonical form; the index will list "
        "it as '1.0.0rc1'",
        "  hint: write it as '1.0.0rc1'",
        "release-guard: version 1.0.0-rc1 ok (pyproject.toml:3)",
    ]
    (folder / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "1.0+x"\n')
    assert cli("check-version", "--worktree", cwd=folder).code == 1
    for args in ((), ("--worktree", "--base", "main")):
        refused = cli("check-version", *args, cwd=folder)
        assert (refused.code, refused.out) == (2, "")
        assert refused.err.startswith("release-guard: error: . is not inside a git repository"), args


# --- M4: a monorepo root checks every listed project -------------------------------------


def mono_root(repo: GitRepo, projects: list[str], **versions: str) -> None:
    repo.write("pyproject.toml", '[tool.release-guard]\ntag-format = "{name}-v{version}"\n'
                                 f"projects = {json.dumps(projects)}\n")
    for folder, version in versions.items():
        name = folder.replace("_", "-")
        repo.write(f"pkgs/{name}/pyproject.toml", f'[project]\nname = "{name}"\nversion = "{version}"\n')
        repo.write(f"pkgs/{name}/src/{folder}/__init__.py", '"""package."""\n')


@pytest.fixture
def mono(repo: GitRepo) -> GitRepo:
    mono_root(repo, ["pkgs/pkg-a", "pkgs/pkg-b"], pkg_a="1.0.0", pkg_b="2.0.0")
    repo.commit("two packages")
    repo.tag("pkg-a-v1.0.0")
    repo.tag("pkg-b-v2.0.0")
    return repo


def test_monorepo_root_checks_every_project(mono: GitRepo, cli: Any) -> None:
    mono.write("pkgs/pkg-a/src/pkg_a/core.py", "x = 1\n")
    for state in STATES:
        result = check(mono, cli, state)
        assert (result.code, finding_lines(result.out)) == (1, [
            "pkgs/pkg-a/pyproject.toml:3: RG106 1.0.0 is already released (tag pkg-a-v1.0.0), but release "
            "files change (pkgs/pkg-a/src/pkg_a/core.py); bump the version"]), state
    mono.write("pkgs/pkg-a/pyproject.toml", '[project]\nname = "pkg-a"\nversion = "1.0.1"\n')
    mono.write("pkgs/pkg-b/pyproject.toml", '[project]\nname = "pkg-b"\nversion = "1.0.0"\n')
    result = check(mono, cli, "staged")
    assert (result.code, finding_lines(result.out)) == (1, [
        "pkgs/pkg-b/pyproject.toml:3: RG105 version 1.0.0 is lower than the newest release tag pkg-b-v2.0.0 "
        "(2.0.0)"])
    mono.write("pkgs/pkg-b/pyproject.toml", '[project]\nname = "pkg-b"\nversion = "2.0.0"\n')
    result = check(mono, cli, "committed")
    assert (result.code, result.out) == (0, "release-guard: version 1.0.1 ok (pkgs/pkg-a/pyproject.toml:3)\n"
                                            "release-guard: version 2.0.0 ok (pkgs/pkg-b/pyproject.toml:3)\n")


def test_monorepo_project_config_over_the_roots(mono: GitRepo, cli: Any) -> None:
    mono.write("pkgs/pkg-a/pyproject.toml", '[project]\nname = "pkg-a"\nversion = "1.0.1-rc1"\n\n'
                                            '[tool.release-guard]\nignore = ["RG102"]\n')
    mono.write("pkgs/pkg-b/pyproject.toml", '[project]\nname = "pkg-b"\nversion = "2.0.1-rc1"\n')
    result = check(mono, cli, "staged")
    assert (result.code, finding_lines(result.out)) == (0, [
        "pkgs/pkg-b/pyproject.toml:3: RG102 warning: version '2.0.1-rc1' is not in canonical form; the index "
        "will list it as '2.0.1rc1'"])


@pytest.mark.parametrize(("entry", "message"), [
    ("pkgs/pkg-typo", "projects entry 'pkgs/pkg-typo' has no pyproject.toml, setup.cfg or setup.py in the "
                      "index"),
    ("../..", "projects entry '../..' is not a folder inside the root"),
    ("/etc", "projects entry '/etc' is not a folder inside the root"),
])
def test_monorepo_entry_without_a_project_is_a_config_error(repo: GitRepo, cli: Any, entry: str,
                                                            message: str) -> None:
    mono_root(repo, ["pkgs/pkg-a", entry], pkg_a="1.0.0")
    result = check(repo, cli, "staged")
    assert (result.code, result.out) == (2, "")
    assert result.err.startswith(f"release-guard: error: pyproject.toml [tool.release-guard]: {message} "
                                 "(hint: "), result.err


# --- every source once; a VCS-derived version ------------------------------------------


@pytest.mark.parametrize("source", DECLARED, ids=lambda s: s.id)
def test_each_source_is_named_at_its_line(repo: GitRepo, cli: Any, source: VersionSource) -> None:
    """The matrix above runs four sources; every declared source names its own file and line."""
    released(repo, source, "1.0.0")
    write_project(repo, source, "1.0.0+local")
    result = check(repo, cli, "staged")
    assert result.code == 1
    assert finding_lines(result.out)[0] == at(source, "RG103 version '1.0.0+local' has a local segment "
                                                      "'+local', which the index refuses")


def test_a_vcs_version_is_rg100_where_a_declared_one_would_be_rg106(repo: GitRepo, cli: Any) -> None:
    """RG104-RG107 do not apply to a version derived from tags (README, RG100); a change
    with no bump after a release is not RG106 there."""
    released(repo, SCM, "", tag="v1.0.0")
    change_code(repo)
    result = check(repo, cli, "committed")
    assert (result.code, result.err, finding_lines(result.out)) == (0, "", [VCS_INFO])
    assert result.out.splitlines()[-1] == (
        "release-guard: the version comes from VCS tags (setuptools-scm): nothing to check")


def test_a_vcs_project_with_a_lower_version_file_is_still_rg100(repo: GitRepo, cli: Any) -> None:
    """No committed version, so no RG105 either, even with a greater tag present."""
    released(repo, SCM, "", tag="v2.0.0")
    repo.write("src/demo/__init__.py", '__version__ = "1.0.0"\n')
    result = check(repo, cli, "staged")
    assert (result.code, finding_lines(result.out)) == (0, [VCS_INFO])
