"""The name checks (RG601-RG605) as pure functions: names, normal forms, the standard
library, the index's "too similar", ownership by release tags."""

from __future__ import annotations

import re

import pytest
import stdlib_list
from hypothesis import given
from hypothesis import strategies as st
from packaging.version import Version

from release_guard.checks import name as checks

FACTS = checks.NameFacts("demo-pkg", "pyproject.toml", 2)
INDEX = "http://127.0.0.1:1/simple/"
STDLIB = checks.stdlib_prohibited(m for v in stdlib_list.short_versions for m in stdlib_list.stdlib_list(v))


def facts(name: str) -> checks.NameFacts:
    return checks.NameFacts(name, "pyproject.toml", 2)


# --- RG601: valid names ---------------------------------------------------------------------


@pytest.mark.parametrize("name", ["a", "Z", "7", "demo-pkg", "Demo.Pkg_x", "a..b", "a-_.b", "x1", "1x"])
def test_valid_names(name: str) -> None:
    assert checks.is_valid(name)
    assert checks.valid(facts(name)) == []


@pytest.mark.parametrize(("name", "nearest"), [
    ("my pkg!", "'my-pkg'"),
    ("-demo", "'demo'"),
    ("demo.", "'demo'"),
    ("_", None),
    ("", None),
    ("démo", "'d-mo'"),
    ("demo\n", "'demo'"),  # the index matches with \Z: a trailing newline is no valid name
    ("a/b", "'a-b'"),
])
def test_invalid_names(name: str, nearest: str | None) -> None:
    assert not checks.is_valid(name)
    [finding] = checks.valid(facts(name))
    assert (finding.code, finding.path, finding.line) == ("RG601", "pyproject.toml", 2)
    assert finding.message == (f"project name {name!r} is not a valid name: the index answers "
                               f"\"400 The name {name!r} is invalid\"")
    assert finding.hint.endswith(f": {nearest}" if nearest else ", e.g. 'my-project'")


@given(st.text(alphabet="aZ09._- !\n/é", max_size=8))
def test_valid_is_pep_508s_name(name: str) -> None:
    pep_508 = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)
    assert checks.is_valid(name) == (pep_508.match(name) is not None and not name.endswith("\n"))


@pytest.mark.parametrize(("name", "normal", "prefix"), [
    ("Demo.Pkg", "demo-pkg", "demo_pkg-"),
    ("demo_pkg", "demo-pkg", "demo_pkg-"),
    ("A__B..c-D", "a-b-c-d", "a_b_c_d-"),
    ("zope.interface", "zope-interface", "zope_interface-"),
])
def test_normalized_name_and_file_prefix(name: str, normal: str, prefix: str) -> None:
    assert (checks.normalized(name), checks.file_prefix(name)) == (normal, prefix)
    line = checks.passed_line(facts(name), None)
    assert f"valid (normalized {normal}, file names start {prefix})" in line


# --- RG602: standard-library module names ---------------------------------------------------


@pytest.mark.parametrize(("name", "module"), [
    ("asyncio", "asyncio"),
    ("os", "os"),
    ("os-path", "os.path"),  # a dotted submodule: its name, normalized
    ("OS.Path", "os.path"),
    ("xml-etree", "xml.etree"),
    ("xml_etree_ElementTree", "xml.etree.ElementTree"),
    ("Main", "__main__"),  # leading and trailing underscores are stripped first
    ("future", "__future__"),
    ("distutils", "distutils"),  # removed in 3.12, still refused: every version counts
    ("urllib2", "urllib2"),  # Python 2 only
    ("tkinter", "Tkinter"),
    ("annotationlib", "annotationlib"),  # new in 3.14
])
def test_standard_library_names_are_refused(name: str, module: str) -> None:
    [finding] = checks.stdlib(facts(name), STDLIB)
    assert finding.code == "RG602"
    assert f"is the standard-library module {module}: the index answers \"400 The name {name!r} isn't " \
           "allowed (conflict with Python Standard Library module name)\"" in finding.message


