"""release: guard, clean, build, check, upload with twine, verify — stopping at the first failure.

Steps (each announced on stderr with its counter and time; findings go to stdout at the end):
1. project, config and check-version (the index is read meanwhile, in a thread);
2. the release tags on HEAD match the version (and, with require-tag, one names it);
3. the version is new on the index — or dist/ holds an interrupted upload to finish;
4. clean what a build of this project leaves: its files in dist/, build/, its .egg-info;
5. build the sdist and wheel (python -m build), into dist/;
6. check-dist on exactly those files;
7. their file names are new on the index;
8. upload exactly those files with twine (--dry-run: say what and where, and stop);
9. the index lists the version (a bounded wait, one line a retry).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.utils import canonicalize_name
from packaging.version import Version

from release_guard import config as config_mod
from release_guard import dist_files, dist_guard, interrupt, monorepo, release_build, release_stop, upload
from release_guard.checks import release as rchecks
from release_guard.checks import tags as tchecks
from release_guard.checks import version as vchecks
from release_guard.errors import ProjectError
from release_guard.findings import Finding, exit_code
from release_guard.index.targets import Repository, sanitize_url
from release_guard.output import emit
from release_guard.project import ProjectInfo, read_project
from release_guard.tree import shown_path, work_tree

if TYPE_CHECKING:
    from release_guard.index import ProjectPage  # HTTP code: imported by the thread that reads

STEPS = 9
VERIFY_DELAYS = (1.0, 2.0, 4.0, 8.0)  # then every 8 s until --wait runs out


class Steps:
    """`release-guard [k/9] title ... 0.42 s` on stderr: one line a step, its time at the end."""

    def __init__(self) -> None:
        self.number = 0
        self.open = False

    @contextmanager
    def step(self, title: str) -> Iterator[None]:
        self.number += 1
        self.say(f"release-guard [{self.number}/{STEPS}] {title} ...", end="")
        self.open = True
        started = time.monotonic()
        try:
            yield
        except interrupt.Interrupted:
            if self.open:  # the step's line ends so; the interruption's own line follows
                sys.stderr.write(" interrupted\n")
            self.open = False
            raise
        except BaseException:
            self._took(started)
            raise
        self._took(started)

    def _took(self, started: float) -> None:
        took = time.monotonic() - started
        self.say(f" {took:.2f} s" if self.open else f"  done in {took:.2f} s")

    def skip(self, title: str, why: str) -> None:
        self.number += 1
        self.say(f"release-guard [{self.number}/{STEPS}] {title}: skipped ({why})")

    def say(self, text: str, end: str = "\n") -> None:
        """A line; one that is not a step's time first ends the step's open line."""
        if self.open and not (end and text.startswith(" ") and text.endswith(" s")):
            text = "\n" + text
        self.open = False
        sys.stderr.write(text + end)
        sys.stderr.flush()


def _blocked(findings: Sequence[Finding], cfg: config_mod.Config) -> bool:
    return exit_code([f for f in findings if f.code not in cfg.ignore]) != 0


def _require_extra() -> None:
    """build, twine and trove-classifiers (the `release` extra) build, check and upload:
    without them say so before anything is cleaned or built, not as an internal error."""
    from release_guard import extra

    extra.require("release", extra.BUILD + extra.CHECK_FILES)


def read(args: argparse.Namespace, allow_backend: bool = True) -> tuple[ProjectInfo, config_mod.Config]:
    """The project and its config. `release` builds, so the backend runs anyway; `check`
    without --build asks it only as check-version does (`--backend`, allow-backend)."""
    tree = work_tree(args.project, require=True)
    where = shown_path(args.project, "pyproject.toml")
    if monorepo.root_table(tree, where) is not None:
        raise ProjectError(f"{where} lists projects: release releases one project at a time",
                           hint="name it: release-guard release --project <path of the project>")
    info = read_project(tree, allow_backend=allow_backend)
    overrides = config_mod.flag_overrides(args)
    if args.strict is not None:
        overrides["strict"] = args.strict
    return info, config_mod.load(info.config_table, os.environ, overrides, where)


def resolve_target(args: argparse.Namespace, cfg: config_mod.Config,
                   for_upload: bool = True) -> tuple[Repository, upload.TwineTarget]:
    from release_guard import tag_guard
    from release_guard.index import targets as index

    repository, from_project = tag_guard._repository(cfg, args)
    index_url_from_project = bool(cfg.index_url) and not (
        args.index_url or "RELEASE_GUARD_INDEX_URL" in os.environ)
    target = index.resolve_repository(repository, args.repository_url, args.config_file, cfg.index_url,
                                      repository_from_project=from_project,
                                      index_url_from_project=index_url_from_project)
    if for_upload:
        upload.require_upload_allowed(target)
    return target, upload.twine_target(args.repository, args.repository_url, args.config_file,
                                       cfg.repository, os.environ)


def read_page(target: Repository, name: str, cfg: config_mod.Config) -> ProjectPage:
    from release_guard import index

    timeouts = index.Timeouts(connect=min(5.0, cfg.timeout), read=min(10.0, cfg.timeout))
    with index.Deadline(cfg.timeout) as deadline:
        return index.fetch_project(target, name, timeouts=timeouts, deadline=deadline)


def listed(page: ProjectPage) -> list[rchecks.Listed]:
    return [rchecks.Listed(f.filename, f.version, f.sha256, f.yanked) for f in page.files]


def release_version(info: ProjectInfo, tags: Sequence[tuple[str, Version]]) -> Version | None:
    """The version to release: the declared one, or for a VCS version the newest tag on HEAD."""
    if info.version is not None:
        return vchecks.parse(info.version)
    return max((v for _, v in tags), default=None)


# ------------------------------------------------------------------ the pipeline


class _Run:
    """One release: what the steps learn, and the findings so far."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.steps = Steps()
        self.findings: list[Finding] = []

    def guard(self) -> tuple[ProjectInfo, config_mod.Config, Repository, upload.TwineTarget,
                             Future[ProjectPage]]:
        from release_guard import version_guard

        with self.steps.step("project, config and check-version"):
            _require_extra()
            info, cfg = read(self.args)
            assert info.name is not None
            target, twine = resolve_target(self.args, cfg)
            pool = ThreadPoolExecutor(max_workers=1)
            page = pool.submit(read_page, target, info.name, cfg)  # while git works
            pool.shutdown(wait=False)
            self.findings += version_guard.release_findings(self.args.project, info, cfg)
        return info, cfg, target, twine, page

    def tags(self, info: ProjectInfo, cfg: config_mod.Config) -> tuple[tuple[str, Version], ...]:
        with self.steps.step("release tags on HEAD"):
            assert info.name is not None
            tags = dist_guard.tags_at_head(self.args.project, cfg, info.name)
            source = info.version_source
            where = shown_path(self.args.project, source.path if source else "pyproject.toml")
            for tag, tag_version in tags:
                if info.version is not None:
                    self.findings += tchecks.matches_project(tchecks.TagFacts(
                        tag, tag_version, info.name, info.version, where, source.line if source else None))
            version = release_version(info, tags)
            if cfg.require_tag and version is not None:
                expected = cfg.tag_format.replace("{name}", info.name).replace("{version}", str(version))
                self.findings += rchecks.tag_required(dict(tags), version, expected, where)
        return tags



