"""checks/version.py: pure functions from facts to findings, unit and property tests."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from packaging.version import Version

from release_guard.checks import version as vc
from release_guard.findings import Finding

WHERE, LINE = "pyproject.toml", 3
CHANGED = ["src/demo/__init__.py"]


# --- strategies -------------------------------------------------------------------------

@dataclass(frozen=True)
class Parts:
    release: tuple[int, ...]
    pre: tuple[str, int] | None
    post: int | None
    dev: int | None

    def render(self, pad: int = 0, loose: bool = False) -> str:
        """A PEP 440 string; `pad` adds `.0`s (same version), `loose` a non-canonical spelling."""
        text = ".".join(str(n) for n in (*self.release, *([0] * pad)))
        if self.pre:
            label = {"a": "alpha", "b": "beta", "rc": "c"}[self.pre[0]] if loose else self.pre[0]
            text += f"-{label}.{self.pre[1]}" if loose else f"{label}{self.pre[1]}"
        if self.post is not None:
            text += f"-{self.post}" if loose else f".post{self.post}"
        if self.dev is not None:
            text += f"-dev{self.dev}" if loose else f".dev{self.dev}"
        return text


small = st.integers(min_value=0, max_value=3)
parts = st.builds(
    Parts,
    release=st.lists(small, min_size=1, max_size=3).map(tuple),
    pre=st.none() | st.tuples(st.sampled_from(["a", "b", "rc"]), small),
    post=st.none() | small,
    dev=st.none() | small,
)
versions = st.builds(lambda p, pad, loose: p.render(pad, loose), parts, st.integers(0, 2), st.booleans())
version_lists = st.lists(versions, min_size=0, max_size=5)

VERSIONISH = (r"\A\s?[vV]?\d{1,3}([._]\d{1,3}){0,3}"
              r"([-._]?(alpha|beta|a|b|c|rc|pre|preview|dev|snapshot|SNAPSHOT|post|rev|r|final|x)[-._]?\d{0,2}){0,3}"
              r"(\+[a-z0-9]{1,4}([._-][a-z0-9]{1,3})?)?\s?\Z")


def tag_map(raws: list[str]) -> dict[str, Version]:
    return {f"v{raw}": Version(raw) for raw in raws}


# --- property tests ---------------------------------------------------------------------

@settings(max_examples=200, deadline=None)
@given(a=versions, b=versions)
@example(a="1.0.0", b="1.0")
@example(a="1.0rc1", b="1.0")
def test_greater_than_base_fails_iff_not_greater(a: str, b: str) -> None:
    findings = vc.greater_than_base(a, b, "origin/main", CHANGED, WHERE, LINE)
    assert bool(findings) == (not Version(a) > Version(b))
    assert vc.greater_than_base(a, b, "origin/main", [], WHERE, LINE) == []
    if findings:
        (finding,) = findings
        assert (finding.code, finding.path, finding.line, finding.severity) == ("RG107", WHERE, LINE, "error")
        relation = "equal to" if Version(a) == Version(b) else "lower than"
        assert finding.message.startswith(f"version {a} is {relation} {b} on origin/main")


@settings(max_examples=200, deadline=None)
@given(a=versions, tags=version_lists)
@example(a="1.0", tags=["1.0.0"])
def test_not_lower_than_tags_fails_iff_lower_than_newest(a: str, tags: list[str]) -> None:
    findings = vc.not_lower_than_tags(a, tag_map(tags), WHERE, LINE)
    assert bool(findings) == (bool(tags) and Version(a) < max(Version(t) for t in tags))
    if findings:
        assert findings[0].code == "RG105"


@settings(max_examples=200, deadline=None)
@given(p=parts, others=version_lists, pad=st.integers(0, 2), include_self=st.booleans())
@example(p=Parts((1, 0, 0), None, None, None), others=[], pad=0, include_self=False)
def test_bumped_since_release_fails_iff_equal_to_a_tag(
    p: Parts, others: list[str], pad: int, include_self: bool
) -> None:
    a = p.render()
    tags = [*others, p.render(pad)] if include_self else others  # `1.0.0` released as `1.0`
    findings = vc.bumped_since_release(a, tag_map(tags), CHANGED, WHERE, LINE)
    assert bool(findings) == any(Version(t) == Version(a) for t in tags)
    assert vc.bumped_since_release(a, tag_map(tags), [], WHERE, LINE) == []
    if findings:
        assert findings[0].code == "RG106"


@settings(max_examples=200, deadline=None)
@given(v=versions)
def test_suggest_keeps_a_canonical_version(v: str) -> None:
    canonical = str(Version(v))
    assert vc.suggest(canonical) == canonical
    assert vc.suggest(v) == canonical


@settings(max_examples=500, deadline=None)
@given(s=st.from_regex(VERSIONISH) | st.text(max_size=20))
@example(s="1" * 5000)
@example(s="1.0-beta." + "9" * 5000)
def test_suggest_round_trips(s: str) -> None:
    suggestion = vc.suggest(s)
    if suggestion is not None:
        assert str(Version(suggestion)) == suggestion


# --- suggest, parse, validity -----------------------------------------------------------

@pytest.mark.parametrize(("raw", "expected"), [
    ("1.0.0-beta.1", "1.0.0b1"),
    ("v1.0", "1.0"),
    ("1.0.0-rc1", "1.0.0rc1"),
    ("2.0-SNAPSHOT", "2.0.dev0"),
    ("1.0.0-alpha", "1.0.0a0"),
    ("foo", None),
    ("", None),
    ("1.0-rc-2", "1.0rc2"),
    ("1_2_3", "1.2.3"),
    ("1.0-beta-2-SNAPSHOT", "1.0b2.dev0"),
    ("1.0-beta+Build.7", "1.0b0+build.7"),
    ("1.0.0.RELEASE", None),
    ("1..0", None),
])
def test_known_suggestions(raw: str, expected: str | None) -> None:
    assert vc.suggest(raw) == expected


def test_parse_refuses_without_raising() -> None:
    assert vc.parse("1.0") == Version("1.0")
    assert vc.parse("not a version") is None
    assert vc.parse("1" * 5000) is None  # int() refuses more than 4300 digits: still "invalid"


def test_validity_of_a_valid_canonical_version() -> None:
    assert vc.validity("1.2.3", WHERE, LINE) == []


def test_validity_invalid_with_suggestion() -> None:
    assert vc.validity("2.0-SNAPSHOT", WHERE, LINE) == [Finding(
        "RG101", "version '2.0-SNAPSHOT' is not valid PEP 440", WHERE, LINE, "use '2.0.dev0'")]


def test_validity_invalid_without_suggestion() -> None:
    (finding,) = vc.validity("latest", WHERE, None)
    assert finding.code == "RG101"
    assert finding.line is None
    assert finding.hint == "see PEP 440 for valid forms, e.g. '1.2.3', '1.2.3rc1'"


def test_validity_non_canonical() -> None:
    assert vc.validity("2.6.0.rc1", "qiskit/VERSION.txt", 1) == [Finding(
        "RG102", "version '2.6.0.rc1' is not in canonical form; the index will list it as '2.6.0rc1'",
        "qiskit/VERSION.txt", 1, "write it as '2.6.0rc1'", "warning")]


def test_validity_local_segment() -> None:
    assert vc.validity("1.0+abc", WHERE, LINE) == [Finding(
        "RG103", "version '1.0+abc' has a local segment '+abc', which the index refuses", WHERE, LINE,
        "drop the local segment: '1.0'")]


def test_validity_non_canonical_and_local() -> None:
    codes = [f.code for f in vc.validity("1.0-1+ABC", WHERE, LINE)]
    assert codes == ["RG102", "RG103"]


# --- consistency ------------------------------------------------------------------------

def test_consistency_agreeing_declarations() -> None:
    declared = [("1.0.0rc1", "pyproject.toml", 3), ("1.0.0-RC.1", "src/demo/__init__.py", 1),
                ("1.0.0c1", "VERSION", 1)]
    assert vc.consistency(declared) == []
    assert vc.consistency([]) == []


def test_consistency_compares_canonical_strings_not_versions() -> None:
    """1.0 == 1.0.0 as versions, but a package that says both is still inconsistent."""
    (finding,) = vc.consistency([("1.0.0", "pyproject.toml", 3), ("1.0", "src/demo/__init__.py", 1)])
    assert finding.code == "RG104"


def test_consistency_differing_declaration() -> None:
    declared = [("1.1.0", "pyproject.toml", 3), ("1.0.0", "src/demo/__init__.py", 7)]
    assert vc.consistency(declared) == [Finding(
        "RG104", "version '1.0.0' differs from '1.1.0' in pyproject.toml:3", "src/demo/__init__.py", 7,
        "make both say '1.1.0' (or both the new version)")]


def test_consistency_invalid_versions_compare_as_text() -> None:
    assert vc.consistency([("dev", "setup.cfg", None), ("dev", "VERSION", 1)]) == []
    (finding,) = vc.consistency([("dev", "setup.cfg", None), ("Dev", "VERSION", 1)])
    assert finding.code == "RG104"
    assert finding.message == "version 'Dev' differs from 'dev' in setup.cfg"


def test_consistency_version_file_without_version() -> None:
    (finding,) = vc.consistency([("1.0", "pyproject.toml", 3), ("", "docs/conf.py", None)])
    assert (finding.code, finding.path, finding.line) == ("RG108", "docs/conf.py", None)
    assert finding.message == "declares no version that release-guard can find"


# --- tags -------------------------------------------------------------------------------

TAGS = ["v1.0", "1.1", "v2.0rc1", "vfoo", "release-3.0", "demo-v4.0", "v1.0.0", "V5.0"]


def test_tag_versions_v_prefix() -> None:
    """With the default format a bare version tag (`1.1`) is a release tag too (C3)."""
    assert vc.tag_versions(TAGS, "v{version}", "demo") == {
        "v1.0": Version("1.0"), "1.1": Version("1.1"), "v2.0rc1": Version("2.0rc1"),
        "v1.0.0": Version("1.0")}


def test_bare_version_tags_only_with_the_default_format() -> None:
    assert vc.tag_versions(TAGS, "release-{version}", None) == {"release-3.0": Version("3.0")}
    assert vc.split_tags("1.2.3", "v{version}") == [(None, Version("1.2.3"))]
    assert vc.split_tags("V1.2", "v{version}") == []  # not a bare version: check-tag says RG207
    assert vc.split_tags("latest", "v{version}") == []


def test_tag_readings_keep_the_version_text() -> None:
    assert vc.tag_readings("vv1.2", "v{version}") == [(None, "v1.2", Version("1.2"))]
    assert vc.tag_readings("v9.9.9x", "v{version}") == []
    assert vc.tag_parts("v9.9.9x", "v{version}") == [(None, "9.9.9x")]
    assert vc.tag_readings("01.0", "v{version}") == [(None, "01.0", Version("1.0"))]


def test_tag_versions_bare() -> None:
    found = vc.tag_versions(TAGS, "{version}", "demo")
    assert found["1.1"] == Version("1.1")
    assert "vfoo" not in found
    assert "release-3.0" not in found
    assert "demo-v4.0" not in found


def test_tag_versions_monorepo_takes_only_the_projects_own_tags() -> None:
    tags = ["my-pkg-v1.0", "My_Pkg-v1.1", "my.pkg-v1.2", "other-v9.0", "my-pkg-extra-v3.0", "v8.0",
            "my-pkg-vbad"]
    assert vc.tag_versions(tags, "{name}-v{version}", "My.Pkg") == {
        "my-pkg-v1.0": Version("1.0"), "My_Pkg-v1.1": Version("1.1"), "my.pkg-v1.2": Version("1.2")}
    assert vc.tag_versions(tags, "{name}-v{version}", "other") == {"other-v9.0": Version("9.0")}
    assert vc.tag_versions(tags, "{name}-v{version}", None) == {}


def test_tag_versions_name_containing_the_separator() -> None:
    tags = ["sdk-v2-v1.0", "sdk-v1.1", "data-vault-v2.0", "data-v2.1"]
    assert vc.tag_versions(tags, "{name}-v{version}", "sdk-v2") == {"sdk-v2-v1.0": Version("1.0")}
    assert vc.tag_versions(tags, "{name}-v{version}", "sdk") == {"sdk-v1.1": Version("1.1")}
    assert vc.tag_versions(tags, "{name}-v{version}", "data-vault") == {"data-vault-v2.0": Version("2.0")}
    assert vc.tag_versions(tags, "{name}-v{version}", "data") == {"data-v2.1": Version("2.1")}


def test_tag_versions_regex_characters_in_format_are_literal() -> None:
    assert vc.tag_versions(["rel.1.0", "relx1.0"], "rel.{version}", None) == {"rel.1.0": Version("1.0")}


# --- next versions, bump hints ----------------------------------------------------------

def test_next_versions() -> None:
    assert vc.next_versions(Version("0.1.2")) == ["0.1.3", "0.2.0", "1.0.0", "0.1.3.dev0"]
    assert vc.next_versions(Version("2")) == ["2.0.1", "2.1.0", "3.0.0", "2.0.1.dev0"]
    assert vc.next_versions(Version("1.0rc1")) == ["1.0rc2", "1.0", "1.0.1", "1.1.0", "2.0.0", "1.0.1.dev0"]


def test_not_lower_than_tags_message() -> None:
    assert vc.not_lower_than_tags("1.0.0", tag_map(["0.9", "1.2.0", "1.1"]), WHERE, LINE) == [Finding(
        "RG105", "version 1.0.0 is lower than the newest release tag v1.2.0 (1.2.0)", WHERE, LINE,
        "bump the version, e.g. to 1.2.1, 1.3.0, 2.0.0, 1.2.1.dev0")]
    assert vc.not_lower_than_tags("not valid", tag_map(["1.0"]), WHERE, LINE) == []


def test_bumped_since_release_message() -> None:
    changed = ["src/a.py", "src/b.py", "pyproject.toml", "setup.py", "setup.cfg"]
    assert vc.bumped_since_release("0.1.2", tag_map(["0.1.2"]), changed, WHERE, LINE) == [Finding(
        "RG106", "0.1.2 is already released (tag v0.1.2), but release files change (src/a.py, src/b.py, "
        "pyproject.toml and 2 more); bump the version", WHERE, LINE,
        "bump the version, e.g. to 0.1.3, 0.2.0, 1.0.0, 0.1.3.dev0")]


def test_greater_than_base_message_and_missing_base() -> None:
    assert vc.greater_than_base("1.0", "1.0.0", "main", ["src/x.py"], WHERE, LINE) == [Finding(
        "RG107", "version 1.0 is equal to 1.0.0 on main, but release files changed since then "
        "(src/x.py)", WHERE, LINE, "bump the version, e.g. to 1.0.1, 1.1.0, 2.0.0, 1.0.1.dev0")]
    assert vc.greater_than_base("1.0", None, "main", ["src/x.py"], WHERE, LINE) == []
    assert vc.greater_than_base("1.0", "garbage", "main", ["src/x.py"], WHERE, LINE) == []


# --- release files ----------------------------------------------------------------------

def test_matching_files() -> None:
    paths = ["src/demo/__init__.py", "src/demo/data/x.json", "tests/test_x.py", "README.md",
             "src/demo/NOTES.md", "pyproject.toml", "docs/index.rst", "sub/pyproject.toml", "tox.ini"]
    include = ["src/**", "pyproject.toml", "setup.cfg", "setup.py"]
    exclude = ["tests/**", "docs/**", "*.md"]
    assert vc.matching_files(paths, include, exclude) == [
        "src/demo/__init__.py", "src/demo/data/x.json", "pyproject.toml", "sub/pyproject.toml"]
    assert vc.matching_files(paths, [], exclude) == []


def test_vcs_info_is_informational() -> None:
    finding = vc.vcs_info("hatch-vcs", "pyproject.toml")
    assert (finding.code, finding.severity, finding.line) == ("RG100", "info", None)
    assert "hatch-vcs" in finding.message
