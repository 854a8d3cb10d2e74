"""Simple API pages: PEP 691 JSON by content negotiation, PEP 503 HTML otherwise, PEP 700
`versions` where present, else versions parsed from file names with `packaging.utils`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from packaging.version import Version

from release_guard.errors import IndexError_
from release_guard.index.targets import Repository, _one_line, sanitize_url
from release_guard.index.transport import (
    _DEFAULT_MAX_BYTES,
    _DEFAULT_TIMEOUTS,
    _URL_HINT,
    Timeouts,
    _get,
    _refused,
    _Reply,
    require_safe_transport,
)

if TYPE_CHECKING:
    from packaging.utils import NormalizedName


@dataclass(frozen=True)
class IndexFile:
    """One file listed on a project page."""

    filename: str
    version: Version | None
    sha256: str | None
    yanked: bool



@dataclass(frozen=True)
class ProjectPage:
    """A project's Simple API page. `exists` is False when the index answered 404.

    `versions` is the union of PEP 700 `versions` (when the page has them) and the
    versions parsed from file names, sorted ascending and de-duplicated canonically
    (`1.0.0` and `1.0` are one version). `source` is "json", "html", or "" when the
    project does not exist.
    """

    name: NormalizedName
    exists: bool
    versions: tuple[Version, ...]
    files: tuple[IndexFile, ...]
    source: str

    def released(self, version: Version) -> bool:
        """Whether `version` is on the index (canonical compare; yanked counts)."""
        return any(v == version for v in self.versions)

    def newest(self) -> Version | None:
        """The newest version, yanked and pre-releases included; None if there is none."""
        return self.versions[-1] if self.versions else None



def _malformed(url: str, detail: str) -> IndexError_:
    return IndexError_(
        f"{sanitize_url(url)} sent an unusable Simple API page: {_one_line(detail)}",
        hint="check that the index URL points at a PEP 503/691 Simple API "
        "(--repository-url / index-url)",
    )


def _file_version(filename: str) -> Version | None:
    from packaging.utils import parse_sdist_filename, parse_wheel_filename

    try:
        if filename.endswith(".whl"):
            return parse_wheel_filename(filename)[1]
        return parse_sdist_filename(filename)[1]
    except ValueError:
        return None


def _check_api_version(url: str, value: object) -> None:
    if value is None:
        return
    if not isinstance(value, str) or value.split(".")[0].strip() != "1":
        # Shown only when it looks like a version: the page is the server's text.
        looks_like_one = isinstance(value, str) and len(value) < 12 and value.replace(".", "").isdigit()
        shown = repr(value) if looks_like_one else "(not a version)"
        raise _malformed(url, f"unsupported repository API version {shown}")


def _json_file(url: str, entry: object) -> IndexFile:
    if not isinstance(entry, dict) or not isinstance(entry.get("filename"), str):
        raise _malformed(url, "a file entry has no filename")
    filename: str = entry["filename"]
    hashes = entry.get("hashes")
    sha256 = hashes.get("sha256") if isinstance(hashes, dict) else None
    yanked = entry.get("yanked", False)
    return IndexFile(
        filename=filename,
        version=_file_version(filename),
        sha256=sha256.lower() if isinstance(sha256, str) else None,
        yanked=yanked is True or isinstance(yanked, str),
    )


def _parse_json(url: str, text: str) -> tuple[list[IndexFile], list[str] | None]:
    import json

    try:
        data = json.loads(text)
    except ValueError as exc:
        raise _malformed(url, f"invalid JSON ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("files"), list):
        raise _malformed(url, "JSON without a 'files' list")
    meta = data.get("meta")
    _check_api_version(url, meta.get("api-version") if isinstance(meta, dict) else None)
    files = [_json_file(url, entry) for entry in data["files"]]
    versions = data.get("versions")
    if versions is None:
        return files, None
    if not isinstance(versions, list) or not all(isinstance(v, str) for v in versions):
        raise _malformed(url, "'versions' is not a list of strings")
    return files, versions


def _html_file(href: str, text: str, yanked: bool) -> IndexFile | None:
    from urllib.parse import unquote, urldefrag

    target, fragment = urldefrag(href)
    filename = unquote(urlsplit(target).path.rpartition("/")[2]) or text.strip()
    if not filename:
        return None
    algorithm, _, digest = fragment.partition("=")
    sha256 = digest.lower() if algorithm.lower() == "sha256" and digest else None
    return IndexFile(filename, _file_version(filename), sha256, yanked)


def _parse_html(url: str, text: str) -> list[IndexFile]:
    from html.parser import HTMLParser

    files: list[IndexFile] = []

    class Anchors(HTMLParser):
        anchor: dict[str, str | None] | None = None
        label = ""
        api_version: str | None = None

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found = dict(attrs)
            if tag == "a" and found.get("href"):
                self.anchor, self.label = found, ""
            elif tag == "meta" and found.get("name") == "pypi:repository-version":
                self.api_version = found.get("content") or ""

        def handle_data(self, data: str) -> None:
            self.label += data if self.anchor is not None else ""

        def handle_endtag(self, tag: str) -> None:
            if tag == "a" and self.anchor is not None:
                href, yanked = self.anchor.get("href") or "", "data-yanked" in self.anchor
                entry = _html_file(href, self.label, yanked)
                files.extend([entry] if entry else [])
                self.anchor = None

    parser = Anchors(convert_charrefs=True)
    parser.feed(text)
    parser.close()
    _check_api_version(url, parser.api_version)
    return files


def _sorted_versions(files: Iterable[IndexFile], listed: Iterable[str]) -> tuple[Version, ...]:
    unique: dict[Version, Version] = {}
    for raw in listed:
        try:
            version = Version(raw)
        except ValueError:  # InvalidVersion, or a number too long for int()
            continue  # legacy, non-PEP 440 version strings exist on old indexes
        unique.setdefault(version, version)
    for item in files:
        if item.version is not None:
            unique.setdefault(item.version, item.version)
    return tuple(sorted(unique.values()))


def _page(name: NormalizedName, reply: _Reply) -> ProjectPage:
    try:
        text = reply.body.decode("utf-8")
    except UnicodeDecodeError:
        raise IndexError_(
            f"{sanitize_url(reply.url)} sent a body that is not UTF-8",
            hint="check that the index URL points at a PEP 503/691 Simple API "
            "(--repository-url / index-url)",
        ) from None
    media = reply.content_type.split(";")[0].strip().lower()
    listed: list[str] | None = None
    if media == "application/json" or media.endswith("+json"):
        files, listed = _parse_json(reply.url, text)
        source = "json"
    elif media in ("", "text/html", "application/xhtml+xml") or media.endswith("+html"):
        files, source = _parse_html(reply.url, text), "html"
    else:
        raise _malformed(reply.url, f"unexpected content type {media[:60]!r}")
    versions = _sorted_versions(files, listed or ())
    return ProjectPage(name, True, versions, tuple(files), source)



def fetch_project(
    repo: Repository,
    name: str,
    *,
    timeouts: Timeouts = _DEFAULT_TIMEOUTS,
    retries: int = 2,
    max_bytes: int = _DEFAULT_MAX_BYTES,
) -> ProjectPage:
    """Read `<index_url><canonical name>/`. A 404 gives `exists=False`.

    Raises IndexError_ when the index cannot be reached after `retries` extra
    attempts, refuses the request (any other 4xx), redirects off its host or too
    often, or sends a body that is too large, not UTF-8, or not a Simple API page;
    RepositoryError when credentials would go over plain http beyond loopback.
    """
    from urllib.parse import quote

    from packaging.utils import canonicalize_name

    canonical = canonicalize_name(name)
    if urlsplit(repo.index_url).scheme.lower() not in ("http", "https"):
        raise IndexError_(
            f"cannot read {repo.display_url()}: not an http(s) URL", hint=_URL_HINT
        )
    require_safe_transport(repo)
    index_url = repo.display_url()
    base = index_url if index_url.endswith("/") else index_url + "/"
    url = f"{base}{quote(canonical, safe='')}/"
    reply = _get(repo, url, timeouts, retries, max_bytes)
    if reply.status == 404:
        return ProjectPage(canonical, False, (), (), "")
    if not 200 <= reply.status < 300:
        raise _refused(repo, reply)
    return _page(canonical, reply)


def fetch_projects(
    repo: Repository,
    names: Iterable[str],
    *,
    timeouts: Timeouts = _DEFAULT_TIMEOUTS,
    retries: int = 2,
    max_bytes: int = _DEFAULT_MAX_BYTES,
    max_workers: int = 8,
) -> dict[NormalizedName, ProjectPage]:
    """`fetch_project` for each distinct canonical name, concurrently.

    The first failure, in the order of `names`, is raised after all requests end.
    """
    from concurrent.futures import ThreadPoolExecutor

    from packaging.utils import canonicalize_name

    wanted = list(dict.fromkeys(canonicalize_name(n) for n in names))
    if not wanted:
        return {}
    options: dict[str, Any] = {"timeouts": timeouts, "retries": retries, "max_bytes": max_bytes}
    with ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(wanted)))) as pool:
        futures = {n: pool.submit(fetch_project, repo, n, **options) for n in wanted}
    return {n: future.result() for n, future in futures.items()}