def cmd_release(args: argparse.Namespace) -> int:
    run = _Run(args)
    try:
        return _release(run)
    except interrupt.Interrupted as exc:
        if not exc.message:  # the upload sets its own: what reached the index
            exc.message = release_stop.before_upload(max(run.steps.number, 1), STEPS)
        raise


def _release(run: _Run) -> int:
    args = run.args
    info, cfg, target, twine, page_read = run.guard()
    assert info.name is not None
    name = canonicalize_name(info.name)
    if _blocked(run.findings, cfg):
        return emit(run.findings, args.format, os.environ, ignore=cfg.ignore)
    tags = run.tags(info, cfg)
    if _blocked(run.findings, cfg):
        return emit(run.findings, args.format, os.environ, ignore=cfg.ignore)
    shown_index = target.display_url()
    where = shown_path(args.project, info.version_source.path if info.version_source else "pyproject.toml")
    version: Version | None = release_version(info, tags)
    dist = Path(args.project) / "dist"
    with run.steps.step(f"{info.name} {version or '(version from the build)'} on {shown_index}"):
        page = page_read.result()
        verdict = rchecks.Verdict(rchecks.NEW)
        if version is not None:
            verdict = _verdict(info.name, version, page, dist, args.project, shown_index, where, cfg)
            run.findings += verdict.findings
    if verdict.state == rchecks.ALREADY:
        if {f.code for f in verdict.findings} == {"RG402"} and "RG402" in cfg.ignore:
            verdict = rchecks.Verdict(rchecks.NEW)  # an ignored RG402 is allow-older: go on
        else:  # the release stops here: that is never silenced into an exit 0
            stops = {f.code for f in verdict.findings}
            return emit(run.findings, args.format, os.environ, ignore=set(cfg.ignore) - stops)
    if verdict.state == rchecks.PARTIAL:
        assert version is not None
        run.steps.say(f"  an interrupted upload of {version}: the index holds part of dist/, with the same "
                      "sha256; the rest will be uploaded")
        run.steps.skip("clean", "finishing the interrupted upload with the files in dist/")
        run.steps.skip("build", "finishing the interrupted upload with the files in dist/")
        paths = release_build.dist_files_of(dist, name, version)
        to_upload = [dist / mine.filename for mine in verdict.missing]
    else:
        with run.steps.step("clean"):
            release_build.clean(args.project, name, run.steps.say)
        with run.steps.step("build (python -m build)"):
            paths = release_build.build(args, args.project)
            run.steps.say("  built: " + ", ".join(p.name for p in paths))
        to_upload = paths
    with run.steps.step("check-dist"):
        run.findings += release_build.check(paths, info, cfg, args.project, tags)
    if _blocked(run.findings, cfg):
        return emit(run.findings, args.format, os.environ, ignore=cfg.ignore)
    built_version = version or _built_version(paths, name)
    with run.steps.step("file names are new on the index"):
        if version is None and built_version is not None:  # a VCS version, known only now
            run.findings += _verdict(info.name, built_version, page, Path("/nonexistent"), args.project,
                                     shown_index, where, cfg).findings
        if verdict.state == rchecks.NEW:
            built = release_build.local(paths, args.project)
            run.findings += rchecks.files_are_new(built, listed(page), shown_index)
    if _blocked(run.findings, cfg):
        return emit(run.findings, args.format, os.environ, ignore=cfg.ignore)
    assert built_version is not None
    return _upload_and_verify(run, info.name, built_version, to_upload, target, twine, page, cfg)


