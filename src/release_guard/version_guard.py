"""check-version: gather the project's version facts (git, files), run the pure version
checks, render the findings. (`version` is in version_report.py.)"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from release_guard import config as config_mod
from release_guard import git, monorepo, states
from release_guard.checks import version as vchecks
from release_guard.errors import ConfigError, GitError, ProjectError, ReleaseGuardError
from release_guard.findings import Finding
from release_guard.output import emit
from release_guard.project import Declaration, ProjectInfo, Source, read_project, read_version_file
from release_guard.record import Record
from release_guard.tree import GitTree, Tree, WorkTree, shown_path, work_tree

if TYPE_CHECKING:
    import argparse

    from packaging.version import Version


class State(Record):
    """Which state of the project to read, and what it is compared with."""

    _fields = ("kind", "rev", "base", "compare_base", "name")
    __slots__ = _fields
    kind: str  # "staged", "worktree" or "rev"
    rev: str  # the commit, for kind "rev"
    base: str | None  # --base, or the remote's old commit at the pre-push stage
    compare_base: bool  # RG107: only for --base; a push checks its range with RG106
    name: str  # how messages name the commit of kind "rev": `--ref main`, not a hash

    def __init__(self, kind: str, rev: str = "", base: str | None = None, compare_base: bool = True,
                 name: str = "") -> None:
        self._set(kind, rev, base, compare_base, name)


_NO_COMMITS_HINT = "make a first commit (git commit), or read the files on disk with --worktree"


def _where(source: Source | None, project_dir: str) -> str:
    if source is None:
        return "(not declared)"
    shown = Source(shown_path(project_dir, source.path), source.line, source.detail)
    return str(shown)


def _state(args: argparse.Namespace, repo: git.Repo) -> State:
    environ = os.environ
    if args.worktree:
        return State("worktree", base=args.base)
    if args.staged:
        return State("staged", base=args.base)
    if args.ref is not None:
        git.require_commits(repo, hint=_NO_COMMITS_HINT)
        return State("rev", git.resolve_commit(repo, args.ref), args.base, name=f"--ref {args.ref}")
    to_ref, from_ref = environ.get("PRE_COMMIT_TO_REF"), environ.get("PRE_COMMIT_FROM_REF")
    if to_ref and from_ref:  # pre-commit's pre-push stage: the pushed range
        sha = git.resolve_commit(repo, to_ref)
        pushed = environ.get("PRE_COMMIT_LOCAL_BRANCH", "").removeprefix("refs/heads/")
        name = f"the pushed {pushed} (commit {states.short(sha)})" if pushed else \
            f"the pushed commit {states.short(sha)}"
        if args.base:
            return State("rev", sha, args.base, name=name)
        base = from_ref if from_ref.strip("0") else None
        return State("rev", sha, base, compare_base=False, name=name)
    if environ.get("PRE_COMMIT_REMOTE_NAME"):
        git.require_commits(repo)
        # A push that brings the root commit: pre-commit sets no FROM/TO ref, only the pushed ref.
        pushed_ref = environ.get("PRE_COMMIT_LOCAL_BRANCH", "")
        if pushed_ref.startswith(("refs/heads/", "refs/tags/")):
            sha = git.resolve_commit(repo, pushed_ref)
            shown = pushed_ref.removeprefix("refs/heads/")
            return State("rev", sha, args.base, name=f"the pushed {shown} (commit {states.short(sha)})")
        sha = git.resolve_commit(repo, "HEAD")
        return State("rev", sha, args.base, name=f"HEAD (commit {states.short(sha)})")
    return State("staged", base=args.base)


def _project_paths(repo: git.Repo, paths: list[str]) -> list[str]:
    """Repository-relative paths inside the project, made project-relative."""
    return [p[len(repo.prefix):] for p in paths if p.startswith(repo.prefix)]


def _declarations(info: ProjectInfo, tree: Tree, version_files: Sequence[str],
                  project_dir: str) -> list[tuple[str, str, int | None]]:
    declared = list(info.declarations)
    in_state = f"at {tree.name}" if isinstance(tree, states.NamedTree) else f"in the {tree.label}"
    for path in version_files:
        if tree.read_bytes(path) is None:
            raise ConfigError(
                f"{shown_path(project_dir, path)}: listed in version-files but not {in_state}",
                hint="fix the path in version-files ([tool.release-guard]) or --version-file")
        declared.append(read_version_file(tree, path) or Declaration("", Source(path, None)))
    return [(d.version, shown_path(project_dir, d.source.path), d.source.line) for d in declared]


def _base_version(repo: git.Repo, tree: GitTree | None, base_sha: str, allow_backend: bool) -> str | None:
    base_tree = tree.at(base_sha) if tree is not None else GitTree(repo, base_sha)
    try:
        return read_project(base_tree, allow_backend=allow_backend).version
    except ProjectError:
        return None  # the project did not exist (or was unreadable) at the base


class _GitFacts:
    """The git facts check-version needs: the tags (listed by open_repo_and_tags), the
    changed files (a git process started before the project files are parsed), and the
    one `cat-file --batch` process that every tree of the run reads through.

    Two questions about tags are asked only when the answer can matter. Which commit a tag
    names (RG106) is read, through cat-file, only for a tag whose version equals the
    project's: RG106 looks for no other. Which tags are reachable from the commit (RG105)
    is asked of git only when some tag names a greater version: it walks the history (a
    process and 4 ms of CPU on 500 commits), and when no tag is greater RG105 holds
    whatever the answer (the message names the newest reachable tag: the same process
    then). A shallow clone needs that answer for RG109, so it is asked at once.
    """

    __slots__ = ("_commits", "_head", "_repo", "_versions", "base_commit", "changed", "reachable_tags",
                 "reader", "since", "tags")

    def __init__(self, repo: git.Repo, head: str, tags: list[str], changed: git.Background,
                 since: str | None, base_commit: str | None) -> None:
        self._repo, self._head = repo, head
        self.tags = tags  # every tag's name (none before the first commit)
        self.reader = git.BlobReader(repo.top)  # started on the first read
        self.reachable_tags = git.start_reachable_tags(repo, head) if tags and repo.shallow else None
        self.changed = changed
        self.since = since  # the merge-base with the base: release files changed since then
        self.base_commit = base_commit  # the base itself, whose version RG107 compares with
        self._commits: dict[str, str | None] = {}
        self._versions: dict[tuple[str, str | None], dict[str, Version]] = {}

    @classmethod
    def start(cls, repo: git.Repo, tags: list[str], state: State) -> _GitFacts:
        head = state.rev or "HEAD"
        base_commit = _resolve_base(repo, state.base) if state.base else None
        since = None
        if base_commit and state.base:
            base_name = f"--base {state.base}" if state.compare_base else \
                f"the remote's commit {states.short(base_commit)}"
            since = git.merge_base(repo, base_commit, head, (base_name, state.name or "HEAD"))
        changed = git.start_changed_files(repo, state.rev or state.kind, since)
        return cls(repo, head, tags if repo.has_commits else [], changed, since, base_commit)

    def tag_commit(self, tag: str) -> str | None:
        """The commit `tag` names (an annotated tag's target), read once through cat-file."""
        if tag not in self._commits:
            self._commits[tag] = self.reader.tag_target(tag)
        return self._commits[tag]

    def tag_versions(self, tag_format: str, name: str | None) -> dict[str, Version]:
        """{tag: version} for every release tag of the project (see vchecks.tag_versions)."""
        key = (tag_format, name)
        if key not in self._versions:
            self._versions[key] = vchecks.tag_versions(self.tags, tag_format, name)
        return self._versions[key]

    def reachable(self) -> list[str]:
        """The tags reachable from the commit (a git process, started on the first call)."""
        if not self.tags:
            return []
        if self.reachable_tags is None:
            self.reachable_tags = git.start_reachable_tags(self._repo, self._head)
        return self.reachable_tags.output().split()

    def reachable_versions(self, version: str, tag_format: str, name: str | None) -> dict[str, Version]:
        """What RG105 compares `version` with: the release tags reachable from the commit, or
        {} when no tag at all names a greater version (RG105 holds then either way)."""
        current = vchecks.parse(version)
        every = self.tag_versions(tag_format, name)
        if current is None or all(tag_version <= current for tag_version in every.values()):
            return {}
        return vchecks.tag_versions(self.reachable(), tag_format, name)

    def wait(self) -> None:
        """Reap every process, whether or not its output was read."""
        for proc in (self.reachable_tags, self.changed):
            if proc is not None:
                proc.wait()
        self.reader.close()


def _resolve_base(repo: git.Repo, base: str) -> str:
    sha = git.rev_parse(repo, base) if base.strip() else None
    if sha is None and repo.shallow:  # actions/checkout fetches the one ref it checks out
        remote, _, branch = base.partition("/")
        fetch = (f"git fetch --unshallow {remote} {branch}:refs/remotes/{remote}/{branch}" if branch
                 else "git fetch --tags --unshallow")
        raise GitError(f"{base!r} is not a commit in this shallow clone ({repo.top})",
                       hint=f"fetch it and the history: {fetch} (GitHub Actions: actions/checkout with "
                       "fetch-depth: 0)")
    return sha or git.resolve_commit(repo, base)


def _open(args: argparse.Namespace) -> tuple[git.Repo | None, list[str]]:
    """The repository and its tags; None for --worktree outside any (the checks that need no
    git still run)."""
    try:
        return git.open_repo_and_tags(args.project)
    except git.NoRepository:
        if args.worktree and not args.base:
            return None, []
        raise


def _tree(project_dir: str, repo: git.Repo | None, state: State, started: _GitFacts | None) -> Tree:
    if state.kind == "worktree" or repo is None:
        return work_tree(project_dir)
    reader = started.reader if started is not None else None  # one cat-file process for every tree
    if state.kind == "staged":
        return GitTree(repo, "", reader)
    return states.NamedTree(repo, state.rev, state.name, states.display_prefix(project_dir), reader)


def _explain(exc: ProjectError, tree: Tree, project_dir: str, repo: git.Repo | None,
             state: State) -> ReleaseGuardError:
    """A better error than "no pyproject.toml" when files are unmerged or the state is named."""
    if repo is not None and state.kind != "rev":
        conflict = states.unmerged(repo, project_dir)
        if conflict is not None:
            return conflict
    return states.missing_project(tree, project_dir) or exc


def _ok_line(info: ProjectInfo, project_dir: str) -> str:
    if info.version is None:
        return f"release-guard: the version comes from VCS tags ({info.vcs_tool}): nothing to check"
    return f"release-guard: version {info.version} ok ({_where(info.version_source, project_dir)})"


def _repository_findings(repo: git.Repo | None, started: _GitFacts | None) -> list[Finding]:
    """What the repository itself keeps from being checked: no git at all, or a shallow
    clone with no tag reachable (the probe costs nothing: open_repo asked git already)."""
    if repo is None or started is None:
        return [vchecks.no_repository()]
    if repo.shallow and not started.reachable():
        return [vchecks.shallow_clone(git.SHALLOW_HINT)]
    return []


def cmd_check_version(args: argparse.Namespace) -> int:
    repo, tags = _open(args)
    state = _state(args, repo) if repo is not None else State("worktree")
    started = _GitFacts.start(repo, tags, state) if repo is not None else None
    try:
        tree = _tree(args.project, repo, state, started)
        where = shown_path(args.project, "pyproject.toml")
        try:
            table = monorepo.root_table(tree, where)
            if table is None:
                info = read_project(tree, allow_backend=config_mod.backend_allowed(args, os.environ))
        except ProjectError as exc:
            raise _explain(exc, tree, args.project, repo, state) from None
        if table is not None:
            return _check_projects(args, repo, state, started, table, where)
        cfg = config_mod.load(info.config_table, os.environ, config_mod.flag_overrides(args), where)
        findings = _repository_findings(repo, started)
        findings += check_version_findings(args.project, args.version_files, repo, state, tree, info,
                                           cfg, started)
    finally:
        if started is not None:
            started.wait()
    return emit(findings, args.format, os.environ, _ok_line(info, args.project), cfg.ignore)


def _check_projects(args: argparse.Namespace, repo: git.Repo | None, state: State,
                    started: _GitFacts | None, table: Mapping[str, Any], where: str) -> int:
    """A monorepo root: check-version over each listed project, each with its own config."""
    root_cfg = config_mod.load(table, os.environ, config_mod.flag_overrides(args), where)
    findings = _repository_findings(repo, started)
    ok_lines = []
    for entry in root_cfg.projects:
        rel = monorepo.entry_path(entry, where)
        project_dir = os.path.normpath(os.path.join(args.project, rel))
        sub_repo = repo._replace(prefix=repo.prefix + rel + "/") if repo and rel != "." else repo
        tree = _tree(project_dir, sub_repo, state, started)
        if isinstance(tree, WorkTree):
            monorepo.require_inside(args.project, entry, where)
        in_state = f"at {tree.name}" if isinstance(tree, states.NamedTree) else f"in the {tree.label}"
        monorepo.require_project(tree, entry, where, in_state)
        try:
            info = read_project(tree, allow_backend=config_mod.backend_allowed(args, os.environ))
        except ProjectError as exc:
            raise _explain(exc, tree, project_dir, sub_repo, state) from None
        cfg = config_mod.load(monorepo.inherit(table, info.config_table), os.environ,
                              config_mod.flag_overrides(args), shown_path(project_dir, "pyproject.toml"))
        found = check_version_findings(project_dir, args.version_files, sub_repo, state, tree, info,
                                       cfg, started)
        findings += [f for f in found if f.code not in cfg.ignore]
        ok_lines.append(_ok_line(info, project_dir))
    return emit(findings, args.format, os.environ, "\n".join(ok_lines), root_cfg.ignore)


def check_version_findings(project_dir: str, extra_version_files: Sequence[str] | None,
                           repo: git.Repo | None, state: State, tree: Tree, info: ProjectInfo,
                           cfg: config_mod.Config, started: _GitFacts | None) -> list[Finding]:
    assert info.version_source is not None
    where = shown_path(project_dir, info.version_source.path)
    line = info.version_source.line
    if info.version is None:
        return [vchecks.vcs_info(info.vcs_tool or "a VCS plugin", where)]
    version = info.version
    findings = vchecks.validity(version, where, line)
    version_files = [*cfg.version_files, *(extra_version_files or [])]  # the flag adds to the file
    findings += vchecks.consistency(_declarations(info, tree, version_files, project_dir))
    if repo is None or started is None:
        return findings  # outside git: validity and consistency only (RG110 says so)
    findings += vchecks.not_lower_than_tags(
        version, started.reachable_versions(version, cfg.tag_format, info.name), where, line)
    since = started.since
    changed: list[str] = []
    if cfg.bump_policy == "on-change" or since:
        changed = _release_changes(project_dir, repo, info, cfg, started.changed.output())
    if cfg.bump_policy == "on-change":
        findings += _bumped(project_dir, repo, state, info, cfg, started, changed, where, line)
    if started.base_commit and state.base and state.compare_base:
        base_version = _base_version(repo, tree if isinstance(tree, GitTree) else None,
                                     started.base_commit, cfg.allow_backend)
        findings += vchecks.greater_than_base(version, base_version, state.base, changed,
                                              where, line)
    return findings


def _release_changes(project_dir: str, repo: git.Repo, info: ProjectInfo, cfg: config_mod.Config,
                     diff_output: str) -> list[str]:
    matched = vchecks.matching_files(_project_paths(repo, git.paths(diff_output)),
                                     cfg.release_files or vchecks.default_release_files(info.packages),
                                     cfg.ignore_files)
    return [shown_path(project_dir, p) for p in matched]


def _bumped(project_dir: str, repo: git.Repo, state: State, info: ProjectInfo, cfg: config_mod.Config,
            started: _GitFacts, changed: list[str], where: str, line: int | None) -> list[Finding]:
    """RG106. A tag on the commit being checked is that commit's own release: for --ref
    (and a push) it is no earlier release at all; for the staged files or the working tree,
    which build on HEAD, a tag on HEAD is released, but only what changed since HEAD (not
    what --base's range brought) comes after it."""
    assert info.version is not None
    own = state.rev or repo.head
    current = vchecks.parse(info.version)
    # RG106 looks only for a tag of the project's very version: the others need no commit
    same = {t: v for t, v in started.tag_versions(cfg.tag_format, info.name).items() if v == current}
    earlier = {t: v for t, v in same.items() if started.tag_commit(t) != own}
    findings = vchecks.bumped_since_release(info.version, earlier, changed, where, line)
    if findings or state.rev or not own:
        return findings
    at_head = {t: v for t, v in same.items() if started.tag_commit(t) == own}
    if started.since is not None and at_head:
        since_head = git.start_changed_files(repo, state.kind).output()  # only in this rare case
        changed = _release_changes(project_dir, repo, info, cfg, since_head)
    return vchecks.bumped_since_release(info.version, at_head, changed, where, line)


def release_findings(project_dir: str, info: ProjectInfo, cfg: config_mod.Config) -> list[Finding]:
    """check-version on the working tree, as `release` runs it: outside git, validity and
    consistency only."""
    try:
        repo, tags = git.open_repo_and_tags(project_dir)
    except git.NoRepository:
        return check_version_findings(project_dir, None, None, State("worktree"), work_tree(project_dir),
                                      info, cfg, None)
    state = State("worktree")
    started = _GitFacts.start(repo, tags, state)
    try:
        return _repository_findings(repo, started) + check_version_findings(
            project_dir, None, repo, state, work_tree(project_dir), info, cfg, started)
    finally:
        started.wait()
