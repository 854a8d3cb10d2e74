"""What a Simple API answer says: PEP 691 JSON and PEP 503 HTML project pages, and whether
an index root answers as a Simple index at all. Pure functions of the text; no I/O.

A page counts only with a Simple API's marks: JSON with its `files` (project) or
`projects` (root) and the `meta` API version, or HTML with the `pypi:repository-version`
meta, or with links of the right kind (file links on a project page, project links on
the root) under a title a Simple page has. A login form, a portal, a web server's welcome
page or an empty body is none of these.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urldefrag, urlsplit

from packaging.version import Version

from release_guard.errors import IndexError_
from release_guard.index.html_tokens import DATA, END, START, HtmlTooBroken, tokens
from release_guard.index.targets import _one_line, sanitize_url

PAGE_HINT = "check that the index URL points at a PEP 503/691 Simple API (--repository-url / index-url)"
# Titles of Simple pages: Warehouse and pypiserver "Links for x" / "Simple index", devpi
# "user/index: links for x" / "user/index: simple list", a static tree's directory listing.
_PROJECT_TITLE = re.compile(r"links for|index of |directory listing", re.IGNORECASE)
_ROOT_TITLE = re.compile(r"simple (index|list)|index of |directory listing", re.IGNORECASE)
_FILE_SUFFIXES = (".whl", ".tar.gz", ".zip", ".tar.bz2", ".tar.xz", ".tgz", ".tar", ".egg", ".exe", ".msi")
_HASH = re.compile(r"^(sha\d+|md5|blake2b)=", re.IGNORECASE)


@dataclass(frozen=True)
class IndexFile:
    """One file listed on a project page."""

    filename: str
    version: Version | None
    sha256: str | None
    yanked: bool


@dataclass
class _Anchor:
    href: str
    label: str = ""
    yanked: bool = False


@dataclass
class HtmlScan:
    """The parts of an HTML page that matter here (the last anchor may be unfinished)."""

    anchors: list[_Anchor] = field(default_factory=list)
    api_version: str | None = None
    title: str | None = None


def malformed(url: str, detail: str) -> IndexError_:
    return IndexError_(
        f"{sanitize_url(url)} sent an unusable Simple API page: {_one_line(detail)}", hint=PAGE_HINT
    )


def decode(url: str, body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise IndexError_(f"{sanitize_url(url)} sent a body that is not UTF-8", hint=PAGE_HINT) from None


def media_type(content_type: str) -> str:
    """"json", "html", or the bare media type when it is neither."""
    media = content_type.split(";")[0].strip().lower()
    if media == "application/json" or media.endswith("+json"):
        return "json"
    if media in ("", "text/html", "application/xhtml+xml") or media.endswith("+html"):
        return "html"
    return media


def file_version(filename: str, project: str | None = None) -> Version | None:
    """The version in a file's name; `project` (canonical) tells the name part from the version
    in a legacy name."""
    from packaging.utils import parse_sdist_filename, parse_wheel_filename

    try:
        if filename.endswith(".whl"):
            return parse_wheel_filename(filename)[1]
        return parse_sdist_filename(filename)[1]
    except ValueError:
        return _legacy_version(filename, project)


# What `packaging` does not parse and old projects (and pypiserver folders) still list.
_LEGACY_SUFFIXES = (".tar.gz", ".tar.bz2", ".tar.xz", ".tgz", ".tbz2", ".tar", ".zip", ".egg", ".exe", ".msi")
_PY_TAG = re.compile(r"-py\d.*$")  # an egg's or installer's -py2.7[-platform]
_PLATFORM = re.compile(r"\.(?:win32|win-amd64|win-arm64|linux-\w+|macosx-[\w.-]+)$", re.IGNORECASE)


def _legacy_version(filename: str, project: str | None) -> Version | None:
    """`name-version[.platform][-pyX.Y[-platform]].ext`: other sdist compressions, eggs,
    Windows installers, bdist_dumb. The name ends at the first `-` where the rest parses
    (where the name is `project`, when it is known)."""
    from packaging.utils import canonicalize_name

    suffix = next((s for s in _LEGACY_SUFFIXES if filename.lower().endswith(s)), None)
    stem = filename[: -len(suffix)] if suffix else ""
    for at, char in enumerate(stem):
        if char != "-" or (project is not None and canonicalize_name(stem[:at]) != project):
            continue
        try:
            return Version(_PLATFORM.sub("", _PY_TAG.sub("", stem[at + 1:])))
        except ValueError:
            continue
    return None


def check_api_version(url: str, value: object) -> None:
    if value is None:
        return
    if not isinstance(value, str) or value.split(".")[0].strip() != "1":
        # Shown only when it looks like a version: the page is the server's text.
        looks_like_one = isinstance(value, str) and len(value) < 12 and value.replace(".", "").isdigit()
        shown = repr(value) if looks_like_one else "(not a version)"
        raise malformed(url, f"unsupported repository API version {shown}")


def _json_or_problem(text: str) -> tuple[Any, str | None]:
    import json

    try:
        return json.loads(text), None
    except RecursionError:  # the server decides how deep its JSON nests
        return None, "JSON nested too deeply"
    except ValueError as exc:
        return None, f"invalid JSON ({exc})"


def load_json(url: str, text: str) -> Any:
    data, problem = _json_or_problem(text)
    if problem is not None:
        raise malformed(url, problem)
    return data


def _json_file(url: str, entry: object, project: str | None) -> IndexFile:
    if not isinstance(entry, dict) or not isinstance(entry.get("filename"), str):
        raise malformed(url, "a file entry has no filename")
    filename: str = entry["filename"]
    hashes = entry.get("hashes")
    sha256 = hashes.get("sha256") if isinstance(hashes, dict) else None
    yanked = entry.get("yanked", False)
    return IndexFile(
        filename=filename,
        version=file_version(filename, project),
        sha256=sha256.lower() if isinstance(sha256, str) else None,
        yanked=yanked is True or isinstance(yanked, str),
    )


def project_json(url: str, text: str, project: str | None = None) -> tuple[list[IndexFile], list[str] | None]:
    """(files, PEP 700 versions or None) of a PEP 691 project page (of `project`, canonical)."""
    data = load_json(url, text)
    if not isinstance(data, dict) or not isinstance(data.get("files"), list):
        raise malformed(url, "JSON without a 'files' list")
    meta = data.get("meta")
    check_api_version(url, meta.get("api-version") if isinstance(meta, dict) else None)
    files = [_json_file(url, entry, project) for entry in data["files"]]
    versions = data.get("versions")
    if versions is None:
        return files, None
    if not isinstance(versions, list) or not all(isinstance(v, str) for v in versions):
        raise malformed(url, "'versions' is not a list of strings")
    return files, versions


def scan_html(text: str) -> HtmlScan:
    """Anchors, the repository-version meta and the first title, read as html.parser reads
    them, in linear time (`html_tokens`); HtmlTooBroken for a page that would take more."""
    scan = HtmlScan()
    labels: list[list[str]] = []  # each anchor's text, joined at the end: += would be quadratic
    label: list[str] | None = None
    title: list[str] | None = None
    for kind, name, attrs in tokens(text):
        if kind == DATA:
            if label is not None:
                label.append(name)
            if title is not None:
                title.append(name)
        elif kind == START and name in ("a", "meta"):
            found = dict(attrs)
            if name == "a" and found.get("href"):
                scan.anchors.append(_Anchor(found.get("href") or "", yanked="data-yanked" in found))
                label = []
                labels.append(label)
            elif name == "meta" and found.get("name") == "pypi:repository-version":
                scan.api_version = found.get("content") or ""
        elif kind == START and name == "title" and scan.title is None:
            title, scan.title = [], ""
        elif kind == END and name == "a":
            label = None
        elif kind == END and name == "title" and title is not None:
            scan.title, title = "".join(title), None
    for anchor, parts in zip(scan.anchors, labels, strict=True):
        anchor.label = "".join(parts)
    if title is not None:  # a title never closed runs to the end of the page
        scan.title = "".join(title)
    return scan


def _file_name(anchor: _Anchor) -> str:
    target, _ = urldefrag(anchor.href)
    return unquote(urlsplit(target).path.rpartition("/")[2]) or anchor.label.strip()


def _is_file_link(anchor: _Anchor) -> bool:
    fragment = urldefrag(anchor.href)[1]
    return bool(_HASH.match(fragment)) or _file_name(anchor).lower().endswith(_FILE_SUFFIXES)


def _is_project_link(anchor: _Anchor) -> bool:
    """`<a href=".../name/">name</a>`: a PEP 503 root's link to a project page."""
    from packaging.utils import canonicalize_name

    path = urlsplit(anchor.href).path
    segment = unquote(path.rstrip("/").rpartition("/")[2])
    label = anchor.label.strip().rstrip("/")
    return path.endswith("/") and bool(segment) and canonicalize_name(segment) == canonicalize_name(label)


