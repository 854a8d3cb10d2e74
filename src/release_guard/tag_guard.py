"""check-tag and pre-push: gather each pushed tag's facts (git, files, index), then check.

Tags come from the command line, from pre-commit's pre-push environment, from git's
pre-push protocol on stdin, or (with none of those) from the tags that point at HEAD.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from packaging.utils import canonicalize_name
from packaging.version import Version

from release_guard import config as config_mod
from release_guard import git, monorepo, states
from release_guard.checks import tags as tchecks
from release_guard.checks.version import same_name, tag_parts, tag_readings
from release_guard.errors import GitError, HookError, IndexError_, ProjectError
from release_guard.findings import Finding
from release_guard.output import emit
from release_guard.project import ProjectInfo, parse_toml, read_project
from release_guard.tree import WorkTree, read_text

if TYPE_CHECKING:
    pass

Reading = tuple[str | None, str, Version]  # (the tag's name part, its version text, its version)


@dataclass(frozen=True)
class TagRequest:
    """A tag to check and, when git told us, the object it points at."""

    tag: str
    sha: str | None = None


def requests_from_environ(environ: Mapping[str, str]) -> list[TagRequest] | None:
    """The tag pre-commit shows at the pre-push stage; None when not at that stage."""
    if not environ.get("PRE_COMMIT_REMOTE_NAME"):
        return None
    for var in ("PRE_COMMIT_REMOTE_BRANCH", "PRE_COMMIT_LOCAL_BRANCH"):
        ref = environ.get(var, "")
        if ref.startswith("refs/tags/"):
            return [TagRequest(ref[len("refs/tags/"):], environ.get("PRE_COMMIT_TO_REF") or None)]
    return []


def load_config(project_dir: str, args: argparse.Namespace) -> config_mod.Config:
    tree = WorkTree(project_dir)
    text = read_text(tree, "pyproject.toml")
    table = None
    if text is not None:
        tool = parse_toml(text, tree.describe("pyproject.toml")).get("tool")
        table = tool.get("release-guard") if isinstance(tool, dict) else None
    where = os.path.join(project_dir, "pyproject.toml") if project_dir != "." else "pyproject.toml"
    return config_mod.load(table, os.environ, config_mod.flag_overrides(args), where)


class _Projects:
    """Each project read once per commit, through one `git cat-file` process.

    A listed project must exist in the working tree (where the config was read from); at
    a tagged commit a project may not exist yet (skipped), but one that exists and cannot
    be read is an error unless another project claims the tag.
    """

    def __init__(self, repo: git.Repo, cfg: config_mod.Config, project_dir: str) -> None:
        self.reader = git.BlobReader(repo.top)
        self.project_dir = project_dir
        where = os.path.join(project_dir, "pyproject.toml") if project_dir != "." else "pyproject.toml"
        self.candidates = [(repo._replace(prefix=repo.prefix + rel + "/") if rel != "." else repo, rel)
                           for rel in (_listed(project_dir, entry, where) for entry in cfg.projects)]
        self.listed = bool(self.candidates)
        self.candidates = self.candidates or [(repo, ".")]
        self._seen: dict[tuple[str, str], ProjectInfo | ProjectError | None] = {}
        self.allow_backend = cfg.allow_backend  # --backend, RELEASE_GUARD_ALLOW_BACKEND or the file

    def info(self, candidate: git.Repo, rel: str, sha: str, name: str) -> ProjectInfo | ProjectError | None:
        """The project at `sha`; None when a listed project does not exist there."""
        key = (candidate.prefix, sha)
        if key not in self._seen:
            folder = os.path.normpath(os.path.join(self.project_dir, rel))
            tree = states.NamedTree(candidate, sha, name, states.display_prefix(folder), self.reader)
            try:
                self._seen[key] = read_project(tree, allow_backend=self.allow_backend)
            except ProjectError as exc:
                missing = states.missing_project(tree, folder)
                self._seen[key] = None if missing and self.listed else (missing or exc)
        return self._seen[key]

    def choose(self, readings: Sequence[Reading], sha: str,
               name: str) -> tuple[str, ProjectInfo, Reading] | None:
        """The project a tag belongs to (its folder, what it declares, the tag's reading):
        by the tag's name part when the format has `{name}`."""
        error = None
        for candidate, rel in self.candidates:
            info = self.info(candidate, rel, sha, name)
            if isinstance(info, ProjectError):
                error = error or info
                continue
            if info is None:
                continue  # a listed project that did not exist at this commit
            for reading in readings:
                if reading[0] is None or (info.name and same_name(reading[0], info.name)):
                    return rel, info, reading
        if error is not None:
            raise error  # a project that cannot be read may be the one the tag names
        return None


def _listed(project_dir: str, entry: str, where: str) -> str:
    """A `projects` entry, checked in the working tree: inside the root, holding a project."""
    rel = monorepo.entry_path(entry, where)
    monorepo.require_inside(project_dir, entry, where)
    folder = os.path.normpath(os.path.join(project_dir, rel))
    monorepo.require_project(WorkTree(folder), entry, where, "in the working tree")
    return rel


def _commits(repo: git.Repo, requests: Sequence[TagRequest]) -> list[tuple[str, str, Finding | None]]:
    """Each request's commit and how to name it (one git process for all); a tag not made
    yet means HEAD."""
    revs = [r.sha if r.sha and r.sha.strip("0") else f"refs/tags/{r.tag}" for r in requests]
    peeled = git.peel_commits(repo, [*revs, "HEAD"])
    found: list[tuple[str, str, Finding | None]] = []
    for request, rev in zip(requests, revs, strict=True):
        sha = peeled[rev]
        if sha is not None:
            found.append((sha, states.tag_name(request.tag, sha), None))
        elif rev != f"refs/tags/{request.tag}":
            raise GitError(f"{rev!r} (pushed as {request.tag}) is not a commit in {repo.top}",
                           hint="fetch or create it, then push again")
        else:
            note = Finding("RG205", f"tag {request.tag} does not exist yet: checked the project at HEAD",
                           hint=f"create it with `git tag {request.tag}` once this passes", severity="info")
            head = git.resolve_commit(repo, "HEAD") if peeled["HEAD"] is None else peeled["HEAD"]
            found.append((head, f"HEAD (commit {states.short(head)}, for tag {request.tag})", note))
    return found


@dataclass(frozen=True)
class _Pending:
    facts: tchecks.TagFacts
    name: str | None
    index: int  # the request's place: findings are counted per tag


Notes = list[tuple[int, Finding]]  # findings about one request (by its place) before the index


def gather(repo: git.Repo, cfg: config_mod.Config, requests: Sequence[TagRequest],
           project_dir: str) -> tuple[list[_Pending], Notes]:
    pending: list[_Pending] = []
    notes: Notes = []
    projects = _Projects(repo, cfg, project_dir)
    matching = []
    for i, request in enumerate(requests):
        readings = tag_readings(request.tag, cfg.tag_format)
        if readings:
            matching.append((i, request, readings))
        else:
            parts = tag_parts(request.tag, cfg.tag_format)
            notes.append((i, tchecks.unmatched(request.tag, cfg.tag_format, parts)))
    commits = _commits(repo, [r for _, r, _ in matching])
    try:
        _gather_each(projects, matching, commits, project_dir, repo, cfg, pending, notes)
    finally:
        projects.reader.close()
    return pending, notes


def _gather_each(projects: _Projects, matching: Sequence[tuple[int, TagRequest, list[Reading]]],
                 commits: Sequence[tuple[str, str, Finding | None]], project_dir: str, repo: git.Repo,
                 cfg: config_mod.Config, pending: list[_Pending], notes: Notes) -> None:
    for (i, request, readings), (sha, name, note) in zip(matching, commits, strict=True):
        notes += [(i, note)] if note else []
        chosen = projects.choose(readings, sha, name)
        if chosen is None:
            notes.append((i, tchecks.other_project(request.tag)))
            continue
        rel, info, (name_part, text, tag_version) = chosen
        if not (info.name or name_part):
            raise ProjectError(
                f"tag {request.tag}: the project at {name} declares no name that release-guard can "
                "read, so the index cannot be asked",
                hint='declare it in pyproject.toml ([project] name = "...") or setup.cfg [metadata]')
        notes += [(i, f) for f in tchecks.tag_version(request.tag, text, cfg.tag_format, name_part)]
        source = info.version_source
        path = source.path if source else "pyproject.toml"
        where = os.path.normpath(os.path.join(project_dir, rel, path))
        line = source.line if source and info.version else None
        facts = tchecks.TagFacts(request.tag, tag_version, info.name, info.version, where, line)
        pending.append(_Pending(facts, info.name or name_part, i))


def _index_facts(pending: Sequence[_Pending], cfg: config_mod.Config, args: argparse.Namespace,
                 findings: list[Finding]) -> dict[str, tchecks.IndexFacts]:
    """Every project's page, all read within one deadline of `cfg.timeout` seconds.

    Credentials go only to a target the user chose: never to a repository URL or an
    index-url that the project's own pyproject.toml names.
    """
    from release_guard import index

    repository, repository_from_project = _repository(cfg, args)
    index_url_from_project = bool(cfg.index_url) and not (
        getattr(args, "index_url", None) or "RELEASE_GUARD_INDEX_URL" in os.environ)
    target = index.resolve_repository(repository, getattr(args, "repository_url", None),
                                      getattr(args, "config_file", None), cfg.index_url,
                                      repository_from_project=repository_from_project,
                                      index_url_from_project=index_url_from_project)
    names = sorted({canonicalize_name(p.name) for p in pending if p.name})
    timeouts = index.Timeouts(connect=min(5.0, cfg.timeout), read=min(10.0, cfg.timeout))
    with index.Deadline(cfg.timeout, notify=_waiting) as deadline:
        pages = index.fetch_each(target, names, timeouts=timeouts, deadline=deadline, max_workers=32)
    failed = [page for page in pages.values() if isinstance(page, IndexError_)]
    if failed:
        forgiven = _allow_offline(args)  # an unreachable page only; the pages read still count
        blocking = [exc for exc in failed if not (forgiven and exc.unreachable)]
        if blocking:
            raise blocking[0]
        findings.append(tchecks.offline(failed[0].message))
    facts = {}
    for name, page in pages.items():
        if not isinstance(page, IndexError_):
            facts[str(name)] = tchecks.IndexFacts(target.display_url(), page.exists, page.versions,
                                                  tchecks.yanked_versions(page.files))
    return facts


def _waiting(url: str, seconds_left: int) -> None:
    """The one line a slow read earns, so that a waiting `git push` does not look frozen."""
    sys.stderr.write(f"release-guard: waiting for {url} (up to {seconds_left} s more; "
                     "--timeout / RELEASE_GUARD_TIMEOUT)\n")
    sys.stderr.flush()


def _repository(cfg: config_mod.Config, args: argparse.Namespace) -> tuple[str | None, bool]:
    """(repository, whether the project's pyproject.toml chose it): flags, then
    RELEASE_GUARD_REPOSITORY, then twine's own TWINE_REPOSITORY(_URL), then the file's
    `repository` key (or the default, pypi): the environment beats the file."""
    explicit = getattr(args, "repository", None) or os.environ.get("RELEASE_GUARD_REPOSITORY")
    if explicit:
        return str(explicit), False
    if os.environ.get("TWINE_REPOSITORY") or os.environ.get("TWINE_REPOSITORY_URL"):
        return None, False  # resolve_repository reads them as twine does
    from_project = cfg.repository != config_mod.Config().repository
    return cfg.repository, from_project and not getattr(args, "repository_url", None)


def _allow_offline(args: argparse.Namespace) -> bool:
    """--allow-offline, or RELEASE_GUARD_ALLOW_OFFLINE=1 for the hook, which takes no flags.
    It forgives only an index that cannot be reached (`IndexError_.unreachable`)."""
    from_env = os.environ.get("RELEASE_GUARD_ALLOW_OFFLINE", "").strip().lower()
    return bool(args.allow_offline) or from_env in ("1", "true", "yes", "on")


def _skipped_by_user(environ: Mapping[str, str]) -> bool:
    """pre-commit's convention: SKIP=pypi-tag-guard git push ... (also for the native hook)."""
    return "pypi-tag-guard" in [s.strip() for s in environ.get("SKIP", "").split(",")]


def check(project_dir: str, requests: Sequence[TagRequest], args: argparse.Namespace) -> int:
    if _skipped_by_user(os.environ):
        sys.stdout.write("release-guard: pypi-tag-guard skipped (SKIP=pypi-tag-guard)\n")
        return 0
    repo = git.open_repo(project_dir)
    git.require_commits(repo)
    cfg = load_config(project_dir, args)
    pending, notes = gather(repo, cfg, requests, project_dir)
    findings = [f for _, f in notes]
    by_tag: list[list[Finding]] = [[] for _ in requests]
    for i, finding in notes:
        by_tag[i].append(finding)
    if not pending:
        if not any(f.severity == "error" and f.code not in cfg.ignore for f in findings):
            findings.append(tchecks.nothing_to_check())
        return emit(findings, args.format, os.environ, ignore=cfg.ignore,
                    summary=_summary(by_tag, set(), cfg.ignore))
    pages = _index_facts(pending, cfg, args, findings)
    passed = []
    for item in pending:
        page = pages.get(canonicalize_name(item.name)) if item.name else None
        found = tchecks.matches_project(item.facts)
        found += tchecks.not_on_index(item.facts, page, cfg.allow_older) if page is not None else []
        findings += found
        by_tag[item.index] += found
        passed.append((item.facts.tag, item.name, page))
    ok = tchecks.passed_line(passed)
    return emit(findings, args.format, os.environ, ok, cfg.ignore,
                summary=_summary(by_tag, {p.index for p in pending}, cfg.ignore))


def _summary(by_tag: Sequence[Sequence[Finding]], checked: set[int], ignore: Sequence[str]) -> str:
    """After more than one tag: how many were blocked, passed, or not checked (C15)."""
    if len(by_tag) < 2:
        return ""
    blocked = [any(f.severity == "error" and f.code not in ignore for f in found) for found in by_tag]
    passed = sum(1 for i, is_blocked in enumerate(blocked) if i in checked and not is_blocked)
    return tchecks.summary(len(by_tag), sum(blocked), passed)


def cmd_check_tag(args: argparse.Namespace) -> int:
    tags = [t[len("refs/tags/"):] if t.startswith("refs/tags/") else t for t in args.tags if t]
    if tags:
        requests = [TagRequest(t) for t in tags]
    else:
        from_env = requests_from_environ(os.environ)
        if from_env is None:
            repo = git.open_repo(args.project)
            git.require_commits(repo)
            at_head = git.run(["tag", "--points-at", "HEAD"], repo.top).stdout.split()
            requests = [TagRequest(t) for t in at_head]
        else:
            requests = from_env
    return check(args.project, requests, args)


def cmd_pre_push(args: argparse.Namespace) -> int:
    from release_guard.hook import parse_pre_push

    refs = parse_pre_push(sys.stdin.read().splitlines())
    requests = [TagRequest(r.tag, r.local_sha) for r in refs if r.tag is not None]
    if not requests:
        return 0  # branches and deletions are not ours to judge
    return check(args.project, requests, args)


def cmd_install_hook(args: argparse.Namespace) -> int:
    from release_guard import hook

    try:
        if args.uninstall:
            message = hook.uninstall(args.project, force=args.force)
        elif args.config:
            message = hook.install_config(args.project)
        else:
            message = hook.install(args.project, force=args.force)
    except OSError as exc:  # core.hooksPath at a file, a read-only folder, ...
        raise HookError(f"{exc.filename or 'the hooks folder'}: {exc.strerror or exc}",
                        hint="check core.hooksPath (git config core.hooksPath) and the folder's "
                        "permissions") from None
    sys.stdout.write(f"release-guard: {message}\n")
    return 0

