"""Version checks (RG100-RG110): validity, consistency, no going backwards, bumped."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from fnmatch import fnmatchcase

from packaging.version import Version

from release_guard.findings import Finding

_PRE_WORDS = {"alpha": "a", "a": "a", "beta": "b", "b": "b", "c": "rc", "rc": "rc",
              "pre": "rc", "preview": "rc"}
_POST_WORDS = {"post", "rev", "r"}
_DEV_WORDS = {"dev", "snapshot"}


def parse(raw: str) -> Version | None:
    try:
        return Version(raw)
    except ValueError:  # InvalidVersion, or a number longer than int() accepts
        return None


def _suffix_from_tokens(tokens: list[str]) -> str | None:
    out = ""
    i = 0
    while i < len(tokens):
        word = tokens[i]
        number = tokens[i + 1] if i + 1 < len(tokens) and tokens[i + 1].isdigit() else None
        i += 2 if number is not None else 1
        if word.isdigit():
            return None
        if word in _PRE_WORDS:
            out += f"{_PRE_WORDS[word]}{int(number or 0)}"
        elif word in _POST_WORDS:
            out += f".post{int(number or 0)}"
        elif word in _DEV_WORDS:
            out += f".dev{int(number or 0)}"
        else:
            return None
    return out


def suggest(raw: str) -> str | None:
    """The nearest canonical PEP 440 form of `raw` (`1.0.0-beta.1` -> `1.0.0b1`), if any."""
    version = parse(raw)
    if version is not None:
        return str(version)
    match = re.match(r"^\s*[vV]?(\d+(?:[._]\d+)*)(.*?)\s*$", raw)
    if match is None:
        return None
    rest, _, local = match.group(2).lower().partition("+")
    try:
        release = ".".join(str(int(p)) for p in re.split(r"[._]", match.group(1)))
        suffix = _suffix_from_tokens(re.findall(r"[a-z]+|\d+", rest))
    except ValueError:  # a number longer than int() accepts
        return None
    if suffix is None:
        return None
    candidate = release + suffix + (f"+{local}" if local else "")
    version = parse(candidate)
    return str(version) if version is not None else None


def validity(raw: str, where: str, line: int | None) -> list[Finding]:
    """RG101 invalid, RG102 not canonical, RG103 local segment."""
    version = parse(raw)
    if version is None:
        nearest = suggest(raw)
        hint = f"use {nearest!r}" if nearest else "see PEP 440 for valid forms, e.g. '1.2.3', '1.2.3rc1'"
        return [Finding("RG101", f"version {raw!r} is not valid PEP 440", where, line, hint)]
    findings = []
    if str(version) != raw:  # a warning: the backends and the index normalise it
        findings.append(Finding(
            "RG102", f"version {raw!r} is not in canonical form; the index will list it as "
            f"{str(version)!r}", where, line, f"write it as {str(version)!r}", "warning"))
    if version.local is not None:
        public = version.public
        findings.append(Finding(
            "RG103", f"version {raw!r} has a local segment '+{version.local}', which the index "
            "refuses", where, line, f"drop the local segment: {public!r}"))
    return findings


def consistency(declarations: Sequence[tuple[str, str, int | None]]) -> list[Finding]:
    """RG104/RG108: every declaration (version, path, line) names the same version."""
    if not declarations:
        return []
    primary_version, primary_path, primary_line = declarations[0]
    primary_at = f"{primary_path}:{primary_line}" if primary_line else primary_path
    findings = []
    for version, path, line in declarations[1:]:
        if not version:
            findings.append(Finding(
                "RG108", "declares no version that release-guard can find", path, line,
                'write a line like `__version__ = "1.2.3"` or remove it from version-files'))
            continue
        a, b = parse(version), parse(primary_version)
        same = (str(a) == str(b)) if a is not None and b is not None else version == primary_version
        if not same:
            findings.append(Finding(
                "RG104", f"version {version!r} differs from {primary_version!r} in {primary_at}",
                path, line, f"make both say {primary_version!r} (or both the new version)"))
    return findings


_TAG_REGEXES: dict[str, tuple[re.Pattern[str], ...]] = {}


def _tag_regexes(tag_format: str) -> tuple[re.Pattern[str], ...]:
    """The shortest and the longest name part: `data-vault-v1.0` needs the longer one.

    Built once a format: a hook reads every tag through them (building them again for each
    of 50 tags cost 0.4 ms)."""
    if tag_format not in _TAG_REGEXES:
        pattern = re.escape(tag_format).replace(re.escape("{version}"), r"(?P<version>.+)")
        _TAG_REGEXES[tag_format] = tuple(
            re.compile("^" + pattern.replace(re.escape("{name}"), f"(?P<name>.+{lazy})") + "$")
            for lazy in ("?", ""))
    return _TAG_REGEXES[tag_format]


DEFAULT_TAG_FORMAT = "v{version}"


def tag_parts(tag: str, tag_format: str) -> list[tuple[str | None, str]]:
    """Every (name part or None, version text) split of a tag that matches `tag_format`,
    whether or not the version text is valid."""
    parts = []
    for regex in _tag_regexes(tag_format):
        match = regex.match(tag)
        if match is not None:
            part = (match.groupdict().get("name"), match.group("version"))
            if part not in parts:
                parts.append(part)
    return parts


def tag_readings(tag: str, tag_format: str) -> list[tuple[str | None, str, Version]]:
    """Every (name part or None, version text, version) reading of a release tag.

    With the default format `v{version}`, a bare version (`1.2.3`) is a release tag too:
    `{version}` is the second most common convention, and ignoring it would turn the
    checks off for those projects without a word.
    """
    readings = []
    for name, text in tag_parts(tag, tag_format):
        version = parse(text)
        if version is not None:
            readings.append((name, text, version))
    if not readings and tag_format == DEFAULT_TAG_FORMAT and tag[:1].isdigit():
        version = parse(tag)
        if version is not None:
            readings.append((None, tag, version))
    return readings


def split_tags(tag: str, tag_format: str) -> list[tuple[str | None, Version]]:
    """Every (name part or None, version) reading of a release tag (see `tag_readings`)."""
    readings: list[tuple[str | None, Version]] = []
    for name, _, version in tag_readings(tag, tag_format):
        if (name, version) not in readings:
            readings.append((name, version))
    return readings


def split_tag(tag: str, tag_format: str, name: str | None = None) -> tuple[str | None, Version] | None:
    """The reading of a tag whose name part is `name` (any reading when `name` is None)."""
    for tag_name, version in split_tags(tag, tag_format):
        if tag_name is None or name is None or same_name(tag_name, name):
            return tag_name, version
    return None


def same_name(a: str, b: str | None) -> bool:
    """The two project names are the same once normalized (PEP 503)."""
    from packaging.utils import canonicalize_name  # 10 ms to import: only for {name} formats

    return b is not None and canonicalize_name(a) == canonicalize_name(b)


def tag_versions(tags: Iterable[str], tag_format: str, name: str | None) -> dict[str, Version]:
    """Tag name -> version, for tags that match `tag_format` (and the project name)."""
    found = {}
    for tag in tags:
        split = split_tag(tag, tag_format, name)
        if split is not None and (split[0] is None or name is not None):
            found[tag] = split[1]
    return found


def next_versions(version: Version) -> list[str]:
    """What to bump to: next patch, minor, major, and the next patch's .dev0."""
    major, minor, micro = (*version.release, 0, 0)[:3]
    options = []
    if version.pre is not None:
        label, number = version.pre
        options += [f"{version.base_version}{label}{number + 1}", version.base_version]
    options += [f"{major}.{minor}.{micro + 1}", f"{major}.{minor + 1}.0", f"{major + 1}.0.0",
                f"{major}.{minor}.{micro + 1}.dev0"]
    return options


