"""What every command believes about a project: its name, its version, and where each was read."""

from __future__ import annotations

from typing import Any

from release_guard.record import Record

# Dynamic-version kinds, as `ProjectInfo.dynamic` reports them.
STATIC, FILE, COMPUTED, BACKEND, VCS = None, "file", "computed", "backend", "vcs"

class Source(Record):
    """Where a value was read: a project-relative path, a line, and how."""

    _fields = ("path", "line", "detail")
    __slots__ = _fields
    path: str
    line: int | None
    detail: str

    def __init__(self, path: str, line: int | None = None, detail: str = "") -> None:
        self._set(path, line, detail)

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where} ({self.detail})" if self.detail else where


class Declaration(Record):
    """One place that declares the version."""

    _fields = ("version", "source")
    __slots__ = _fields
    version: str
    source: Source

    def __init__(self, version: str, source: Source) -> None:
        self._set(version, source)


class ProjectInfo(Record):
    """What every command believes. A Record, not a dataclass: see findings.Finding."""

    _fields = ("name", "name_source", "version", "version_source", "dynamic", "vcs_tool",
                 "declarations", "tree_label", "config_table", "packages")
    __slots__ = _fields
    name: str | None
    name_source: Source | None
    version: str | None
    version_source: Source | None
    dynamic: str | None
    vcs_tool: str | None
    declarations: tuple[Declaration, ...]
    tree_label: str
    config_table: Any  # the [tool.release-guard] table, as parsed
    # Patterns (project-relative) for what the distributions ship: the packages the backend
    # would find. Empty when they cannot be told; release-files then falls back to src/**.
    packages: tuple[str, ...]

    def __init__(self, name: str | None, name_source: Source | None, version: str | None,
                 version_source: Source | None, dynamic: str | None = STATIC, vcs_tool: str | None = None,
                 declarations: tuple[Declaration, ...] = (), tree_label: str = "working tree",
                 config_table: Any = None, packages: tuple[str, ...] = ()) -> None:
        self._set(name, name_source, version, version_source, dynamic, vcs_tool, declarations, tree_label,
                  config_table, packages)

    @property
    def normalized_name(self) -> str | None:
        from packaging.utils import canonicalize_name  # packaging.utils costs 10 ms to import

        return canonicalize_name(self.name) if self.name else None

    @property
    def vcs_derived(self) -> bool:
        return self.dynamic == VCS
