"""The package index: where to upload and read (`targets`), how to talk to it
(`transport`), and what its Simple API pages say (`simple`)."""

from __future__ import annotations

from release_guard.index.simple import IndexFile, ProjectPage, fetch_project, fetch_projects
from release_guard.index.targets import Repository, derive_index_url, resolve_repository, sanitize_url
from release_guard.index.transport import ACCEPT, UNREACHABLE_HINT, Timeouts

__all__ = [
    "ACCEPT",
    "UNREACHABLE_HINT",
    "IndexFile",
    "ProjectPage",
    "Repository",
    "Timeouts",
    "derive_index_url",
    "fetch_project",
    "fetch_projects",
    "resolve_repository",
    "sanitize_url",
]
