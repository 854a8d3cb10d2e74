"""version and check-version: gather the project's version facts (git, files), run the pure
version checks, render the findings."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import NamedTuple

from release_guard import config as config_mod
from release_guard import git
from release_guard.checks import version as vchecks
from release_guard.errors import ConfigError, ProjectError
from release_guard.findings import Finding
from release_guard.output import emit, printable
from release_guard.project import Declaration, ProjectInfo, Source, read_project, read_version_file
from release_guard.tree import GitTree, Tree, WorkTree


class State(NamedTuple):
    """Which state of the project to read, and what it is compared with."""

    kind: str  # "staged", "worktree" or "rev"
    rev: str = ""  # the commit, for kind "rev"
    base: str | None = None  # --base, or the remote's old commit at the pre-push stage
    compare_base: bool = True  # RG107: only for --base; a push checks its range with RG106


def _display(project_dir: str, path: str) -> str:
    return os.path.normpath(os.path.join(project_dir, path)) if project_dir != "." else path


_NO_COMMITS_HINT = "make a first commit (git commit), or read the files on disk with --worktree"


def _work_tree(project_dir: str) -> WorkTree:
    prefix = "" if project_dir == "." else os.path.normpath(project_dir) + "/"
    return WorkTree(project_dir, prefix)


def _tree_for(args: argparse.Namespace) -> tuple[Tree, git.Repo | None]:
    """The tree `version` reads: the working tree unless --ref or --staged."""
    if args.ref is None and not args.staged:
        if not os.path.isdir(args.project):
            raise ProjectError(f"{args.project}: no such directory",
                               hint="pass the project's directory with --project DIR")
        return _work_tree(args.project), None
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
    return {"path": _display(project_dir, source.path), "line": source.line, "detail": source.detail}


def _where(source: Source | None, project_dir: str) -> str:
    if source is None:
        return "(not declared)"
    shown = Source(_display(project_dir, source.path), source.line, source.detail)
    return str(shown)


def cmd_version(args: argparse.Namespace) -> int:
    tree, _ = _tree_for(args)
    info = read_project(tree, allow_backend=bool(args.allow_backend)
                        or bool(config_mod.from_environ(os.environ).get("allow_backend")))
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
    sys.stdout.write(printable("\n".join(lines)) + "\n")
    return 0


def _state(args: argparse.Namespace, repo: git.Repo) -> State:
    environ = os.environ
    if args.worktree:
        return State("worktree", base=args.base)
    if args.staged:
        return State("staged", base=args.base)
    if args.ref is not None:
        git.require_commits(repo, hint=_NO_COMMITS_HINT)
        return State("rev", git.resolve_commit(repo, args.ref), args.base)
    to_ref, from_ref = environ.get("PRE_COMMIT_TO_REF"), environ.get("PRE_COMMIT_FROM_REF")
    if to_ref and from_ref:  # pre-commit's pre-push stage: the pushed range
        if args.base:
            return State("rev", git.resolve_commit(repo, to_ref), args.base)
        base = from_ref if from_ref.strip("0") else None
        return State("rev", git.resolve_commit(repo, to_ref), base, compare_base=False)
    if environ.get("PRE_COMMIT_REMOTE_NAME"):
        git.require_commits(repo)
        return State("rev", git.resolve_commit(repo, "HEAD"), args.base)
    return State("staged", base=args.base)


def _project_paths(repo: git.Repo, paths: list[str]) -> list[str]:
    """Repository-relative paths inside the project, made project-relative."""
    return [p[len(repo.prefix):] for p in paths if p.startswith(repo.prefix)]


def _declarations(info: ProjectInfo, tree: Tree, version_files: Sequence[str],
                  project_dir: str) -> list[tuple[str, str, int | None]]:
    declared = list(info.declarations)
    for path in version_files:
        if tree.read_bytes(path) is None:
            raise ConfigError(
                f"{_display(project_dir, path)}: listed in version-files but not in the {tree.label}",
                hint="fix the path in version-files ([tool.release-guard]) or --version-file")
        declared.append(read_version_file(tree, path) or Declaration("", Source(path, None)))
    return [(d.version, _display(project_dir, d.source.path), d.source.line) for d in declared]


def _base_version(repo: git.Repo, tree: GitTree | None, base_sha: str) -> str | None:
    base_tree = tree.at(base_sha) if tree is not None else GitTree(repo, base_sha)
    try:
        return read_project(base_tree, allow_backend=bool(config_mod.from_environ(os.environ).get(
            "allow_backend"))).version
    except ProjectError:
        return None  # the project did not exist (or was unreadable) at the base


class _GitFacts(NamedTuple):
    """The git calls check-version needs, started before the project files are parsed."""

    every_tag: git.Background | None
    reachable_tags: git.Background | None
    changed: git.Background
    since: str | None  # the merge-base with the base: release files changed since then
    base_commit: str | None  # the base itself, whose version RG107 compares with

    @classmethod
    def start(cls, repo: git.Repo, state: State) -> _GitFacts:
        head = state.rev or "HEAD"
        base_commit = git.resolve_commit(repo, state.base) if state.base else None
        since = git.merge_base(repo, base_commit, head) if base_commit else None
        every, reachable = git.start_tags(repo, head) if repo.has_commits else (None, None)
        changed = git.start_changed_files(repo, state.rev or state.kind, since)
        return cls(every, reachable, changed, since, base_commit)

    def wait(self) -> None:
        """Reap every process, whether or not its output was read."""
        for proc in (self.every_tag, self.reachable_tags, self.changed):
            if proc is not None:
                proc.wait()


def cmd_check_version(args: argparse.Namespace) -> int:
    repo = git.open_repo(args.project)
    state = _state(args, repo)
    started = _GitFacts.start(repo, state)
    tree: Tree
    if state.kind == "worktree":
        tree = _work_tree(args.project)
    else:
        tree = GitTree(repo, state.rev)
    try:
        info = read_project(tree, allow_backend=bool(args.allow_backend)
                            or bool(config_mod.from_environ(os.environ).get("allow_backend")))
        cfg = config_mod.load(info.config_table, os.environ, config_mod.flag_overrides(args),
                              _display(args.project, "pyproject.toml"))
        findings = check_version_findings(args, repo, state, tree, info, cfg, started)
    finally:
        started.wait()
    if info.version is None:
        ok = f"release-guard: the version comes from VCS tags ({info.vcs_tool}): nothing to check"
    else:
        ok = f"release-guard: version {info.version} ok ({_where(info.version_source, args.project)})"
    return emit(findings, args.format, os.environ, ok, cfg.ignore)


def check_version_findings(args: argparse.Namespace, repo: git.Repo, state: State, tree: Tree,
                           info: ProjectInfo, cfg: config_mod.Config, started: _GitFacts) -> list[Finding]:
    assert info.version_source is not None
    where = _display(args.project, info.version_source.path)
    line = info.version_source.line
    if info.version is None:
        return [vchecks.vcs_info(info.vcs_tool or "a VCS plugin", where)]
    version = info.version
    findings = vchecks.validity(version, where, line)
    version_files = [*cfg.version_files, *(args.version_files or [])]  # the flag adds to the file
    findings += vchecks.consistency(_declarations(info, tree, version_files, args.project))
    reachable = started.reachable_tags.output().split() if started.reachable_tags else []
    findings += vchecks.not_lower_than_tags(
        version, vchecks.tag_versions(reachable, cfg.tag_format, info.name), where, line)
    since = started.since
    changed: list[str] = []
    if cfg.bump_policy == "on-change" or since:
        matched = vchecks.matching_files(_project_paths(repo, git.paths(started.changed.output())),
                                         cfg.release_files or vchecks.default_release_files(info.packages),
                                         cfg.ignore_files)
        changed = [_display(args.project, p) for p in matched]
    if cfg.bump_policy == "on-change":
        all_tags = git.tag_commits(started.every_tag.output()) if started.every_tag else {}
        # a tag on the very commit being checked is that commit's own release, not an earlier one
        earlier = [t for t, commit in all_tags.items() if not state.rev or commit != state.rev]
        released = vchecks.tag_versions(earlier, cfg.tag_format, info.name)
        findings += vchecks.bumped_since_release(version, released, changed, where, line)
    if started.base_commit and state.base and state.compare_base:
        base_version = _base_version(repo, tree if isinstance(tree, GitTree) else None,
                                     started.base_commit)
        findings += vchecks.greater_than_base(version, base_version, state.base, changed,
                                              where, line)
    return findings