def _verdict(name: str, version: Version, page: ProjectPage, dist: Path, project_dir: str, index: str,
             where: str, cfg: config_mod.Config) -> rchecks.Verdict:
    local: list[rchecks.Local] = []
    if page.released(version):  # only then do dist/'s files matter: an interrupted upload?
        ours = release_build.dist_files_of(dist, canonicalize_name(name), version)
        # files that git tracks are no earlier run's output: a pull request could commit them
        local = release_build.local([p for p in ours if not release_build.tracked(project_dir, p)],
                                    project_dir)
    return rchecks.version_is_new(name, version, page.versions, listed(page), local, index, where,
                                  cfg.allow_older)


def _built_version(paths: Sequence[Path], name: str) -> Version | None:
    versions = [ident[1] for p in paths if (ident := dist_guard.name_identity(dist_files.of_path(p)))
                and ident[0] == name and ident[1] is not None]
    return max(versions, default=None)


def _upload_and_verify(run: _Run, name: str, version: Version, files: Sequence[Path], target: Repository,
                       twine: upload.TwineTarget, page: ProjectPage, cfg: config_mod.Config) -> int:
    args = run.args
    shown = [shown_path(args.project, f"dist/{p.name}") for p in files]
    where = target.display_url() if target.name is None else f"{target.name} ({target.display_url()})"
    upload_to = sanitize_url(target.upload_url)
    if args.dry_run:
        run.steps.skip("upload", "--dry-run")
        run.steps.skip("verify", "--dry-run")
        to = upload_to if target.name is None else f"{target.name} ({upload_to})"
        ok = (f"release-guard: dry run: {name} {version} is ready; `release` would upload "
              f"{', '.join(shown)} to {to}")
        return emit(run.findings, args.format, os.environ, ok, cfg.ignore)
    started: list[str] = []  # the files twine began to upload, in order
    outcome = None
    try:
        with run.steps.step(f"upload {len(files)} file(s) to {upload_to} with twine"):
            environ = {**os.environ, **twine.environ}
            outcome = upload.run([os.fspath(p) for p in files], twine.args,
                                 upload.secrets_of(target, environ, twine.args), environ, run.steps.say,
                                 started)
        if outcome.returncode != 0:
            return _refused(run, outcome, name, version, page, upload_to, cfg)
        return _verify_step(run, name, version, files, target, cfg, where)
    except interrupt.Interrupted as exc:  # never a silent half-release: say what reached the index
        exc.message = release_stop.during_upload(
            run.steps.number, STEPS, files, started, outcome is not None and outcome.returncode == 0,
            lambda: release_stop.on_index(target, name, files))
        raise


