"""The package index: where to upload and read (`targets`, with the user's `pypirc`), how
to talk to it (`transport`, within one `deadline`), what its Simple API answers say
(`pages`), and reading a project's page (`simple`)."""

from __future__ import annotations

from release_guard.index.deadline import Deadline
from release_guard.index.simple import (
    IndexFile,
    ProjectList,
    ProjectPage,
    fetch_each,
    fetch_project,
    fetch_project_list,
    fetch_projects,
)
from release_guard.index.targets import Repository, derive_index_url, resolve_repository, sanitize_url
from release_guard.index.transport import ACCEPT, UNREACHABLE_HINT, Timeouts

__all__ = [
    "ACCEPT",
    "UNREACHABLE_HINT",
    "Deadline",
    "IndexFile",
    "ProjectList",
    "ProjectPage",
    "Repository",
    "Timeouts",
    "derive_index_url",
    "fetch_each",
    "fetch_project",
    "fetch_project_list",
    "fetch_projects",
    "resolve_repository",
    "sanitize_url",
]
