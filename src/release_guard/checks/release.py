"""Release checks (RG401-RG407): what the release pipeline decides from facts it gathered.

Pure: the version and file names against the index's listing, a partial upload's files
against the index's hashes, and an upload's refusal explained.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import NamedTuple

from packaging.utils import canonicalize_name
from packaging.version import Version

from release_guard.checks.tags import free_versions, yanked_versions
from release_guard.findings import Finding

NEW, ALREADY, PARTIAL = "new", "already", "partial"
REFUSED = "RG406"  # the upload failed: never silenced by `ignore`, a release that did not upload never passes


class Listed(NamedTuple):
    """One file the index lists: its name, version (None when the name does not tell) and
    sha256 (None when the index gives none)."""

    filename: str
    version: Version | None
    sha256: str | None
    yanked: bool = False


class Local(NamedTuple):
    """One local distribution file of the release: how it is shown, its name and sha256."""

    shown: str
    filename: str
    sha256: str


class Verdict(NamedTuple):
    """`state`: NEW (upload everything), ALREADY (stop) or PARTIAL (upload `missing` only)."""

    state: str
    findings: tuple[Finding, ...] = ()
    missing: tuple[Local, ...] = ()


def _free(version: Version, versions: Sequence[Version]) -> str:
    newest = max([*versions, version])
    return ", ".join(free_versions(newest, versions))


def _same_file(a: str, b: str) -> bool:
    """File names compare as the index compares them: case-insensitively, `-`/`_`/`.` alike in
    the name part."""
    return canonicalize_name(a.replace(".tar.gz", "").replace(".whl", "")) == canonicalize_name(
        b.replace(".tar.gz", "").replace(".whl", "")) and a.endswith(".whl") == b.endswith(".whl")


def version_is_new(name: str, version: Version, versions: Sequence[Version], listed: Sequence[Listed],
                   local: Sequence[Local], index: str, where: str, allow_older: bool) -> Verdict:
    """Whether `version` may be released on `index`, decided before anything is built.

    A version on the index (yanked counts; `1.0.0` is `1.0`) stops the release (RG401),
    unless `local` (the files of that version already in dist/) is a partial upload: some
    of them are on the index with the very same sha256 and the rest are not (PARTIAL, with
    the files still to upload). A file whose hash differs is RG403, with both hashes.
    """
    if not any(v == version for v in versions):
        all_yanked = yanked_versions(listed)  # as check-tag: a release yanked as a whole is no newest release
        newest = max((v for v in versions if v not in all_yanked
                      and (version.is_prerelease or not v.is_prerelease)), default=None)
        if newest is not None and version < newest and not allow_older:
            return Verdict(ALREADY, (Finding(
                "RG402", f"{name} {version} is older than {newest}, the newest release on {index}", where,
                hint=f"bump to {_free(version, versions)}; for a backport set allow-older = true in "
                "[tool.release-guard]"),))
        return Verdict(NEW)
    on_index = [f for f in listed if f.version == version]
    by_name = {f.filename: f for f in on_index}
    matched = [(mine, by_name[mine.filename]) for mine in local if mine.filename in by_name]
    if matched:
        mismatched = [hash_differs(mine, theirs, index) for mine, theirs in matched
                      if theirs.sha256 is None or theirs.sha256.lower() != mine.sha256]
        if mismatched:
            return Verdict(ALREADY, tuple(mismatched))
        missing = tuple(mine for mine in local if mine.filename not in by_name)
        if missing:
            return Verdict(PARTIAL, missing=missing)
    same = "" if not on_index or on_index[0].version is None or str(on_index[0].version) == str(version) \
        else f" as {on_index[0].version}"
    yanked = " (yanked, which still counts)" if on_index and all(f.yanked for f in on_index) else ""
    these = " with the very files in dist/" if matched else ""
    return Verdict(ALREADY, (Finding(
        "RG401", f"{name} {version} is already on {index}{same}{yanked}{these}; the upload would answer "
        "'400 File already exists'", where, hint=f"bump to a free version: {_free(version, versions)}"),))


def hash_differs(mine: Local, theirs: Listed, index: str) -> Finding:
    """RG403: a file of an interrupted upload is on the index with other content (or no hash)."""
    if theirs.sha256 is None:
        return Finding("RG403", f"{mine.filename} is on {index}, which gives no sha256 for it: whether it is "
                       f"the file in {mine.shown} (sha256 {mine.sha256}) cannot be told", mine.shown,
                       hint="compare the file on the index by hand before uploading the rest")
    return Finding(
        "RG403", f"{mine.filename} on {index} is not the file in {mine.shown}: "
        f"sha256 {theirs.sha256.lower()} on the index, {mine.sha256} here", mine.shown,
        hint="the index keeps its file: upload the rest only with files of that same build, or "
        "release a new version")


def files_are_new(built: Sequence[Local], listed: Sequence[Listed], index: str) -> list[Finding]:
    """RG405: a built file whose name the index already lists, under any version."""
    findings = []
    for mine in built:
        clash = next((f for f in listed if _same_file(f.filename, mine.filename)), None)
        if clash is not None:
            findings.append(Finding(
                "RG405", f"{mine.filename}: {index} already lists {clash.filename}; the upload would "
                "answer '400 File already exists'", mine.shown, hint="release a new version"))
    return findings


def tag_required(tags_at_head: Mapping[str, Version], version: Version, expected_tag: str,
                 where: str) -> list[Finding]:
    """RG404 (require-tag = true): HEAD carries no release tag of the version."""
    if any(v == version for v in tags_at_head.values()):
        return []
    return [Finding("RG404", f"HEAD carries no tag for {version} (require-tag = true)", where,
                    hint=f"tag the release commit: git tag {expected_tag} && git push origin {expected_tag}")]


def not_visible(name: str, version: Version, index: str, waited: float) -> Finding:
    """RG407: the upload succeeded, but the index did not list the version in time."""
    return Finding("RG407", f"the upload succeeded, but {index} did not list {name} {version} within "
                   f"{waited:.0f} s", hint="look again in a minute; if it never shows, index-url may not "
                   "be where this repository publishes (set index-url, or --index-url)")


# ------------------------------------------------------------------ upload refusals

_EXPLAINED: tuple[tuple[str, str, str], ...] = (
    ("file already exists",
     "a file of this name is already on the index with other content: a version is never re-released",
     "bump the version ({free}) and release again"),
    ("previously used",
     "a file of this name was uploaded once and deleted: the index never takes that name again",
     "release a new version ({free}, or a post-release)"),
    ("only one sdist",
     "the release already has an sdist: the index takes one sdist per release",
     "upload the wheels only (twine upload dist/*.whl), or release a new version"),
    ("older than 14 days",
     "the index takes no new files for a release older than 14 days",
     "release a new version ({free})"),
    ("invalid or non-existent authentication",
     "the token is unknown to this index: mistyped, deleted, or made for the other instance "
     "(a test-instance token does not work on the main index, nor the reverse)",
     "set TWINE_PASSWORD (or the password of the .pypirc section) to a token of {target}"),
    ("not valid for project",
     "the token is scoped to another project",
     "use a token scoped to {name}, or an account-wide token for its first release"),
    ("isn't allowed to upload",
     "your account may not upload to {name}: the name usually belongs to someone else (or the "
     "account lacks a verified e-mail address or two-factor authentication)",
     "choose another project name, or ask its owners to add you"),
    ("credential not found",
     "twine found no credentials for this target, and without a terminal it cannot ask",
     "set TWINE_USERNAME and TWINE_PASSWORD, or username and password in the .pypirc section"),
    ("username/password authentication is no longer supported",
     "the index takes API tokens only",
     "set TWINE_USERNAME=__token__ and TWINE_PASSWORD to an API token"),
)

_BY_STATUS = {
    401: ("the index asked for credentials, or refused the ones sent",
          "set TWINE_USERNAME and TWINE_PASSWORD (or the .pypirc section) for {target}"),
    403: ("the index refused the credentials for this upload",
          "check TWINE_USERNAME/TWINE_PASSWORD (or the .pypirc section) for {target}"),
    409: ("a conflict: the index holds a file of this name with other content, or the project name "
          "is taken", "release a new version ({free}), or choose another name"),
    413: ("the file is larger than the index allows",
          "ask the index for a higher limit, or make the file smaller"),
}


def upload_refused(status: int | None, reason: str, name: str, version: Version, versions: Sequence[Version],
                   target: str) -> Finding:
    """RG406: what the index's (or twine's) refusal means, and the next command. `reason` is the
    server's text, already masked; it is quoted, never trusted to be short."""
    reason = " ".join(reason.split())[:300]
    free = _free(version, versions)
    lowered = reason.lower()
    meaning, hint = next(((m, h) for key, m, h in _EXPLAINED if key in lowered), ("", ""))
    if not meaning and status in _BY_STATUS:
        meaning, hint = _BY_STATUS[status]
    if not meaning:
        meaning = "the index refused the upload" if status else "twine could not upload"
        hint = "run `twine upload --verbose` with the same files to see the whole answer"
    said = f"{status} {reason}".strip() if status else reason
    return Finding(REFUSED, f"upload to {target} refused ({said}): "
                   + meaning.format(name=name, target=target, free=free),
                   hint=hint.format(name=name, target=target, free=free))


_HTTP_ERROR = re.compile(r"HTTPError: (\d{3}) (.*?) from (\S+)")


def parse_twine_error(lines: Sequence[str]) -> tuple[int | None, str]:
    """(status, reason) from twine's output: its `HTTPError: 400 Bad Request from URL` line and
    the indented lines after it (the index's message), or its last `ERROR` line."""
    for i, line in enumerate(lines):
        found = _HTTP_ERROR.search(line)
        if found:
            more = [rest.strip() for rest in lines[i + 1:i + 4] if rest.startswith(" ") and rest.strip()]
            detail = " ".join(part for part in more if part != found.group(2))
            return int(found.group(1)), f"{found.group(2)} {detail}".strip()
    errors = [line.split("ERROR", 1)[1].strip() for line in lines if line.lstrip().startswith("ERROR")]
    if errors:
        return None, errors[-1]
    tail = [line.strip() for line in lines if line.strip()]
    return None, tail[-1] if tail else "twine exited without saying why"
