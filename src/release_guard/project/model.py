"""What every command believes about a project: its name, its version, and where each was read."""

from __future__ import annotations

from typing import Any, NamedTuple

# Dynamic-version kinds, as `ProjectInfo.dynamic` reports them.
STATIC, FILE, COMPUTED, BACKEND, VCS = None, "file", "computed", "backend", "vcs"

class Source(NamedTuple):
    """Where a value was read: a project-relative path, a line, and how."""

    path: str
    line: int | None = None
    detail: str = ""

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where} ({self.detail})" if self.detail else where


class Declaration(NamedTuple):
    """One place that declares the version."""

    version: str
    source: Source


class ProjectInfo(NamedTuple):
    """What every command believes. NamedTuples here, not dataclasses: see findings.Finding."""

    name: str | None
    name_source: Source | None
    version: str | None
    version_source: Source | None
    dynamic: str | None = STATIC
    vcs_tool: str | None = None
    declarations: tuple[Declaration, ...] = ()
    tree_label: str = "working tree"
    config_table: Any = None  # the [tool.release-guard] table, as parsed
    # Patterns (project-relative) for what the distributions ship: the packages the backend
    # would find. Empty when they cannot be told; release-files then falls back to src/**.
    packages: tuple[str, ...] = ()

    @property
    def normalized_name(self) -> str | None:
        from packaging.utils import canonicalize_name  # packaging.utils costs 10 ms to import

        return canonicalize_name(self.name) if self.name else None

    @property
    def vcs_derived(self) -> bool:
        return self.dynamic == VCS
