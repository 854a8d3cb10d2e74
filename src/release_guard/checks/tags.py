"""Tag checks (RG200-RG206): the tag names the project version, and it is not on the index."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from packaging.version import Version

from release_guard.checks.version import next_versions, parse
from release_guard.findings import Finding


@dataclass(frozen=True)
class TagFacts:
    """What is known of one pushed tag, gathered by the caller."""

    tag: str
    tag_version: Version
    project_name: str | None
    project_version: str | None  # None when the version is derived from VCS tags
    where: str  # the file (and line) that declares the project version
    line: int | None = None


@dataclass(frozen=True)
class IndexFacts:
    """What the index holds for the project (all versions, yanked ones included)."""

    index: str  # sanitized URL, for messages
    exists: bool
    versions: Sequence[Version]
    yanked: frozenset[Version] = frozenset()


def skipped(tag: str, tag_format: str) -> Finding:
    return Finding("RG200", f"tag {tag} does not match tag-format {tag_format!r}: not checked",
                   hint='set tag-format in [tool.release-guard] if it is a release tag', severity="info")


def other_project(tag: str) -> Finding:
    return Finding("RG200", f"tag {tag} names another project: not checked",
                   hint="list the monorepo's projects in projects = [...] in [tool.release-guard]",
                   severity="info")


def matches_project(facts: TagFacts) -> list[Finding]:
    """RG201: the tag's version equals (canonically) the project version at the tagged commit."""
    if facts.project_version is None:
        return []
    declared = parse(facts.project_version)
    if declared is not None and declared == facts.tag_version:
        return []
    return [Finding(
        "RG201", f"tag {facts.tag} says {facts.tag_version} but the project version at the tagged "
        f"commit is {facts.project_version}", facts.where, facts.line,
        f"bump the version to {facts.tag_version} and re-tag (git tag -f {facts.tag}), or tag "
        f"the version the project declares")]


def free_versions(base: Version, taken: Sequence[Version]) -> list[str]:
    taken_set = set(taken)
    return [v for v in next_versions(base) if Version(v) not in taken_set][:4]


def _newest_release(index: IndexFacts, tag_version: Version) -> Version | None:
    """The newest release a tag must not go below: yanked releases do not count, nor do
    pre-releases when the tag is a final release."""
    candidates = [v for v in index.versions if v not in index.yanked
                  and (tag_version.is_prerelease or not v.is_prerelease)]
    return max(candidates, default=None)


def not_on_index(facts: TagFacts, index: IndexFacts, allow_older: bool) -> list[Finding]:
    """RG202 already on the index (yanked counts, 1.0.0 == 1.0); RG203 older than the newest."""
    if not index.exists:
        return []
    newest = max(index.versions, default=None)
    hint_base = max(newest, facts.tag_version) if newest is not None else facts.tag_version
    newest_release = _newest_release(index, facts.tag_version)
    free = ", ".join(free_versions(hint_base, index.versions))
    for released in index.versions:
        if released == facts.tag_version:
            yanked = " (yanked, which still counts)" if released in index.yanked else ""
            same = "" if str(released) == str(facts.tag_version) else f" as {released}"
            return [Finding(
                "RG202", f"tag {facts.tag}: {facts.tag_version} is already on {index.index}"
                f"{same}{yanked}; the upload would answer '400 File already exists'",
                facts.where, facts.line, f"bump to a free version: {free}")]
    if newest_release is not None and facts.tag_version < newest_release and not allow_older:
        return [Finding(
            "RG203", f"tag {facts.tag}: {facts.tag_version} is older than {newest_release}, the newest "
            f"release on {index.index}", facts.where, facts.line,
            f"bump to {free}; for a backport set allow-older = true in [tool.release-guard]")]
    return []


def nothing_to_check() -> Finding:
    return Finding("RG206", "no release tag to check", severity="info")


def offline(reason: str) -> Finding:
    return Finding("RG204", f"{reason}; the index was not checked",
                   hint="run again with the network, or drop --allow-offline to fail closed",
                   severity="warning")
