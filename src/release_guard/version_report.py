"""`release-guard version`: the name and version every other command believes, and where
each was read from (text, or one JSON document)."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

from release_guard import config as config_mod
from release_guard import git
from release_guard.findings import visible
from release_guard.output import printable
from release_guard.project import ProjectInfo, Source, read_project
from release_guard.tree import GitTree, Tree, shown_path, work_tree
from release_guard.version_guard import _NO_COMMITS_HINT, _where

if TYPE_CHECKING:
    import argparse


def _tree_for(args: argparse.Namespace) -> tuple[Tree, git.Repo | None]:
    """The tree `version` reads: the working tree unless --ref or --staged."""
    if args.ref is None and not args.staged:
        return work_tree(args.project, require=True), None
    repo = git.open_repo(args.project)
    if args.staged:
        return GitTree(repo, ""), repo
    git.require_commits(repo, hint=_NO_COMMITS_HINT)
    return GitTree(repo, git.resolve_commit(repo, args.ref)), repo


def info_document(info: ProjectInfo, project_dir: str) -> dict[str, object]:
    source = info.version_source
    return {
        "name": info.name,
        "normalized_name": info.normalized_name,
        "name_source": _source_doc(info.name_source, project_dir),
        "version": info.version,
        "version_source": _source_doc(source, project_dir),
        "dynamic": info.dynamic,
        "vcs_tool": info.vcs_tool,
        "read_from": info.tree_label,
    }


def _source_doc(source: Source | None, project_dir: str) -> dict[str, object] | None:
    if source is None:
        return None
    return {"path": shown_path(project_dir, source.path), "line": source.line, "detail": source.detail}


def cmd_version(args: argparse.Namespace) -> int:
    tree, _ = _tree_for(args)
    info = read_project(tree, allow_backend=config_mod.backend_allowed(args, os.environ))
    if args.format == "json":
        import json

        sys.stdout.write(printable(json.dumps(info_document(info, args.project), indent=2)) + "\n")
        return 0
    version = info.version if info.version is not None else "(none: derived from VCS tags)"
    lines = [
        f"name:            {info.name or '(unknown)'}  {_where(info.name_source, args.project)}",
        f"normalized name: {info.normalized_name or '(unknown)'}",
        f"version:         {version}  {_where(info.version_source, args.project)}",
        f"read from:       {info.tree_label}",
    ]
    sys.stdout.write(printable("\n".join(map(visible, lines))) + "\n")
    return 0
