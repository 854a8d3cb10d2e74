"""check: every check that applies to the project, in one run — "will my release succeed?"

Rows, each timed: version (check-version on the working tree), tags (the release tags on
HEAD name the version), index (the version is new on the target index), name (check-name:
a valid name, no standard-library module, not another project's; offline, the first two),
auth (the credentials twine would use: check-auth, when there are any or with --auth), dist
(check-dist on a fresh build, with --build). The index is read once, in a thread, while git
works. `--offline` runs only what needs no network and says which rows it skipped; without
the `release` extra (release-guard[release]) the name, auth and dist rows are skipped, saying so.
Findings come first, then one table: check, time, result.
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, NamedTuple

from release_guard import config as config_mod
from release_guard import dist_guard, extra, release, version_guard
from release_guard.checks import release as rchecks
from release_guard.checks import tags as tchecks
from release_guard.errors import ReleaseGuardError
from release_guard.findings import Finding, exit_code
from release_guard.output import emit
from release_guard.tree import shown_path

if TYPE_CHECKING:
    from release_guard.index import ProjectPage
    from release_guard.index.targets import Repository


class Row(NamedTuple):
    check: str
    result: str  # "ok", "failed", "skipped (why)", "could not run"
    seconds: float | None


class _Context:
    """What the rows share: the project, its config, the target and the index page (a future)."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        # the project's code runs only when the check builds or the user allows the backend
        self.info, self.cfg = release.read(
            args, allow_backend=bool(args.build) or config_mod.backend_allowed(args, os.environ))
        assert self.info.name is not None
        self.name = self.info.name
        source = self.info.version_source
        self.where = shown_path(args.project, source.path if source else "pyproject.toml")
        self.line = source.line if source else None
        self.tags = dist_guard.tags_at_head(args.project, self.cfg, self.name)
        self.version = release.release_version(self.info, self.tags)
        self.target: Repository | None = None
        self.page: Future[ProjectPage] | None = None
        if not args.offline:
            self.target, _ = release.resolve_target(args, self.cfg, for_upload=False)
            pool = ThreadPoolExecutor(max_workers=1)
            self.page = pool.submit(release.read_page, self.target, self.name, self.cfg)
            pool.shutdown(wait=False)


def _version(ctx: _Context) -> tuple[list[Finding], str]:
    return version_guard.release_findings(ctx.args.project, ctx.info, ctx.cfg), ""


def _tags(ctx: _Context) -> tuple[list[Finding], str]:
    if not ctx.tags:
        return [], "no release tag on HEAD"
    findings: list[Finding] = []
    if ctx.info.version is not None:
        for tag, version in ctx.tags:
            findings += tchecks.matches_project(tchecks.TagFacts(
                tag, version, ctx.name, ctx.info.version, ctx.where, ctx.line))
    return findings, ", ".join(tag for tag, _ in ctx.tags)


def _index(ctx: _Context) -> tuple[list[Finding], str]:
    assert ctx.page is not None
    assert ctx.target is not None
    page = ctx.page.result()
    if ctx.version is None:
        return [], "the version comes from the build (--build)"
    verdict = rchecks.version_is_new(ctx.name, ctx.version, page.versions, release.listed(page), [],
                                     ctx.target.display_url(), ctx.where, ctx.cfg.allow_older)
    note = f"{ctx.version} is new on {ctx.target.display_url()}" if page.exists else (
        f"first release of {ctx.name} on {ctx.target.display_url()}")
    return list(verdict.findings), note


def _name(ctx: _Context) -> tuple[list[Finding], str]:
    from release_guard import name_guard

    findings, ok, _ = name_guard.findings_for(ctx.args)
    return [f for f in findings if f.code != "RG605"], ok.removeprefix("release-guard: ")


def _auth(ctx: _Context) -> tuple[list[Finding], str]:
    from release_guard import auth_guard

    found = auth_guard.findings_for(ctx.args, ctx.name, ctx.cfg, only_with_credentials=not ctx.args.auth)
    if found is None:
        return [], "skipped (twine would find no credentials; --auth checks all the same)"
    findings, ok = found
    return findings, ok.removeprefix("release-guard: ")


def _dist(ctx: _Context) -> tuple[list[Finding], str]:
    where = ctx.where
    built = dist_guard.Release(ctx.name, ctx.info.version, where, ctx.tags)
    return dist_guard.check_built(ctx.args, built, ctx.cfg.strict), "the built sdist and wheel"


Check = Callable[[_Context], tuple[list[Finding], str]]


def _rows(ctx: _Context) -> list[tuple[str, Check | None, str]]:
    """(name, the check or None when skipped, why it is skipped)."""
    args = ctx.args
    offline = "--offline"
    name, auth = extra.missing(extra.STDLIB_NAMES), extra.missing(extra.WORKFLOW_LINT)
    needs = f"needs {extra.EXTRA}"
    return [
        ("version", _version, ""),
        ("tags", _tags, ""),
        ("index", None if args.offline else _index, offline),
        ("name", None if name else _name, needs),
        ("auth", None if auth else _auth, needs),
        ("dist", _dist if args.build else None, "--build to build and check the sdist and wheel"),
    ]


def _table(rows: list[Row]) -> str:
    width = max(len(r.check) for r in rows)
    lines = ["release-guard check:"]
    for row in rows:
        took = f"{row.seconds:6.2f} s" if row.seconds is not None else " " * 8
        lines.append(f"  {row.check:{width}}  {took}  {row.result}")
    return "\n".join(lines)


def cmd_check(args: argparse.Namespace) -> int:
    # What the user asked for by name is never a skipped row and exit 0 (a CI gate would pass)
    if args.build:
        extra.require("check --build", extra.CHECK_FILES + extra.BUILD)
    if args.auth:
        extra.require("check --auth", extra.WORKFLOW_LINT)
    ctx = _Context(args)
    findings: list[Finding] = []
    rows: list[Row] = []
    first_error: ReleaseGuardError | None = None
    for name, check, why in _rows(ctx):
        if check is None:
            rows.append(Row(name, f"skipped ({why})", None))
            continue
        started = time.monotonic()
        try:
            found, note = check(ctx)
        except ReleaseGuardError as exc:
            first_error = first_error or exc
            rows.append(Row(name, f"could not run: {exc.message}", time.monotonic() - started))
            continue
        shown = [f for f in found if f.code not in ctx.cfg.ignore]
        findings += shown
        result = "failed" if exit_code(shown) else "ok"
        if note.startswith("skipped (") and not shown:
            rows.append(Row(name, note, None))
            continue
        rows.append(Row(name, f"{result}{': ' + note if note else ''}", time.monotonic() - started))
    code = emit(findings, args.format, os.environ, ignore=ctx.cfg.ignore, summary=_table(rows))
    if first_error is not None:
        raise first_error
    return code
