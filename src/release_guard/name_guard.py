"""check-name: the project's name against what the index refuses at the first upload.

Offline: the name is valid (RG601) and no standard-library module (RG602). With the index:
the name is free, or this repository's own (a release tag names a version it lists), else
RG603; with --similar, no project on the index is "too similar" (RG604), read from the
index root's list of projects, kept in the user's cache with its ETag.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping

from packaging.version import Version

from release_guard import config as config_mod
from release_guard import git, monorepo
from release_guard.checks import name as nchecks
from release_guard.checks import version as vchecks
from release_guard.errors import IndexError_, ProjectError
from release_guard.findings import Finding
from release_guard.index.targets import Repository
from release_guard.output import emit
from release_guard.project import Source
from release_guard.project.files import Files
from release_guard.project.static import read_name as read_name_text
from release_guard.tree import shown_path, work_tree

_ALLOW_OFFLINE = "--allow-offline turns this into a warning"  # the read hints' advice, for other commands


def read_name(args: argparse.Namespace, command: str) -> tuple[str, Source, config_mod.Config]:
    """The name as the files declare it, read as text (no version needed, no code run), where it
    is declared, and the config: what check-name and check-auth need of the project."""
    tree = work_tree(args.project, require=True)
    where = shown_path(args.project, "pyproject.toml")
    if monorepo.root_table(tree, where) is not None:
        raise ProjectError(f"{where} lists projects: {command} checks one project at a time",
                           hint=f"name it: release-guard {command} --project <path of the project>")
    files = Files.read(tree)
    named = read_name_text(files)
    if named is None:
        raise ProjectError(
            f"{tree.describe('.')}: declares no name that release-guard can read as text "
            "([project] name, [tool.poetry] name, setup.cfg [metadata] name or a literal in setup.py)",
            hint='declare it in pyproject.toml: [project] name = "..."')
    name, source = named
    cfg = config_mod.load(files.table("tool").get("release-guard"), os.environ,
                          config_mod.flag_overrides(args), where)
    return name, source, cfg


def _read(args: argparse.Namespace) -> tuple[nchecks.NameFacts, config_mod.Config]:
    name, source, cfg = read_name(args, "check-name")
    return nchecks.NameFacts(name, shown_path(args.project, source.path), source.line), cfg


def stdlib_modules() -> list[str]:
    """Every module of every Python version's standard library, as the `stdlib-list` package
    (the index's own source for this rule) lists them."""
    from release_guard import extra

    extra.require("check-name", extra.STDLIB_NAMES)  # the list of modules the index refuses as names
    import stdlib_list
    return [module for version in stdlib_list.short_versions for module in stdlib_list.stdlib_list(version)]


def _release_tags(project_dir: str, cfg: config_mod.Config, name: str) -> tuple[dict[str, Version], str]:
    """This repository's release tags (per tag-format) and, when there may be tags it cannot
    see, why (not a git repository, a shallow clone)."""
    try:
        repo, tags = git.open_repo_and_tags(project_dir)
    except git.NoRepository:
        return {}, "the project is not in a git repository, whose tags would tell"
    note = "this is a shallow clone: " + git.SHALLOW_HINT if repo.shallow else ""
    return vchecks.tag_versions(sorted(tags), cfg.tag_format, name), note


def _target(args: argparse.Namespace, cfg: config_mod.Config) -> Repository:
    """The index to read, chosen as every command chooses it (release.resolve_target)."""
    from release_guard import release

    return release.resolve_target(args, cfg, for_upload=False)[0]


def _online(args: argparse.Namespace, facts: nchecks.NameFacts, cfg: config_mod.Config,
            prohibited: Mapping[str, str]) -> tuple[list[Finding], str]:
    """The checks that read the index, all within one deadline of `cfg.timeout` seconds:
    the project's page, then (for a new name, with --similar) the list of every project."""
    from release_guard import index, tag_guard
    from release_guard.index.list_cache import read_listing

    target = _target(args, cfg)
    timeouts = index.Timeouts(connect=min(5.0, cfg.timeout), read=min(10.0, cfg.timeout))
    with index.Deadline(cfg.timeout, notify=tag_guard._waiting) as deadline:
        page = index.fetch_project(target, facts.name, timeouts=timeouts, deadline=deadline)
        found = nchecks.IndexName(target.display_url(), page.exists, page.versions)
        if page.exists:
            tags, note = _release_tags(args.project, cfg, facts.name)
            findings = nchecks.ownership(facts, found, tags, cfg.tag_format, note)
            return findings, nchecks.passed_line(facts, found, nchecks.owning_tags(found, tags))
        findings = nchecks.stdlib(facts, prohibited)  # the index asks only when it creates a project
        compared = None
        if getattr(args, "similar", False):
            listing = read_listing(target, os.environ, timeouts=timeouts, deadline=deadline)
            if listing.cache_problem:
                sys.stderr.write("release-guard: the list of projects was not cached: "
                                 f"{listing.cache_problem}\n")
            findings += nchecks.too_similar(facts, listing.names, found.index)
            compared = len(listing.names)
    return findings, nchecks.passed_line(facts, found, compared=compared)


def findings_for(args: argparse.Namespace) -> tuple[list[Finding], str, config_mod.Config]:
    """check-name's findings, ok line and config (check's name row runs it too)."""
    facts, cfg = _read(args)
    findings = nchecks.valid(facts)
    if findings:  # the index refuses it before anything else: nothing more to ask
        return findings, "", cfg
    prohibited = nchecks.stdlib_prohibited(stdlib_modules())
    if args.offline:
        findings = [*nchecks.stdlib(facts, prohibited), nchecks.offline(getattr(args, "similar", False))]
        return findings, nchecks.passed_line(facts, None), cfg
    try:
        findings, ok = _online(args, facts, cfg, prohibited)
    except IndexError_ as exc:
        if not exc.unreachable:
            raise
        hint = exc.hint.replace(_ALLOW_OFFLINE, "--offline runs only the checks that need no index")
        raise IndexError_(exc.message, hint, unreachable=True) from None
    return findings, ok, cfg


def cmd_check_name(args: argparse.Namespace) -> int:
    from release_guard import extra

    extra.require("check-name", extra.STDLIB_NAMES)
    findings, ok, cfg = findings_for(args)
    return emit(findings, args.format, os.environ, ok, cfg.ignore)