@pytest.mark.parametrize("name", ["demo-pkg", "requests", "os-paths", "asyncio-extras", "xml-etree-x"])
def test_other_names_are_no_standard_library_module(name: str) -> None:
    assert checks.stdlib(facts(name), STDLIB) == []


def test_the_normalized_name_is_said_when_it_differs() -> None:
    [finding] = checks.stdlib(facts("XML.etree"), STDLIB)
    assert finding.message.startswith("project name 'XML.etree' (normalized xml-etree) is the "
                                      "standard-library module xml.etree:")
    [plain] = checks.stdlib(facts("os-path"), STDLIB)
    assert plain.message.startswith("project name 'os-path' is the standard-library module os.path:")


def test_prohibited_names_cover_every_dotted_prefix() -> None:
    assert checks.stdlib_prohibited(["xml.etree.ElementTree", "__future__", "_thread", "os.path"]) == {
        "xml": "xml", "xml-etree": "xml.etree", "xml-etree-elementtree": "xml.etree.ElementTree",
        "future": "__future__", "thread": "_thread", "os": "os", "os-path": "os.path"}


def test_the_list_covers_every_python_version_the_index_knows() -> None:
    assert {"2.7", "3.9", "3.13", "3.14"} <= set(stdlib_list.short_versions)
    assert len(STDLIB) > 2000


# --- RG604: too similar ---------------------------------------------------------------------


@pytest.mark.parametrize(("name", "ultra"), [
    ("demo-pkg", "dem0pkg"),
    ("Demo.Pkg", "dem0pkg"),
    ("d_e.m-o", "dem0"),
    ("l", "1"), ("L", "1"), ("i", "1"), ("I", "1"),
    ("o", "0"), ("O", "0"),
    ("Flask", "f1ask"), ("f1ask", "f1ask"), ("fIask", "f1ask"),
    ("pillow", "p1110w"), ("PIL.LOW", "p1110w"),
    ("a1b0", "a1b0"),
])
def test_ultranormalized_form(name: str, ultra: str) -> None:
    """strip `._-`, l/L/i/I -> 1, o/O -> 0, lowercase (shared/FACTS.md; Warehouse's SQL)."""
    assert checks.ultranormalize(name) == ultra


@given(st.text(alphabet="aAbBlLiIoO01._-", max_size=12))
def test_ultranormalize_is_warehouses_sql_function(name: str) -> None:
    """Its three regexp_replace calls (with the `i` flag) and lower(), in Python."""
    dropped = re.sub(r"(\.|_|-)", "", name, flags=re.IGNORECASE)
    ones = re.sub(r"(l|L|i|I)", "1", dropped, flags=re.IGNORECASE)
    assert checks.ultranormalize(name) == re.sub(r"(o|O)", "0", ones, flags=re.IGNORECASE).lower()


def test_too_similar_names_the_existing_projects() -> None:
    existing = ["demo-pkg", "Dem0_Pkg", "other", "demo-pkgs"]
    [finding] = checks.too_similar(facts("demopkg"), existing, INDEX)
    assert (finding.code, finding.path, finding.line) == ("RG604", "pyproject.toml", 2)
    assert finding.message == (
        f"project name 'demopkg' is too similar to Dem0_Pkg, demo-pkg on {INDEX} (each reads 'dem0pkg' "
        "once '.', '_' and '-' are dropped, l and i read as 1 and o as 0): the index answers \"400 The "
        "name 'demopkg' is too similar to an existing project\"")
    assert finding.hint == "choose a name that differs by more than case, punctuation, l/i/1 or o/0"


def test_the_projects_own_normalized_name_is_not_too_similar() -> None:
    assert checks.too_similar(facts("Demo.Pkg"), ["demo-pkg", "DEMO_PKG"], INDEX) == []
    assert checks.too_similar(facts("dem0-pkg"), ["Dem0_Pkg", "other"], INDEX) == []
    [finding] = checks.too_similar(facts("dem0-pkg"), ["Dem0_Pkg", "demo.pkg"], INDEX)
    assert "too similar to demo.pkg on" in finding.message


