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
from release_guard import git
from release_guard.checks import tags as tchecks
from release_guard.checks.version import same_name, split_tags
from release_guard.errors import GitError, HookError, IndexError_, ProjectError
from release_guard.findings import Finding
from release_guard.output import emit
from release_guard.project import ProjectInfo, parse_toml, read_project
from release_guard.tree import GitTree, WorkTree, read_text

if TYPE_CHECKING:
    from release_guard.index import IndexFile

Reading = tuple[str | None, Version]  # (the tag's name part, its version)


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
    """Each project read once per commit, through one `git cat-file` process."""

    def __init__(self, repo: git.Repo, cfg: config_mod.Config) -> None:
        self.reader = git.BlobReader(repo.top)
        self.candidates = [repo._replace(prefix=repo.prefix + p.strip("/") + "/")
                           for p in cfg.projects] or [repo]
        self._seen: dict[tuple[str, str], ProjectInfo | ProjectError] = {}

    def info(self, candidate: git.Repo, sha: str) -> ProjectInfo | ProjectError:
        key = (candidate.prefix, sha)
        if key not in self._seen:
            try:
                self._seen[key] = read_project(GitTree(candidate, sha, self.reader))
            except ProjectError as exc:
                self._seen[key] = exc
        return self._seen[key]

    def choose(self, readings: Sequence[Reading], sha: str) -> tuple[git.Repo, ProjectInfo, Reading] | None:
        """The project a tag belongs to: by the tag's name part when the format has `{name}`."""
        for candidate in self.candidates:
            info = self.info(candidate, sha)
            if isinstance(info, ProjectError):
                if len(self.candidates) == 1:
                    raise info
                continue
            for reading in readings:
                if reading[0] is None or (info.name and same_name(reading[0], info.name)):
                    return candidate, info, reading
        return None


def _commits(repo: git.Repo, requests: Sequence[TagRequest]) -> list[tuple[str, Finding | None]]:
    """Each request's commit (one git process for all); a tag not made yet means HEAD."""
    revs = [r.sha if r.sha and r.sha.strip("0") else f"refs/tags/{r.tag}" for r in requests]
    peeled = git.peel_commits(repo, [*revs, "HEAD"])
    found: list[tuple[str, Finding | None]] = []
    for request, rev in zip(requests, revs, strict=True):
        sha = peeled[rev]
        if sha is not None:
            found.append((sha, None))
        elif rev != f"refs/tags/{request.tag}":
            raise GitError(f"{rev!r} (pushed as {request.tag}) is not a commit in {repo.top}",
                           hint="fetch or create it, then push again")
        else:
            note = Finding("RG205", f"tag {request.tag} does not exist yet: checked the project at HEAD",
                           hint=f"create it with `git tag {request.tag}` once this passes", severity="info")
            found.append((git.resolve_commit(repo, "HEAD") if peeled["HEAD"] is None else peeled["HEAD"],
                          note))
    return found


@dataclass(frozen=True)
class _Pending:
    facts: tchecks.TagFacts
    name: str | None


def gather(repo: git.Repo, cfg: config_mod.Config, requests: Sequence[TagRequest],
           project_dir: str) -> tuple[list[_Pending], list[Finding]]:
    pending: list[_Pending] = []
    notes: list[Finding] = []
    projects = _Projects(repo, cfg)
    matching = [(r, split_tags(r.tag, cfg.tag_format)) for r in requests]
    notes += [tchecks.skipped(r.tag, cfg.tag_format) for r, readings in matching if not readings]
    matching = [(r, readings) for r, readings in matching if readings]
    commits = _commits(repo, [r for r, _ in matching])
    try:
        _gather_each(projects, matching, commits, project_dir, repo, pending, notes)
    finally:
        projects.reader.close()
    return pending, notes


def _gather_each(projects: _Projects, matching: Sequence[tuple[TagRequest, list[Reading]]],
                 commits: Sequence[tuple[str, Finding | None]], project_dir: str, repo: git.Repo,
                 pending: list[_Pending], notes: list[Finding]) -> None:
    for (request, readings), (sha, note) in zip(matching, commits, strict=True):
        notes += [note] if note else []
        chosen = projects.choose(readings, sha)
        if chosen is None:
            notes.append(tchecks.other_project(request.tag))
            continue
        project_repo, info, (name_part, tag_version) = chosen
        if not (info.name or name_part):
            raise ProjectError(
                f"tag {request.tag}: the project at {sha[:12]} declares no name that release-guard can "
                "read, so the index cannot be asked",
                hint='declare it in pyproject.toml ([project] name = "...") or setup.cfg [metadata]')
        source = info.version_source
        rel = project_repo.prefix[len(repo.prefix):] if project_repo is not repo else ""
        path = source.path if source else "pyproject.toml"
        where = os.path.normpath(os.path.join(project_dir, rel, path))
        line = source.line if source and info.version else None
        facts = tchecks.TagFacts(request.tag, tag_version, info.name, info.version, where, line)
        pending.append(_Pending(facts, info.name or name_part))


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
    try:
        with index.Deadline(cfg.timeout, notify=_waiting) as deadline:
            pages = index.fetch_projects(target, names, timeouts=timeouts, deadline=deadline,
                                         max_workers=32)
    except IndexError_ as exc:
        if not (exc.unreachable and _allow_offline(args)):
            raise
        findings.append(tchecks.offline(exc.message))
        return {}
    facts = {}
    for name, page in pages.items():
        facts[str(name)] = tchecks.IndexFacts(target.display_url(), page.exists, page.versions,
                                              _yanked_versions(page.files))
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


def _yanked_versions(files: Sequence[IndexFile]) -> frozenset[Version]:
    """Versions whose every file is yanked (a release is yanked as a whole on the index)."""
    by_version: dict[Version, list[bool]] = {}
    for file in files:
        if file.version is not None:
            by_version.setdefault(file.version, []).append(file.yanked)
    return frozenset(v for v, flags in by_version.items() if all(flags))


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
    pending, findings = gather(repo, cfg, requests, project_dir)
    if not pending:
        findings.append(tchecks.nothing_to_check())
        return emit(findings, args.format, os.environ, ignore=cfg.ignore)
    pages = _index_facts(pending, cfg, args, findings)
    for item in pending:
        findings += tchecks.matches_project(item.facts)
        page = pages.get(canonicalize_name(item.name)) if item.name else None
        if page is not None:
            findings += tchecks.not_on_index(item.facts, page, cfg.allow_older)
    checked = ", ".join(p.facts.tag for p in pending)
    if pages:
        ok = f"release-guard: {checked} ok: not on {next(iter(pages.values())).index}"
    else:
        ok = f"release-guard: {checked} ok: matches the project version (the index was not read)"
    return emit(findings, args.format, os.environ, ok, cfg.ignore)


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
            message = hook.uninstall(args.project)
        elif args.config:
            message = hook.install_config(args.project)
        else:
            message = hook.install(args.project)
    except OSError as exc:  # core.hooksPath at a file, a read-only folder, ...
        raise HookError(f"{exc.filename or 'the hooks folder'}: {exc.strerror or exc}",
                        hint="check core.hooksPath (git config core.hooksPath) and the folder's "
                        "permissions") from None
    sys.stdout.write(f"release-guard: {message}\n")
    return 0