def _is_parent_link(anchor: _Anchor) -> bool:
    return anchor.href.startswith(("../", "?")) or anchor.label.strip() in ("../", "Parent Directory")


def project_html(url: str, text: str, project: str | None = None) -> list[IndexFile]:
    """The files of a PEP 503 project page (of `project`, canonical); a page without a Simple
    page's marks, or the root's list of projects, is an error."""
    try:
        scan = scan_html(text)
    except HtmlTooBroken as exc:
        raise malformed(url, str(exc)) from None
    check_api_version(url, scan.api_version)
    if scan.api_version is None:
        if not any(_is_file_link(a) for a in scan.anchors):
            kind = "an empty page" if not text.strip() else "an HTML page with no file links"
            raise malformed(url, f"{kind} and no pypi:repository-version meta: not a project page")
        if scan.title is not None and not _PROJECT_TITLE.search(scan.title):
            raise malformed(url, "an HTML page whose title is not a project page's, and no "
                            "pypi:repository-version meta")
    listed = [a for a in scan.anchors if not _is_parent_link(a)]
    if not any(_is_file_link(a) for a in listed) and any(_is_project_link(a) for a in listed):
        # the root, answered for a project (a same-host redirect, a catch-all, a `?` in the
        # URL): it would read as a project with no releases at all
        raise malformed(url, "a list of projects (the index root's page), not a project's page")
    files = []
    for anchor in scan.anchors:
        filename = _file_name(anchor)
        if not filename:
            continue
        algorithm, _, digest = urldefrag(anchor.href)[1].partition("=")
        sha256 = digest.lower() if algorithm.lower() == "sha256" and digest else None
        files.append(IndexFile(filename, file_version(filename, project), sha256, anchor.yanked))
    return files


