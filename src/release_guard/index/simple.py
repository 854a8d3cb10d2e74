"""Simple API reads: PEP 691 JSON by content negotiation, PEP 503 HTML otherwise, PEP 700
`versions` where present, else versions parsed from file names with `packaging.utils`.

A 404 for a project means "not on the index yet" only once the index root has answered as
a Simple index: it is asked (once per command) only when a project answers 404.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from packaging.version import Version

from release_guard.errors import IndexError_
from release_guard.index.deadline import Deadline
from release_guard.index.pages import (
    IndexFile,
    malformed,
    media_type,
    project_html,
    project_json,
    root_names,
    root_verdict,
)
from release_guard.index.pages import decode as _decode
from release_guard.index.targets import Repository, sanitize_url
from release_guard.index.transport import (
    _DEFAULT_MAX_BYTES,
    _DEFAULT_TIMEOUTS,
    _URL_HINT,
    Timeouts,
    _get,
    _refused,
    _Reply,
    past_deadline,
    require_safe_transport,
)

if TYPE_CHECKING:
    import threading

    from packaging.utils import NormalizedName

__all__ = ["IndexFile", "ProjectList", "ProjectPage", "fetch_each", "fetch_project", "fetch_project_list",
           "fetch_projects"]

ROOT_PREFIX_BYTES = 256 * 1024  # enough to judge a root; a public index's is far larger
# The whole root, read only for the list of every project: the public index's is some 30 MB
# of HTML (less as JSON), and twice that is all one read may take.
LIST_MAX_BYTES = 64 * 1024 * 1024
_ROOT_HINT = ("check the index URL for a typo: it must be the Simple API root that lists the projects, "
              "e.g. http://HOST/simple/ or devpi's http://HOST/USER/INDEX/+simple/ "
              "(--repository-url / --index-url / index-url)")


@dataclass(frozen=True)
class ProjectPage:
    """A project's Simple API page. `exists` is False only when the project answered 404
    and the index root answered as a Simple index (otherwise the read is an error).

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



@dataclass(frozen=True)
class ProjectList:
    """Every project the index root lists, by the names it shows; `etag` is the root's entity
    tag (for If-None-Match next time), when it sent a well-formed one."""

    names: tuple[str, ...]
    etag: str | None


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
    text = _decode(reply.url, reply.body)
    media = media_type(reply.content_type)
    listed: list[str] | None = None
    if media == "json":
        files, listed = project_json(reply.url, text, name)
    elif media == "html":
        files = project_html(reply.url, text, name)
    else:
        raise malformed(reply.url, f"unexpected content type {media[:60]!r}")
    versions = _sorted_versions(files, listed or ())
    return ProjectPage(name, True, versions, tuple(files), media)


class _Reader:
    """The reads of one command: one deadline, and at most one look at the index root."""

    def __init__(self, repo: Repository, timeouts: Timeouts, retries: int, max_bytes: int,
                 deadline: Deadline) -> None:
        import threading

        if urlsplit(repo.index_url).scheme.lower() not in ("http", "https"):
            raise IndexError_(f"cannot read {repo.display_url()}: not an http(s) URL", hint=_URL_HINT)
        require_safe_transport(repo)
        self.repo, self.timeouts, self.retries, self.max_bytes = repo, timeouts, retries, max_bytes
        self.deadline = deadline
        shown = repo.display_url()
        self.base = shown if shown.endswith("/") else shown + "/"
        self._root_lock: threading.Lock = threading.Lock()
        self._root: IndexError_ | bool | None = False  # False: not asked yet; None: a Simple index

    def project(self, canonical: NormalizedName) -> ProjectPage:
        from urllib.parse import quote

        url = f"{self.base}{quote(canonical, safe='')}/"
        reply = _get(self.repo, url, self.timeouts, self.retries, self.max_bytes, self.deadline)
        if reply.status == 404:
            self._confirm_root(canonical)
            return ProjectPage(canonical, False, (), (), "")
        if not 200 <= reply.status < 300:
            raise _refused(self.repo, reply)
        return _page(canonical, reply)

    def project_list(self, etag: str | None, max_bytes: int) -> ProjectList | None:
        """The root's list of projects; None when it answers 304 Not Modified to `etag`."""
        extra = {"If-None-Match": etag} if etag else {}
        reply = _get(self.repo, self.base, self.timeouts, self.retries, max_bytes, self.deadline, extra=extra)
        if reply.status == 304 and etag:
            return None
        if not 200 <= reply.status < 300:
            raise _refused(self.repo, reply)
        if reply.url != self.base:  # another path's list is not this index's
            raise IndexError_(f"the index root {self.base} redirects to {sanitize_url(reply.url)[:200]}",
                              hint="use that URL as the index URL, if it is the index you mean "
                              "(--repository-url / --index-url / index-url)")
        names = root_names(reply.url, reply.content_type, _decode(reply.url, reply.body))
        return ProjectList(tuple(names), reply.etag)

    def _confirm_root(self, project: str) -> None:
        with self._root_lock:
            if self._root is False:
                try:
                    self._check_root(project)
                    self._root = None
                except IndexError_ as exc:
                    self._root = exc
            failure = self._root
        if isinstance(failure, IndexError_):  # a fresh exception for each project's thread
            raise IndexError_(failure.message, failure.hint, unreachable=failure.unreachable)

    def _check_root(self, project: str) -> None:
        base = self.base
        reply = _get(self.repo, base, self.timeouts, self.retries, ROOT_PREFIX_BYTES, self.deadline,
                     prefix=True)
        if reply.status in (401, 403):
            raise _refused(self.repo, reply)
        unsure = f"cannot tell whether {project} is on {base}: its page answered 404, and {base} itself"
        if not 200 <= reply.status < 300:
            status = f"HTTP {reply.status} {reply.reason}".strip()
            raise IndexError_(f"{unsure} answered {status}", hint=_ROOT_HINT)
        if reply.url != base:  # the index is elsewhere: project pages below `base` prove nothing
            raise IndexError_(f"{unsure} redirects to {sanitize_url(reply.url)[:200]}",
                              hint="use that URL as the index URL, if it is the index you mean "
                              "(--repository-url / --index-url / index-url)")
        verdict = root_verdict(reply.url, reply.content_type, _decode(reply.url, reply.body), reply.complete)
        if verdict.kind == "project":
            from urllib.parse import urljoin

            raise IndexError_(f"{unsure} is a project's page, not the index root",
                              hint=f"use the index root instead, e.g. {urljoin(base, '../')} "
                              "(--repository-url / --index-url / index-url)")
        if verdict.kind != "index":
            raise IndexError_(f"{unsure} is not a Simple index ({verdict.detail})", hint=_ROOT_HINT)


