"""Distribution checks (RG301-RG319): what `twine check` reports, and what the package
index refuses at upload that twine does not see.

Pure: each function takes facts read from the files (dist_files) and returns findings.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import NamedTuple

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import Version

from release_guard.checks.version import parse
from release_guard.findings import Finding

# What the index accepts (Warehouse): Metadata-Version 1.0 to 2.5 (2.5: PEP 794, hatchling 1.33).
ACCEPTED_METADATA_VERSIONS = ("1.0", "1.1", "1.2", "2.0", "2.1", "2.2", "2.3", "2.4", "2.5")
MAX_SUMMARY = 512  # characters of Summary the index stores
MAX_FILE_SIZE = 100 * 1024 * 1024  # the index's default upload limit per file (a project may have more)
SDIST, WHEEL = "sdist", "wheel"


class DistFacts(NamedTuple):
    """One distribution file and the metadata fields read from it."""

    path: str  # how findings name the file
    filename: str  # its base name
    kind: str  # SDIST or WHEEL
    size: int
    metadata_version: str = ""
    name: str = ""
    version: str = ""
    summary: str | None = None
    classifiers: tuple[str, ...] = ()
    license_expression: str | None = None


class TwineResult(NamedTuple):
    """What twine's own per-file check said: its warnings, and whether the README renders."""

    warnings: tuple[str, ...]
    renders: bool
    render_messages: str = ""


def _same_version(a: str, b: str) -> bool:
    va, vb = parse(a), parse(b)
    return va == vb if va is not None and vb is not None else a == b


def identity(dist: DistFacts) -> tuple[str, Version | None]:
    """(normalized name, version) of the release the file belongs to."""
    return canonicalize_name(dist.name), parse(dist.version)


# ------------------------------------------------------------------ twine's own verdict

def twine_check(dist: DistFacts, result: TwineResult, strict: bool) -> list[Finding]:
    """RG301 the long description would not render; RG302 twine's warnings (errors when strict)."""
    findings = []
    if not result.renders:
        first = result.render_messages.strip().splitlines()[:1]
        detail = f": {first[0]}" if first else ""
        findings.append(Finding(
            "RG301", f"twine check: long_description has syntax errors in markup and would not be "
            f"rendered on PyPI{detail}", dist.path,
            hint=f"run `twine check {dist.path}` for every message; fix the README's markup"))
    for warning in result.warnings:
        content_type = "content_type" in warning
        hint = ("declare the README's type: readme = \"README.md\" in [project] (or "
                "long_description_content_type in setup.py)" if content_type
                else "declare a README: readme = \"README.md\" in [project]")
        if not strict:
            hint += "; strict = false makes this a warning"
        else:
            hint += "; or set strict = false in [tool.release-guard] (--no-strict)"
        findings.append(Finding("RG302", f"twine check --strict: {warning.rstrip('.')}", dist.path,
                                hint=hint, severity="error" if strict else "warning"))
    return findings


def twine_refused(path: str, message: str) -> Finding:
    """RG303: twine cannot read the file or its metadata, so `twine upload` would stop there."""
    return Finding("RG303", f"twine check: {message}", path,
                   hint="rebuild it with a current build backend (python -m build)")


def unreadable(path: str, message: str) -> Finding:
    """RG304: the file is not a distribution the index can read."""
    return Finding("RG304", f"cannot read the distribution's metadata: {message}", path,
                   hint="rebuild it (python -m build), or remove it from the folder")


# ------------------------------------------------------------------ one file's metadata

def metadata_version(dist: DistFacts) -> list[Finding]:
    """RG317: a Metadata-Version the index does not accept."""
    if dist.metadata_version in ACCEPTED_METADATA_VERSIONS:
        return []
    return [Finding(
        "RG317", f"Metadata-Version {dist.metadata_version or '(missing)'!s} is not one the index "
        f"accepts ({', '.join(ACCEPTED_METADATA_VERSIONS)})", dist.path,
        hint="rebuild with a released build backend (python -m build)")]


def local_version(dist: DistFacts) -> list[Finding]:
    """RG307: a local version (`1.0+abc`), which the index refuses."""
    version = parse(dist.version)
    if version is None or version.local is None:
        return []
    return [Finding("RG307", f"version {dist.version} has a local segment '+{version.local}', which "
                    "the index refuses", dist.path, hint=f"release {version.public} instead "
                    "(setuptools-scm: tag the commit, or local_scheme = \"no-local-version\")")]