@dataclass(frozen=True)
class RootVerdict:
    """What the index root turned out to be: "index", "project" (a project's page, where
    the root should be) or "other" (`detail` says what)."""

    kind: str
    detail: str = ""


_JSON_ROOT = (re.compile(r'"projects"\s*:\s*\['), re.compile(r'"api-version"\s*:\s*"1\.'))
_JSON_FILES = re.compile(r'"files"\s*:\s*\[')


def root_verdict(url: str, content_type: str, text: str, complete: bool) -> RootVerdict:
    """Whether the index root's answer is a Simple index. `complete` is False when `text` is
    only the beginning of a large answer (a public index lists every project)."""
    kind = media_type(content_type)
    if kind == "json":
        return _json_root(url, text, complete)
    if kind != "html":
        return RootVerdict("other", f"an answer of type {kind[:60]!r}")
    try:
        scan = scan_html(text)
    except HtmlTooBroken:
        return RootVerdict("other", "an HTML page too broken to read")
    listed = [a for a in scan.anchors if not _is_parent_link(a)]
    projects = [a for a in listed if _is_project_link(a)]
    if any(_is_file_link(a) for a in listed) and not projects:
        return RootVerdict("project")
    if scan.api_version is not None:
        check_api_version(url, scan.api_version)
        return RootVerdict("index")
    title = scan.title
    if title is not None and _ROOT_TITLE.search(title):
        return RootVerdict("index")
    if title is None and listed and len(projects) == len(listed):
        return RootVerdict("index")
    if not text.strip():
        return RootVerdict("other", "an empty page")
    return RootVerdict("other", "an HTML page that lists no projects and has no "
                       "pypi:repository-version meta" if not projects else
                       "an HTML page whose title is not a Simple index's")