def _refused(run: _Run, outcome: upload.Outcome, name: str, version: Version, page: ProjectPage,
             upload_to: str, cfg: config_mod.Config) -> int:
    # twine's failure is no check that `ignore` may silence
    run.findings.append(rchecks.upload_refused(outcome.status, outcome.reason, name, version,
                                               page.versions, upload_to))
    return emit(run.findings, run.args.format, os.environ, ignore=set(cfg.ignore) - {rchecks.REFUSED})


def _verify_step(run: _Run, name: str, version: Version, files: Sequence[Path], target: Repository,
                 cfg: config_mod.Config, where: str) -> int:
    args = run.args
    if args.wait == 0:
        run.steps.skip("verify", "--wait 0")
        seen = True
    else:
        with run.steps.step(f"{name} {version} is on {target.display_url()}"):
            seen, waited = _verify(target, name, version, [p.name for p in files], cfg, args.wait, run.steps)
        if not seen:
            run.findings.append(rchecks.not_visible(name, version, target.display_url(), waited))
    ok = f"release-guard: released {name} {version}: {', '.join(p.name for p in files)} on {where}"
    return emit(run.findings, args.format, os.environ, ok, cfg.ignore)


def _verify(target: Repository, name: str, version: Version, filenames: Sequence[str],
            cfg: config_mod.Config, wait: float, steps: Steps) -> tuple[bool, float]:
    """Read the project's page until it lists the version and every uploaded file, for at most
    `wait` seconds; an index that cannot be read meanwhile is one more retry, not a failure."""
    from release_guard.errors import IndexError_

    started = time.monotonic()
    delays = iter(VERIFY_DELAYS)
    while True:
        try:
            page = read_page(target, name, cfg)
            listed = {f.filename for f in page.files}
            if page.released(version) and all(f in listed for f in filenames):
                return True, time.monotonic() - started
            why = f"{version} is not listed yet"
        except IndexError_ as exc:
            why = exc.message
        left = wait - (time.monotonic() - started)
        delay = min(next(delays, VERIFY_DELAYS[-1]), left)
        if delay <= 0:
            return False, time.monotonic() - started
        steps.say(f"  {why}; looking again in {delay:.0f} s (up to {left:.0f} s more; --wait)")
        time.sleep(delay)
