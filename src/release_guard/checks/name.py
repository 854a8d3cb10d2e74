"""Name checks (RG601-RG605): what the index refuses of a project's name at its first upload.

Pure: the name against the index's rules, as Warehouse applies them when it creates a
project — a valid name (PEP 508), no standard-library module, not a project that exists
(then the upload needs that project's owner), not "too similar" to one that exists.
The facts (the modules of the standard library, the index's pages, the release tags) are
gathered by the caller.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from packaging.utils import canonicalize_name
from packaging.version import Version

from release_guard.findings import Finding

# PEP 508's name, as the index matches it (case-insensitive; `\Z`: no trailing newline).
VALID_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])\Z", re.IGNORECASE)
_ULTRA = str.maketrans({".": None, "_": None, "-": None, "l": "1", "L": "1", "i": "1", "I": "1",
                        "o": "0", "O": "0"})
_SIMILAR_SHOWN = 5


@dataclass(frozen=True)
class NameFacts:
    """The project's name and where it is declared."""

    name: str
    where: str  # the file that declares it, for messages
    line: int | None = None


@dataclass(frozen=True)
class IndexName:
    """What the index holds under the project's normalized name."""

    index: str  # sanitized URL, for messages
    exists: bool
    versions: Sequence[Version] = ()


def is_valid(name: str) -> bool:
    return VALID_NAME.match(name) is not None


def normalized(name: str) -> str:
    """PEP 503: lowercase, each run of `.`, `_` and `-` one `-`."""
    return str(canonicalize_name(name))


def file_prefix(name: str) -> str:
    """How the index wants every file name of the project to start: `demo_pkg-` for Demo.Pkg."""
    return normalized(name).replace("-", "_") + "-"


def ultranormalize(name: str) -> str:
    """The index's "too similar" form: `.`, `_` and `-` dropped, l/L/i/I read as 1, o/O as 0,
    lowercase (Warehouse's SQL function `ultranormalize_name`)."""
    return name.translate(_ULTRA).lower()


def stdlib_prohibited(modules: Iterable[str]) -> dict[str, str]:
    """Normalized name -> the standard-library module it stands for, for every module and every
    dotted prefix of one (`os.path` gives `os` and `os-path`), each stripped of leading and
    trailing `.`, `_`, `-` first (`__future__` gives `future`), as the index builds its list."""
    prohibited: dict[str, str] = {}
    for module in modules:
        parts = module.split(".")
        for end in range(1, len(parts) + 1):
            prefix = ".".join(parts[:end])
            stripped = prefix.strip("-_.")
            if stripped:
                prohibited.setdefault(normalized(stripped), prefix)
    return prohibited


def _quote(facts: NameFacts) -> str:
    return f"project name {facts.name!r}"


def valid(facts: NameFacts) -> list[Finding]:
    """RG601: a PEP 508 name — ASCII letters, digits, `.`, `_`, `-`, a letter or digit at each end."""
    if is_valid(facts.name):
        return []
    nearest = re.sub(r"[^A-Za-z0-9._-]+", "-", facts.name).strip("._-")
    example = f": {nearest!r}" if nearest and is_valid(nearest) else ", e.g. 'my-project'"
    return [Finding(
        "RG601", f"{_quote(facts)} is not a valid name: the index answers \"400 The name "
        f"{facts.name!r} is invalid\"", facts.where, facts.line,
        "use ASCII letters, digits, '.', '_' and '-', starting and ending with a letter or digit "
        f"(PEP 508){example}")]


def stdlib(facts: NameFacts, prohibited: Mapping[str, str]) -> list[Finding]:
    """RG602: the normalized name is a standard-library module (of any Python version) or a
    dotted prefix of one."""
    module = prohibited.get(normalized(facts.name))
    if module is None:
        return []
    same = "" if normalized(facts.name) == facts.name else f" (normalized {normalized(facts.name)})"
    return [Finding(
        "RG602", f"{_quote(facts)}{same} is the standard-library module {module}: the index answers "
        f"\"400 The name {facts.name!r} isn't allowed (conflict with Python Standard Library module name)\"",
        facts.where, facts.line,
        "choose another name; the index refuses every module and submodule of every Python version's "
        "standard library (a project already on the index keeps its name)")]


