"""The pure tag checks: facts in, findings out."""

from __future__ import annotations

from packaging.version import Version

from release_guard.checks import tags as t

INDEX = "http://127.0.0.1:1/simple/"


def facts(tag_version: str, project_version: str | None = None) -> t.TagFacts:
    return t.TagFacts(f"v{tag_version}", Version(tag_version), "demo",
                      project_version if project_version is not None else tag_version,
                      "pyproject.toml", 3)


def index(*versions: str, yanked: tuple[str, ...] = ()) -> t.IndexFacts:
    return t.IndexFacts(INDEX, True, [Version(v) for v in versions],
                        frozenset(Version(v) for v in yanked))


def codes(findings: list[t.Finding]) -> list[str]:
    return [f.code for f in findings]


def test_released_version_is_rg202_and_yanked_says_so() -> None:
    [finding] = t.not_on_index(facts("1.0"), index("1.0", "1.1", yanked=("1.0",)), allow_older=False)
    assert finding.code == "RG202"
    assert finding.message == (f"tag v1.0: 1.0 is already on {INDEX} (yanked, which still counts); "
                               "the upload would answer '400 File already exists'")
    assert finding.hint == "bump to a free version: 1.1.1, 1.2.0, 2.0.0, 1.1.1.dev0"


def test_canonical_equality_names_the_release() -> None:
    [finding] = t.not_on_index(facts("1.0.0"), index("1.0"), allow_older=False)
    assert "1.0.0 is already on" in finding.message
    assert " as 1.0;" in finding.message


def test_older_than_newest_is_rg203_unless_allowed() -> None:
    assert codes(t.not_on_index(facts("0.9"), index("1.0"), allow_older=False)) == ["RG203"]
    assert t.not_on_index(facts("0.9"), index("1.0"), allow_older=True) == []


def test_a_yanked_newest_release_does_not_make_a_tag_older() -> None:
    assert t.not_on_index(facts("1.5"), index("1.0", "2.0", yanked=("2.0",)), allow_older=False) == []


def test_pre_releases_do_not_make_a_final_tag_older() -> None:
    assert t.not_on_index(facts("1.5"), index("1.0", "2.0rc1"), allow_older=False) == []
    assert codes(t.not_on_index(facts("2.0b1"), index("1.0", "2.0rc1"), allow_older=False)) == ["RG203"]


def test_not_on_the_index_yet_passes() -> None:
    missing = t.IndexFacts(INDEX, False, [])
    assert t.not_on_index(facts("1.0"), missing, allow_older=False) == []


def test_tag_must_match_the_project_version_canonically() -> None:
    assert t.matches_project(facts("1.0", "1.0.0")) == []
    [finding] = t.matches_project(facts("1.3", "1.2"))
    assert (finding.code, finding.path, finding.line) == ("RG201", "pyproject.toml", 3)
    assert t.matches_project(facts("1.3", None)) == []  # VCS-derived: the tag is the version


def test_free_versions_skip_the_taken_ones() -> None:
    assert t.free_versions(Version("1.0"), [Version("1.0.1"), Version("1.1.0")]) == [
        "2.0.0", "1.0.1.dev0"]


# --- the version a tag names ---------------------------------------------------------------


def test_tag_version_canonical_and_local() -> None:
    assert t.tag_version("v1.2", "1.2", "v{version}", None) == []
    [canonical] = t.tag_version("vv1.2", "v1.2", "v{version}", None)
    assert (canonical.code, canonical.severity, canonical.hint) == ("RG102", "warning", "name the tag v1.2")
    [local] = t.tag_version("demo-v7.1+x", "7.1+x", "{name}-v{version}", "demo")
    assert (local.code, local.severity, local.path) == ("RG103", "error", "")
    assert local.hint == "tag the public version: demo-v7.1"
    [bare] = t.tag_version("01.0", "01.0", "v{version}", None)  # a bare tag keeps its shape
    assert bare.hint == "name the tag 1.0"


def test_unmatched_tags() -> None:
    typo = t.unmatched("v9.9.9x", "v{version}", [(None, "9.9.9x")])
    assert (typo.code, typo.severity, typo.message) == ("RG101", "error",
                                                        "tag v9.9.9x: version '9.9.9x' is not valid PEP 440")
    beta = t.unmatched("v1.0.0-beta-1-", "v{version}", [(None, "1.0.0-beta-1-")])
    assert beta.hint == "name the tag v1.0.0b1"
    assert t.unmatched("1.x", "v{version}", []).code == "RG101"  # a bare tag under the default format
    assert t.unmatched("1.x", "release-{version}", []).code == "RG207"
    upper = t.unmatched("V1.2", "v{version}", [])
    assert (upper.code, upper.hint.split(",")[0]) == ("RG207", "name it v1.2")
    assert t.unmatched("v1.2", "{name}-v{version}", []).hint.startswith("name it as tag-format says,")
    for tag in ("latest", "nightly", "docs", "vendor", "release-candidate"):
        parts = [(None, tag[1:])] if tag.startswith("v") else []
        assert (t.unmatched(tag, "v{version}", parts).code, tag) == ("RG200", tag)


def test_passed_line_says_first_release_in_words() -> None:
    missing = t.IndexFacts(INDEX, False, [])
    there = index("1.0")
    assert t.passed_line([("v1.2", "demo", there)]) == f"release-guard: v1.2 ok: not on {INDEX}"
    assert t.passed_line([("v0.1", "new", missing)]) == (
        f"release-guard: v0.1 ok: first release of new on {INDEX}")
    assert t.passed_line([("a-v1", "a", there), ("b-v1", "b", missing), ("a-v2", "a", there)]) == (
        f"release-guard: a-v1, a-v2 ok: not on {INDEX}; b-v1 ok: first release of b on {INDEX}")
    assert t.passed_line([(f"v{i}", "demo", None) for i in range(7)]) == (
        "release-guard: v0, v1, v2, v3, v4 and 2 more ok: matches the project version (the index was not "
        "read)")


def test_summary() -> None:
    assert t.summary(1000, 999, 1) == "release-guard: 1000 tags: 999 blocked, 1 passed"
    assert t.summary(3, 1, 1) == "release-guard: 3 tags: 1 blocked, 1 passed, 1 not checked"
