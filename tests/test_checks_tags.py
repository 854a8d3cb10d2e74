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