def _shown_versions(versions: Sequence[Version]) -> str:
    if not versions:
        return "no release"
    newest = sorted(versions)[-3:]
    more = f" and {len(versions) - 3} older" if len(versions) > 3 else ""
    return ", ".join(str(v) for v in newest) + more


def owning_tags(index: IndexName, tags: Mapping[str, Version]) -> list[str]:
    """The release tags whose version the index lists (`1.0.0` is `1.0`; yanked counts)."""
    return sorted(tag for tag, version in tags.items() if any(version == v for v in index.versions))


def ownership(facts: NameFacts, index: IndexName, tags: Mapping[str, Version], tag_format: str,
              tags_note: str = "") -> list[Finding]:
    """RG603: the name exists on the index, and no release tag of this repository names a
    version it lists: the project is someone else's, and the upload is refused (403, or 409
    when the index would create it). With no release tag at all, the hint is softer: the
    project may be this one, never tagged. `tags_note` says why tags may be missing."""
    if not index.exists or owning_tags(index, tags):
        return []
    message = (f"{_quote(facts)} belongs to another project: {index.index} lists "
               f"{normalized(facts.name)} ({_shown_versions(index.versions)})")
    if tags:
        shown = ", ".join(sorted(tags)[:3]) + (f" and {len(tags) - 3} more" if len(tags) > 3 else "")
        message += f", and none of this repository's release tags ({shown}) names one of its versions"
        hint = ("choose another name; if this is your project, check tag-format "
                f"({tag_format!r}) and the index URL")
    else:
        message += f", and this repository has no release tag (tag-format {tag_format!r})"
        example = tag_format.replace("{name}", facts.name).replace(
            "{version}", str(max(index.versions)) if index.versions else "1.0")
        hint = (f"if this is your project, tag its releases (git tag {example} <commit>)"
                f"{'; ' + tags_note if tags_note else ''}; otherwise choose another name")
    return [Finding("RG603", f"{message}: the upload will fail with 403 / 409", facts.where, facts.line,
                    hint)]


def too_similar(facts: NameFacts, existing: Iterable[str], index: str) -> list[Finding]:
    """RG604: projects on the index whose ultranormalized name equals this one's, the project's
    own normalized name excluded (that one is RG603's or the project's own)."""
    own = normalized(facts.name)
    form = ultranormalize(facts.name)
    similar = sorted({name for name in existing if ultranormalize(name) == form and normalized(name) != own},
                     key=lambda name: (name.lower(), name))
    if not similar:
        return []
    shown = ", ".join(similar[:_SIMILAR_SHOWN])
    shown += f" and {len(similar) - _SIMILAR_SHOWN} more" if len(similar) > _SIMILAR_SHOWN else ""
    return [Finding(
        "RG604", f"{_quote(facts)} is too similar to {shown} on {index} (each reads {form!r} once '.', '_' "
        "and '-' are dropped, l and i read as 1 and o as 0): the index answers \"400 The name "
        f"{facts.name!r} is too similar to an existing project\"", facts.where, facts.line,
        "choose a name that differs by more than case, punctuation, l/i/1 or o/0")]


def offline(similar: bool) -> Finding:
    """RG605 (info): --offline — the checks that need the index were not run."""
    skipped = "RG603 (the name belongs to another project)"
    skipped += " and RG604 (too similar, --similar)" if similar else ""
    return Finding("RG605", f"--offline: the index was not read; not checked: {skipped}",
                   hint="run check-name without --offline before the first upload", severity="info")


def passed_line(facts: NameFacts, index: IndexName | None, owned_by: Sequence[str] = (),
                compared: int | None = None) -> str:
    """The ok line: the normalized name and file prefix, then what the index said (None: not read)."""
    line = (f"release-guard: project name {facts.name} ok: valid (normalized {normalized(facts.name)}, "
            f"file names start {file_prefix(facts.name)})")
    if index is None:
        return line + ", no standard-library module; the index was not read (--offline)"
    if index.exists:
        tags = ", ".join(owned_by[:3]) + (f" and {len(owned_by) - 3} more" if len(owned_by) > 3 else "")
        return line + f"; on {index.index} with the versions of this repository's release tags ({tags})"
    line += f", no standard-library module, new on {index.index}"
    if compared is not None:
        line += f", not too similar to any of its {compared} projects"
    return line