def _bump_hint(version: Version) -> str:
    return "bump the version, e.g. to " + ", ".join(next_versions(version))


def not_lower_than_tags(raw: str, reachable: Mapping[str, Version], where: str,
                        line: int | None) -> list[Finding]:
    """RG105: never lower than the newest release tag reachable from the commit."""
    version = parse(raw)
    if version is None or not reachable:
        return []
    newest_tag = max(reachable, key=lambda t: reachable[t])
    if version < reachable[newest_tag]:
        return [Finding(
            "RG105", f"version {raw} is lower than the newest release tag {newest_tag} "
            f"({reachable[newest_tag]})", where, line, _bump_hint(reachable[newest_tag]))]
    return []


BUILD_FILES = ("pyproject.toml", "setup.cfg", "setup.py")


def default_release_files(packages: Sequence[str]) -> tuple[str, ...]:
    """The files whose change needs a new version: the shipped packages and the build files."""
    return (*(packages or ("src/**",)), *BUILD_FILES)


def matching_files(paths: Iterable[str], include: Sequence[str], exclude: Sequence[str]) -> list[str]:
    """Paths matched by a release-files pattern and by no ignore-files pattern."""
    def hit(path: str, patterns: Sequence[str]) -> bool:
        base = path.rsplit("/", 1)[-1]
        return any(fnmatchcase(path, p) or ("/" not in p and fnmatchcase(base, p)) for p in patterns)

    return [p for p in paths if hit(p, include) and not hit(p, exclude)]


def bumped_since_release(raw: str, released: Mapping[str, Version], changed: Sequence[str],
                         where: str, line: int | None) -> list[Finding]:
    """RG106: release files change while the version equals a release tag."""
    version = parse(raw)
    if version is None or not changed:
        return []
    for tag, tag_version in sorted(released.items()):
        if tag_version == version:
            shown = ", ".join(changed[:3]) + (f" and {len(changed) - 3} more" if len(changed) > 3 else "")
            return [Finding(
                "RG106", f"{raw} is already released (tag {tag}), but release files change "
                f"({shown}); bump the version", where, line, _bump_hint(version))]
    return []


def greater_than_base(raw: str, base_raw: str | None, base_ref: str, changed: Sequence[str],
                      where: str, line: int | None) -> list[Finding]:
    """RG107: with release files changed since `base_ref`, the version must be greater."""
    version, base_version = parse(raw), parse(base_raw or "")
    if version is None or base_version is None or not changed or version > base_version:
        return []
    relation = "equal to" if version == base_version else "lower than"
    return [Finding(
        "RG107", f"version {raw} is {relation} {base_raw} on {base_ref}, but release files "
        f"changed since then ({', '.join(changed[:3])})", where, line, _bump_hint(base_version))]


def shallow_clone(fetch_hint: str) -> Finding:
    """RG109: a shallow clone with no tag reachable cannot be checked for RG105/RG106."""
    return Finding("RG109", "shallow clone: tags and history are missing, so RG105/RG106 cannot be "
                   "checked", hint=fetch_hint, severity="warning")


def no_repository() -> Finding:
    """RG110: outside a git repository only validity and consistency can be checked."""
    return Finding("RG110", "not inside a git repository: checked validity and consistency only; "
                   "the tag and bump checks (RG105-RG107) need git", hint="run it in the project's "
                   "git checkout to check them too", severity="info")


def vcs_info(tool: str, where: str) -> Finding:
    return Finding(
        "RG100", f"the version is derived from VCS tags by {tool}; the consistency, tag and bump "
        "checks do not apply", where, None, "tag the release commit (git tag v1.2.3) to set the "
        "version", "info")