def classifiers(dist: DistFacts, known: Collection[str],
                deprecated: Mapping[str, Sequence[str]]) -> list[Finding]:
    """RG308 unknown, RG309 deprecated, RG310 `Private ::` (the index refuses each)."""
    findings = []
    for classifier in dist.classifiers:
        if classifier.startswith("Private ::"):
            findings.append(Finding(
                "RG310", f"classifier {classifier!r} is private: the index refuses every upload "
                "with a 'Private ::' classifier", dist.path,
                hint="that is its purpose (it keeps a private project off the index); upload elsewhere, "
                "or remove it"))
        elif classifier in deprecated:
            instead = deprecated[classifier]
            use = f"use {', '.join(repr(c) for c in instead)}" if instead else "remove it"
            findings.append(Finding("RG309", f"classifier {classifier!r} is deprecated; the index "
                                    "refuses it", dist.path, hint=use))
        elif classifier not in known:
            findings.append(Finding(
                "RG308", f"classifier {classifier!r} is not a known trove classifier; the index "
                "refuses it", dist.path, hint="pick one from `python -m trove_classifiers` or the "
                "index's classifier list (spelling and spacing must match exactly)"))
    return findings


def summary(dist: DistFacts) -> list[Finding]:
    """RG311: a summary with a line break, or longer than the index stores."""
    text = dist.summary
    if text is None:
        return []
    if "\n" in text or "\r" in text:
        return [Finding("RG311", "the summary (description) holds a line break; the index refuses it",
                        dist.path, hint="make [project] description one line")]
    if len(text) > MAX_SUMMARY:
        return [Finding("RG311", f"the summary (description) is {len(text)} characters; the index "
                        f"refuses more than {MAX_SUMMARY}", dist.path,
                        hint="shorten [project] description; the README is the place for the rest")]
    return []


def license_expression(dist: DistFacts) -> list[Finding]:
    """RG312: License-Expression that is not a valid SPDX expression (PEP 639)."""
    if dist.license_expression is None:
        return []
    from packaging.licenses import InvalidLicenseExpression, canonicalize_license_expression

    try:
        canonicalize_license_expression(dist.license_expression)
    except InvalidLicenseExpression as exc:
        return [Finding("RG312", f"License-Expression {dist.license_expression!r} is not a valid SPDX "
                        f"expression ({exc})", dist.path,
                        hint='write an SPDX expression, e.g. license = "MIT" or "Apache-2.0 OR MIT"')]
    return []


def file_size(dist: DistFacts) -> list[Finding]:
    """RG316: a file over the index's default upload limit."""
    if dist.size <= MAX_FILE_SIZE:
        return []
    return [Finding("RG316", f"the file is {dist.size / 1024 / 1024:.1f} MiB; the index refuses files "
                    f"over {MAX_FILE_SIZE // 1024 // 1024} MiB unless the project's limit was raised",
                    dist.path, hint="leave data out of the distribution (MANIFEST.in, exclude), or ask "
                    "the index for a higher limit")]


def sdist_filename(dist: DistFacts) -> list[Finding]:
    """RG313: the sdist's file name must be NORMALIZED_NAME-VERSION.tar.gz, with underscores."""
    prefix = canonicalize_name(dist.name).replace("-", "_")
    expected = f"{prefix}-{dist.version}.tar.gz"
    if not dist.filename.endswith(".tar.gz"):  # PEP 527 still lets the index take a .zip
        return [Finding("RG313", f"sdist {dist.filename} is not a .tar.gz, the only form PEP 625 "
                        "allows; the index still takes a .zip, installers are deprecating it", dist.path,
                        hint=f"build {expected} (python -m build)", severity="warning")]
    try:
        name, version = parse_sdist_filename(dist.filename)
    except InvalidSdistFilename as exc:
        return [Finding("RG313", f"sdist file name is not valid ({exc})", dist.path,
                        hint=f"name it {expected}")]
    if not dist.filename.startswith(prefix + "-"):
        return [Finding("RG313", f"sdist {dist.filename} does not start with {prefix}-: the index "
                        f"answers 'Start filename for {dist.name!r} with {prefix!r}'", dist.path,
                        hint=f"name it {expected}; a current build backend does (setuptools>=69.3)")]
    if name != canonicalize_name(dist.name) or not _same_version(str(version), dist.version):
        return [Finding("RG313", f"sdist {dist.filename} names {name} {version}, but its metadata "
                        f"says {dist.name} {dist.version}", dist.path, hint=f"name it {expected}")]
    return []