def test_many_similar_projects_are_counted() -> None:
    existing = [f"{a}{b}" for a in "lLiI1" for b in "oO0"]
    assert checks.too_similar(facts("x"), [*existing, "x"], INDEX) == []  # nothing else reads 'x'
    [finding] = checks.too_similar(facts("10"), existing, INDEX)  # "10" itself is the project's own
    assert "too similar to 1O, 1o, I0, i0, IO and 9 more on" in finding.message


# --- RG603: whose name it is ----------------------------------------------------------------


def listed(*versions: str, exists: bool = True) -> checks.IndexName:
    return checks.IndexName(INDEX, exists, tuple(Version(v) for v in versions))


def tags(**by_tag: str) -> dict[str, Version]:
    return {tag.replace("_", "."): Version(v) for tag, v in by_tag.items()}


def test_a_release_tag_on_the_index_makes_the_name_ours() -> None:
    assert checks.ownership(FACTS, listed("1.0", "1.1"), tags(v1_0="1.0"), "v{version}") == []
    assert checks.owning_tags(listed("1.0", "1.1"), tags(v1_0_0="1.0.0", v2_0="2.0")) == ["v1.0.0"]


def test_a_new_name_belongs_to_nobody() -> None:
    assert checks.ownership(FACTS, listed(exists=False), {}, "v{version}") == []


def test_tags_that_name_no_listed_version() -> None:
    [finding] = checks.ownership(FACTS, listed("1.0", "1.1"), tags(v2_0="2.0", v0_9="0.9"), "v{version}")
    assert (finding.code, finding.location()) == ("RG603", "pyproject.toml:2")
    assert finding.message == (
        f"project name 'demo-pkg' belongs to another project: {INDEX} lists demo-pkg (1.0, 1.1), and none "
        "of this repository's release tags (v0.9, v2.0) names one of its versions: the upload will fail "
        "with 403 / 409")
    assert finding.hint == "choose another name; if this is your project, check tag-format ('v{version}') " \
                           "and the index URL"


def test_no_release_tag_at_all_gets_the_softer_hint() -> None:
    versions = [f"1.{n}" for n in range(5)]
    [finding] = checks.ownership(facts("Demo.Pkg"), listed(*versions), {}, "{name}-v{version}",
                                 "this is a shallow clone")
    assert finding.message == (
        f"project name 'Demo.Pkg' belongs to another project: {INDEX} lists demo-pkg (1.2, 1.3, 1.4 and 2 "
        "older), and this repository has no release tag (tag-format '{name}-v{version}'): the upload will "
        "fail with 403 / 409")
    assert finding.hint == ("if this is your project, tag its releases (git tag Demo.Pkg-v1.4 <commit>); "
                            "this is a shallow clone; otherwise choose another name")


def test_a_listed_project_without_releases_is_still_taken() -> None:
    [finding] = checks.ownership(FACTS, listed(), {}, "v{version}")
    assert "lists demo-pkg (no release)" in finding.message
    assert "git tag v1.0 <commit>" in finding.hint


# --- ok lines and --offline -----------------------------------------------------------------


def test_passed_lines() -> None:
    head = "release-guard: project name Demo.Pkg ok: valid (normalized demo-pkg, file names start demo_pkg-)"
    name = facts("Demo.Pkg")
    assert checks.passed_line(name, None) == head + (", no standard-library module; the index was not "
                                                     "read (--offline)")
    new = f", no standard-library module, new on {INDEX}"
    assert checks.passed_line(name, listed(exists=False)) == head + new
    assert checks.passed_line(name, listed(exists=False), compared=12) == head + (
        f", no standard-library module, new on {INDEX}, not too similar to any of its 12 projects")
    assert checks.passed_line(name, listed("1.0"), ["v1.0"]) == head + (
        f"; on {INDEX} with the versions of this repository's release tags (v1.0)")


def test_offline_says_what_was_not_checked() -> None:
    assert checks.offline(False).message == ("--offline: the index was not read; not checked: RG603 (the "
                                             "name belongs to another project)")
    assert checks.offline(True).message.endswith(" and RG604 (too similar, --similar)")
    assert checks.offline(True).severity == "info"

