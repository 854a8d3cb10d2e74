"""Tag checks (RG200-RG207): the tag names a valid version, the project version, and it is
not on the index."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from packaging.version import Version

from release_guard.checks.version import DEFAULT_TAG_FORMAT, next_versions, parse, suggest
from release_guard.findings import Finding

_RELEASE_LIKE = re.compile(r"[vV]?\d")  # what a publish workflow on tags: ['v*'] fires for


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


class Listing(Protocol):
    """A file the index lists, as far as yanking goes."""

    @property
    def version(self) -> Version | None: ...

    @property
    def yanked(self) -> bool: ...


def yanked_versions(files: Iterable[Listing]) -> frozenset[Version]:
    """Versions whose every listed file is yanked (a release is yanked as a whole on the index)."""
    by_version: dict[Version, list[bool]] = {}
    for file in files:
        if file.version is not None:
            by_version.setdefault(file.version, []).append(file.yanked)
    return frozenset(v for v, flags in by_version.items() if all(flags))


def skipped(tag: str, tag_format: str) -> Finding:
    return Finding("RG200", f"tag {tag} does not match tag-format {tag_format!r}: not checked",
                   hint='set tag-format in [tool.release-guard] if it is a release tag', severity="info")


def _tag_for(template: str, name: str | None, version: str) -> str:
    return template.replace("{name}", name or "NAME").replace("{version}", version)


def tag_version(tag: str, text: str, tag_format: str, name: str | None) -> list[Finding]:
    """RG102 (warning) and RG103 for the version a release tag names: with a VCS-derived
    version the tag is the version, and `vv1.2` or `v7.1+local` must not pass in silence."""
    version = parse(text)
    if version is None:
        return []
    template = "{version}" if text == tag else tag_format  # a bare version tag keeps its shape
    findings = []
    if str(version) != text:
        findings.append(Finding(
            "RG102", f"tag {tag}: version {text!r} is not in canonical form; the index will list it as "
            f"{str(version)!r}", hint=f"name the tag {_tag_for(template, name, str(version))}",
            severity="warning"))
    if version.local is not None:
        findings.append(Finding(
            "RG103", f"tag {tag}: version {text!r} has a local segment '+{version.local}', which the "
            "index refuses", hint=f"tag the public version: {_tag_for(template, name, version.public)}"))
    return findings


def unmatched(tag: str, tag_format: str, parts: Sequence[tuple[str | None, str]]) -> Finding:
    """A tag with no valid reading. It looks like a release (`v`/`V` and a digit, or the
    format's literal parts around something that starts like a version): RG101 when its
    version part is not PEP 440 (`v9.9.9x`), RG207 when it does not follow tag-format at all
    (`V1.2`). Anything else (`latest`, `nightly`, `docs`) is RG200 info: not a release."""
    if not parts and tag_format == DEFAULT_TAG_FORMAT and tag[:1].isdigit():
        parts = [(None, tag)]  # a bare version tag is a release tag under the default format
    for name, text in parts:
        if _RELEASE_LIKE.match(text):
            template = "{version}" if text == tag else tag_format
            nearest = suggest(text)
            hint = (f"name the tag {_tag_for(template, name, nearest)}" if nearest else
                    f"name it with a PEP 440 version, e.g. {_tag_for(template, name, '1.2.3')}")
            return Finding("RG101", f"tag {tag}: version {text!r} is not valid PEP 440", hint=hint)
    if _RELEASE_LIKE.match(tag):
        nearest = suggest(tag)
        named = f"name it {_tag_for(tag_format, None, nearest)}" if nearest and "{name}" not in tag_format \
            else "name it as tag-format says"
        return Finding("RG207", f"tag {tag} looks like a release tag but does not match tag-format "
                       f"{tag_format!r}", hint=f"{named}, or set tag-format in [tool.release-guard] if "
                       "releases are tagged this way")
    return skipped(tag, tag_format)


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


def passed_line(passed: Sequence[tuple[str, str | None, IndexFacts | None]]) -> str:
    """The ok line: each (tag, project name, what the index holds or None when not read),
    grouped; a project the index does not have at all is said to be a first release."""
    groups: dict[str, list[str]] = {}
    for tag, name, index in passed:
        if index is None:
            outcome = "matches the project version (the index was not read)"
        elif index.exists:
            outcome = f"not on {index.index}"
        else:
            outcome = f"first release of {name} on {index.index}"
        groups.setdefault(outcome, []).append(tag)
    parts = []
    for outcome, tags in groups.items():
        shown = ", ".join(tags[:5]) + (f" and {len(tags) - 5} more" if len(tags) > 5 else "")
        parts.append(f"{shown} ok: {outcome}")
    return "release-guard: " + "; ".join(parts)


def summary(total: int, blocked: int, passed: int) -> str:
    """One line after many tags (`git push --tags`): how many were blocked, passed, skipped."""
    line = f"release-guard: {total} tags: {blocked} blocked, {passed} passed"
    skipped_count = total - blocked - passed
    return line + (f", {skipped_count} not checked" if skipped_count else "")


def nothing_to_check() -> Finding:
    return Finding("RG206", "no release tag to check", severity="info")


def offline(reason: str) -> Finding:
    return Finding("RG204", f"{reason}; the index was not checked",
                   hint="run again with the network, or drop --allow-offline to fail closed",
                   severity="warning")