def wheel_filename(dist: DistFacts) -> list[Finding]:
    """RG315: the wheel's file name disagrees with its metadata (or is not valid)."""
    try:
        name, version, _, _ = parse_wheel_filename(dist.filename)
    except InvalidWheelFilename as exc:
        return [Finding("RG315", f"wheel file name is not valid ({exc})", dist.path,
                        hint="rebuild it (python -m build --wheel)")]
    if name != canonicalize_name(dist.name) or not _same_version(str(version), dist.version):
        return [Finding("RG315", f"wheel {dist.filename} names {name} {version}, but its METADATA "
                        f"says {dist.name} {dist.version}", dist.path,
                        hint="rebuild it (python -m build --wheel); never rename a wheel")]
    return []


def one_file(dist: DistFacts, known: Collection[str],
             deprecated: Mapping[str, Sequence[str]]) -> list[Finding]:
    """Every check of a single file's metadata and name."""
    findings = metadata_version(dist) + local_version(dist) + classifiers(dist, known, deprecated)
    findings += summary(dist) + license_expression(dist) + file_size(dist)
    findings += sdist_filename(dist) if dist.kind == SDIST else wheel_filename(dist)
    return findings


# ------------------------------------------------------------------ the files together

def matches_project(dist: DistFacts, name: str | None, version: str | None, where: str) -> list[Finding]:
    """RG305/RG306: a built file's metadata names another project or version than the project
    declares (`where`); None skips the comparison (a VCS-derived version)."""
    findings = []
    if name and canonicalize_name(name) != canonicalize_name(dist.name):
        findings.append(Finding("RG305", f"the build made {dist.name!r}, but {where} names the project "
                                f"{name!r}", dist.path, hint="make the backend's name and [project] name "
                                "agree"))
    if version and dist.version and not _same_version(version, dist.version):
        findings.append(Finding("RG306", f"the build made version {dist.version}, but {where} declares "
                                f"{version}", dist.path, hint="make the declared and the built version "
                                "agree (`release-guard version` shows where it is read)"))
    return findings


def matches_tag(dist: DistFacts, tag: str, tag_version: Version) -> list[Finding]:
    """RG306: HEAD carries release tag `tag`, but the file is another version."""
    if parse(dist.version) == tag_version:
        return []
    return [Finding("RG306", f"version {dist.version} differs from {tag_version}, the version of the "
                    f"release tag {tag} on HEAD", dist.path,
                    hint=f"bump the project to {tag_version}, or move the tag (git tag -f {tag})")]


def one_sdist_per_version(dists: Sequence[DistFacts]) -> list[Finding]:
    """RG314: two sdists for one version: the index answers 'Only one sdist may be uploaded per release'."""
    by_version: dict[tuple[str, Version | None], list[DistFacts]] = {}
    for dist in dists:
        if dist.kind == SDIST:
            by_version.setdefault(identity(dist), []).append(dist)
    findings = []
    for group in by_version.values():
        if len(group) > 1:
            names = ", ".join(d.filename for d in group)
            findings.append(Finding(
                "RG314", f"{len(group)} sdists of {group[0].name} {group[0].version} ({names}); the index "
                "answers 'Only one sdist may be uploaded per release'", group[1].path,
                hint="keep one: remove the others from the folder"))
    return findings


def stale(folder: str, stale_files: Sequence[str], name: str, version: str) -> list[Finding]:
    """RG318: files of another version or project beside the release: `twine upload dist/*`
    would send them too."""
    if not stale_files:
        return []
    shown = ", ".join(stale_files[:5]) + (f" and {len(stale_files) - 5} more" if len(stale_files) > 5 else "")
    return [Finding(
        "RG318", f"{folder} holds {len(stale_files)} file(s) that are not {name} {version}: {shown}; "
        f"`twine upload {folder.rstrip('/')}/*` would send them too, and the index would answer "
        "'400 File already exists' for a version it has", folder,
        hint=f"remove them (rm {' '.join(f'{folder}/{f}' for f in stale_files[:3])}"
        f"{' ...' if len(stale_files) > 3 else ''}), or build into a clean folder")]


def no_release(folder: str, name: str, version: str) -> Finding:
    """RG319: the folder holds no file of the project's name and version."""
    return Finding("RG319", f"{folder} holds no distribution of {name} {version}", folder,
                   hint=f"build it: python -m build --outdir {folder}")