def fetch_project(
    repo: Repository,
    name: str,
    *,
    timeouts: Timeouts = _DEFAULT_TIMEOUTS,
    retries: int = 2,
    max_bytes: int = _DEFAULT_MAX_BYTES,
    deadline: Deadline | None = None,
) -> ProjectPage:
    """Read `<index_url><canonical name>/`. A 404 gives `exists=False` once the index root
    (`index_url` itself) has answered as a Simple index.

    Raises IndexError_ when the index cannot be reached after `retries` extra
    attempts or within `deadline` (default: a new one of 15 s), refuses the request
    (any other 4xx), redirects off its host or too often, sends a body that is too large,
    not UTF-8, or not a Simple API page, or answers 404 from a root that is no Simple
    index. RepositoryError when credentials would go over plain http beyond loopback.
    """
    from packaging.utils import canonicalize_name

    pages = fetch_projects(repo, [name], timeouts=timeouts, retries=retries, max_bytes=max_bytes,
                           max_workers=1, deadline=deadline)
    return pages[canonicalize_name(name)]


def fetch_projects(
    repo: Repository,
    names: Iterable[str],
    *,
    timeouts: Timeouts = _DEFAULT_TIMEOUTS,
    retries: int = 2,
    max_bytes: int = _DEFAULT_MAX_BYTES,
    max_workers: int = 8,
    deadline: Deadline | None = None,
) -> dict[NormalizedName, ProjectPage]:
    """`fetch_project` for each distinct canonical name, concurrently, within one deadline.

    The first failure, in the order of `names`, is raised after all requests end. Past the
    deadline nothing is awaited any longer, not even a host name lookup.
    """
    found = fetch_each(repo, names, timeouts=timeouts, retries=retries, max_bytes=max_bytes,
                       max_workers=max_workers, deadline=deadline)
    for page in found.values():
        if isinstance(page, IndexError_):
            raise page
    return {name: page for name, page in found.items() if isinstance(page, ProjectPage)}


def fetch_each(
    repo: Repository,
    names: Iterable[str],
    *,
    timeouts: Timeouts = _DEFAULT_TIMEOUTS,
    retries: int = 2,
    max_bytes: int = _DEFAULT_MAX_BYTES,
    max_workers: int = 8,
    deadline: Deadline | None = None,
) -> dict[NormalizedName, ProjectPage | IndexError_]:
    """As `fetch_projects`, but each name's own outcome: its page, or the IndexError_ that
    kept it from being read (one project's page that is down says nothing of another's)."""
    from concurrent.futures import ThreadPoolExecutor, wait

    from packaging.utils import canonicalize_name

    wanted = list(dict.fromkeys(canonicalize_name(n) for n in names))
    if not wanted:
        return {}
    own = deadline is None
    clock = Deadline() if deadline is None else deadline
    pool = ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(wanted))))
    try:
        reader = _Reader(repo, timeouts, retries, max_bytes, clock)
        futures = {n: pool.submit(reader.project, n) for n in wanted}
        wait(futures.values(), timeout=clock.remaining() + 1.0)
        found: dict[NormalizedName, ProjectPage | IndexError_] = {}
        for name, future in futures.items():
            if not future.done():
                found[name] = past_deadline(reader.base, clock)
                continue
            try:
                found[name] = future.result()
            except IndexError_ as exc:
                found[name] = exc
        return found
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        if own:
            clock.close()


def fetch_project_list(
    repo: Repository,
    *,
    etag: str | None = None,
    timeouts: Timeouts = _DEFAULT_TIMEOUTS,
    retries: int = 2,
    max_bytes: int = LIST_MAX_BYTES,
    deadline: Deadline | None = None,
) -> ProjectList | None:
    """Read the index root (`index_url` itself), the list of every project on the index, in
    one GET of at most `max_bytes`; with `etag`, as a conditional GET (If-None-Match), which
    gives None when the list has not changed since.

    Raises IndexError_ as `fetch_project` does, and when the root is no Simple index root
    (a project's page, a login form, ...) or redirects to another path.
    """
    clock = Deadline() if deadline is None else deadline
    try:
        reader = _Reader(repo, timeouts, retries, max_bytes, clock)
        return reader.project_list(etag, max_bytes)
    finally:
        if deadline is None:
            clock.close()