def _json_root(url: str, text: str, complete: bool) -> RootVerdict:
    if not complete:  # too large to read whole: judge by its beginning
        if text.lstrip().startswith("{") and all(p.search(text) for p in _JSON_ROOT):
            return RootVerdict("index")
        if text.lstrip().startswith("{") and _JSON_FILES.search(text):
            return RootVerdict("project")
        return RootVerdict("other", "JSON without 'projects' and 'meta'")
    data, problem = _json_or_problem(text)
    if problem is not None:
        return RootVerdict("other", problem)
    return _json_data_root(url, data)


def _json_data_root(url: str, data: Any) -> RootVerdict:
    if not isinstance(data, dict):
        return RootVerdict("other", "JSON that is not an object")
    meta = data.get("meta")
    version = meta.get("api-version") if isinstance(meta, dict) else None
    if isinstance(data.get("projects"), list) and isinstance(version, str):
        check_api_version(url, version)
        return RootVerdict("index")
    if isinstance(data.get("files"), list):
        return RootVerdict("project")
    return RootVerdict("other", "JSON without 'projects' and 'meta'")


# A root's project links, found without the HTML parser: a public index lists every project
# (some 30 MB of HTML), which html.parser takes seconds to read and this a fraction of one.
# Each search starts where the last tag ended, so a hostile page costs linear time.
_ANCHOR_START = re.compile(r"<a[\s>]", re.IGNORECASE)
_HREF = re.compile(r"""\shref\s*=\s*("[^"]*"|'[^']*'|[^\s>"']+)""", re.IGNORECASE)
JUDGE_CHARS = 256 * 1024  # a root is judged by its beginning, as `root_verdict` does a prefix


def root_names(url: str, content_type: str, text: str) -> list[str]:
    """The project names an index root lists: PEP 691 `projects[].name`, or the labels of a
    PEP 503 root's project links. A page that is no Simple index root is an error."""
    import html

    from packaging.utils import canonicalize_name

    if media_type(content_type) == "json":
        return _json_names(url, load_json(url, text))
    verdict = root_verdict(url, content_type, text[:JUDGE_CHARS], complete=len(text) <= JUDGE_CHARS)
    _require_root(url, verdict)
    names = []
    for href, label in _anchors(text):
        href = html.unescape(href) if "&" in href else href
        label = (html.unescape(label) if "&" in label else label).strip().rstrip("/")
        path = href.partition("#")[0].partition("?")[0]
        segment = path.rstrip("/").rpartition("/")[2]
        # `_is_project_link`, with the usual case (the label is the link's last segment) first
        if path.endswith("/") and label and not href.startswith("../") and (segment == label or (
                canonicalize_name(unquote(segment)) == canonicalize_name(label))):
            names.append(label)
    return names


def _anchors(text: str) -> Iterator[tuple[str, str]]:
    """(href, label text up to the next tag) of each `<a href=...>`, in one pass."""
    at = 0
    while (start := _ANCHOR_START.search(text, at)) is not None:
        close = text.find(">", start.start())
        if close < 0:
            return
        href = _HREF.search(text, start.start() + 2, close)
        end = text.find("<", close + 1)
        at = close + 1 if end < 0 else end
        if href is not None:
            yield href.group(1).strip("\"'"), text[close + 1:at if end >= 0 else len(text)]


def _json_names(url: str, data: Any) -> list[str]:
    _require_root(url, _json_data_root(url, data))
    names = []
    for entry in data["projects"]:
        name = entry.get("name") if isinstance(entry, dict) else None
        if not isinstance(name, str):
            raise malformed(url, "a project entry has no name")
        names.append(name)
    return names


def _require_root(url: str, verdict: RootVerdict) -> None:
    if verdict.kind == "project":
        raise malformed(url, "a project's page, not the index root that lists the projects")
    if verdict.kind != "index":
        raise malformed(url, f"not a Simple index root ({verdict.detail})")
