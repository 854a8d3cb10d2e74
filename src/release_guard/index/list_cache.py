"""The index's list of projects, kept in the user's cache with its entity tag.

A public index lists every project in one page of tens of megabytes. The list is kept in
`$XDG_CACHE_HOME/release-guard/` (or `~/.cache/release-guard/`), one JSON file per index,
named by a hash of the index URL, and asked for again with If-None-Match: an unchanged list
costs one 304. The file is data: read as JSON of a known shape and size, never run; one that
is corrupt, of another shape or of another index is ignored and replaced. Files are written
whole to a temporary file and renamed, so a reader never sees half of one.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from release_guard.index.deadline import Deadline
from release_guard.index.simple import LIST_MAX_BYTES, fetch_project_list
from release_guard.index.targets import Repository
from release_guard.index.transport import Timeouts, valid_etag

FORMAT = 1
# The JSON of a list is smaller than the answer it was read from (names only).
MAX_CACHE_BYTES = LIST_MAX_BYTES


@dataclass(frozen=True)
class Listing:
    """The project names an index lists; `cached`: the index answered 304 and the cache's list
    was used. `cache_problem`: why the list could not be kept (the check goes on without)."""

    names: tuple[str, ...]
    cached: bool = False
    cache_problem: str = ""


def cache_dir(environ: Mapping[str, str]) -> Path:
    """`$XDG_CACHE_HOME/release-guard`, or `~/.cache/release-guard` (a relative
    XDG_CACHE_HOME is ignored, as the XDG spec says)."""
    base = Path(environ.get("XDG_CACHE_HOME", ""))
    if not base.is_absolute():
        base = Path("~/.cache").expanduser()
    return base / "release-guard"


def cache_file(environ: Mapping[str, str], index_url: str) -> Path:
    """The cache file of the index at `index_url` (a URL without credentials)."""
    import hashlib

    digest = hashlib.sha256(index_url.encode("utf-8")).hexdigest()[:32]
    return cache_dir(environ) / f"projects-{digest}.json"


def load(path: Path, index_url: str) -> tuple[str, tuple[str, ...]] | None:
    """(entity tag, names) from the cache file, when it is whole and of `index_url`; else None."""
    import json

    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_CACHE_BYTES + 1)
    except OSError:
        return None
    if len(data) > MAX_CACHE_BYTES:
        return None
    try:
        document = json.loads(data.decode("utf-8"))
    except (ValueError, RecursionError):  # not UTF-8, not JSON, nested too deep
        return None
    if not isinstance(document, dict):
        return None
    if document.get("format") != FORMAT or document.get("index") != index_url:
        return None  # another shape, or another index's list
    etag, names = valid_etag(document.get("etag")), document.get("projects")
    if etag is None or not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        return None
    return etag, tuple(names)


def store(path: Path, index_url: str, etag: str, names: tuple[str, ...]) -> str:
    """Write the cache file atomically; returns what went wrong ("" when nothing did)."""
    import contextlib
    import json
    import tempfile

    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=".projects-", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        return f"{path.parent}: {exc.strerror or type(exc).__name__}"
    temporary = Path(name)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump({"format": FORMAT, "index": index_url, "etag": etag, "projects": list(names)}, out)
        temporary.replace(path)  # atomic: a reader sees the old file or the new one, whole
    except OSError as exc:
        with contextlib.suppress(OSError):
            temporary.unlink()
        return f"{path}: {exc.strerror or type(exc).__name__}"
    return ""


def read_listing(repo: Repository, environ: Mapping[str, str], *, timeouts: Timeouts,
                 deadline: Deadline) -> Listing:
    """The index's list of projects: from the cache when the index says it has not changed
    (304), else as read, and then kept in the cache when the index gave an entity tag."""
    index_url = repo.display_url()
    path = cache_file(environ, index_url)
    cached = load(path, index_url)
    fresh = fetch_project_list(repo, etag=cached[0] if cached else None, timeouts=timeouts,
                               deadline=deadline)
    if fresh is None:
        assert cached is not None  # a 304 only answers an If-None-Match
        return Listing(cached[1], cached=True)
    problem = store(path, index_url, fresh.etag, fresh.names) if fresh.etag else ""
    return Listing(fresh.names, cache_problem=problem)
