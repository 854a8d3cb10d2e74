"""check-dist: build the sdist and wheel (or take the files in --dist-dir), run twine's own
check on each, then the checks of what the index refuses that twine does not see."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

from packaging.version import Version

from release_guard import config as config_mod
from release_guard import dist_files, git
from release_guard.checks import dist as checks
from release_guard.checks import version as vchecks
from release_guard.errors import BuildError, DistError
from release_guard.findings import Finding
from release_guard.output import emit
from release_guard.project import ProjectInfo, read_project
from release_guard.tree import shown_path, work_tree


class Release(NamedTuple):
    """What the files must be: the project's name and version, and the release tag on HEAD."""

    name: str
    version: str | None  # None: derived from VCS tags (then the tag, or the files, say it)
    where: str  # the file that declares them, for messages
    tags: tuple[tuple[str, Version], ...] = ()  # the release tags on HEAD


def _read(args: argparse.Namespace) -> tuple[ProjectInfo, config_mod.Config]:
    tree = work_tree(args.project, require=True)
    # A build runs the backend anyway; checking built files runs no project code unless allowed.
    allow_backend = not args.dist_dir or config_mod.backend_allowed(args, os.environ)
    info = read_project(tree, allow_backend=allow_backend)
    overrides = config_mod.flag_overrides(args)
    if args.strict is not None:
        overrides["strict"] = args.strict
    where = shown_path(args.project, "pyproject.toml")
    cfg = config_mod.load(info.config_table, os.environ, overrides, where)
    return info, cfg


def tags_at_head(project_dir: str, cfg: config_mod.Config,
                  name: str | None) -> tuple[tuple[str, Version], ...]:
    """The release tags on HEAD (tag, version), when the project is in git."""
    try:
        repo = git.open_repo(project_dir)
    except git.NoRepository:
        return ()
    if not repo.has_commits:
        return ()
    tags = git.run(["tag", "--points-at", "HEAD"], repo.top).stdout.split()
    return tuple(vchecks.tag_versions(sorted(tags), cfg.tag_format, name).items())


# ------------------------------------------------------------------ building


_BUILD_OWN_LINES = ("ERROR Backend subprocess exited", "TIP ")
# What the build — the project's own code, and the build requirements it names — never needs:
# the upload's credentials and target (twine's and release-guard's variables) and the
# request for a GitHub OIDC token, which trusted publishing trades for an upload token.
NOT_FOR_THE_BUILD = ("TWINE_", "RELEASE_GUARD_", "ACTIONS_ID_TOKEN_REQUEST_")


def build(project_dir: str, outdir: str, isolation: bool, installer: str | None) -> None:
    """`python -m build` into `outdir` (the sdist, then the wheel from the sdist), in an
    environment without NOT_FOR_THE_BUILD."""
    command = [sys.executable, "-m", "build", "--outdir", outdir]
    if not isolation:
        command.append("--no-isolation")
    if installer:
        command += ["--installer", installer]
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith(NOT_FOR_THE_BUILD)}
    from release_guard import interrupt

    # build's isolated environment and pip's files go to a folder of ours: a build ended by a
    # signal cleans nothing up itself (the handler removes this folder)
    with interrupt.temp_dir("release-guard-tmp-") as tmp, interrupt.doing("building the sdist and wheel"):
        env["TMPDIR"] = tmp
        # in a process group of its own (its installer and backend are in it), registered
        code, out, err = interrupt.communicate([*command, project_dir], stdin=subprocess.DEVNULL,
                                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                               errors="replace", env=env)
    proc = subprocess.CompletedProcess(command, code, out, err)
    if proc.returncode != 0:
        lines = [line.strip() for line in (proc.stdout + "\n" + proc.stderr).splitlines() if line.strip()]
        while len(lines) > 1 and lines[-1].startswith(_BUILD_OWN_LINES):
            lines.pop()  # build's own summary and tip: the backend's last line says more
        last = lines[-1] if lines else f"exit code {proc.returncode}"
        flags = " ".join(command[5:])
        raise BuildError(f"the build failed: {last}",
                         hint=f"run `python -m build{' ' + flags if flags else ''} {project_dir}` to see "
                         "its full output")


def check_installer(installer: str | None, isolation: bool) -> None:
    if installer == "uv" and shutil.which("uv") is None:
        raise BuildError("--installer uv: uv is not on PATH",
                         hint="install it (pip install uv), or drop --installer uv to build with pip")
    if installer and not isolation:
        raise BuildError(f"--installer {installer} has no effect with --no-isolation",
                         hint="drop one of them")


# ------------------------------------------------------------------ checking


def _twine(path: Path) -> checks.TwineResult | str:
    """twine's own per-file check, in-process; a string when twine cannot read the file."""
    from twine import exceptions as twine_exceptions
    from twine.commands import check as twine_check  # 117 ms: only when check-dist runs

    stream = twine_check._WarningStream()
    try:
        warnings, renders = twine_check._check_file(str(path), stream)
    except twine_exceptions.TwineException as exc:
        return str(exc).replace(str(path), path.name)
    return checks.TwineResult(tuple(warnings), renders, str(stream))


class _Read(NamedTuple):
    file: dist_files.DistFile
    shown: str
    facts: checks.DistFacts | None
    problem: str = ""


def read_all(files: Sequence[dist_files.DistFile], show: Callable[[Path], str]) -> list[_Read]:
    read = []
    for dist in files:
        try:
            text = dist_files.read_metadata(dist)
        except dist_files.Unreadable as exc:
            read.append(_Read(dist, show(dist.path), None, str(exc)))
            continue
        read.append(_Read(dist, show(dist.path), dist_files.facts(dist, show(dist.path), text)))
    return read


def check_files(files: Sequence[_Read], strict: bool) -> list[Finding]:
    """twine's check, then every single-file check, then those over the files together."""
    import trove_classifiers

    known, deprecated = trove_classifiers.classifiers, trove_classifiers.deprecated_classifiers
    findings: list[Finding] = []
    for item in files:
        if item.facts is None:
            findings.append(checks.unreadable(item.shown, item.problem))
            continue
        result = _twine(item.file.path)
        if isinstance(result, str):
            findings.append(checks.twine_refused(item.shown, result))
        else:
            findings += checks.twine_check(item.facts, result, strict)
        findings += checks.one_file(item.facts, known, deprecated)
    findings += checks.one_sdist_per_version([item.facts for item in files if item.facts])
    return findings


def against_release(files: Sequence[_Read], release: Release, built: bool) -> list[Finding]:
    findings: list[Finding] = []
    for item in files:
        if item.facts is None:
            continue
        if built:
            findings += checks.matches_project(item.facts, release.name, release.version, release.where)
        for tag, version in release.tags:
            findings += checks.matches_tag(item.facts, tag, version)
    return findings


def _file_identity(item: _Read) -> tuple[str, Version | None] | None:
    if item.facts is not None:
        return checks.identity(item.facts)
    return name_identity(item.file)


def name_identity(dist: dist_files.DistFile) -> tuple[str, Version | None] | None:
    """(name, version) from the file name alone, None when it is not a valid one."""
    from packaging.utils import (
        InvalidSdistFilename,
        InvalidWheelFilename,
        parse_sdist_filename,
        parse_wheel_filename,
    )

    try:
        if dist.kind == checks.WHEEL:
            name, version, _, _ = parse_wheel_filename(dist.path.name)
        else:
            name, version = parse_sdist_filename(dist.path.name)
    except (InvalidSdistFilename, InvalidWheelFilename):
        return None
    return str(name), version


def _release_version(release: Release, files: Sequence[_Read], name: str) -> Version | None:
    if release.version is not None:
        return vchecks.parse(release.version)
    if release.tags:
        return max(version for _, version in release.tags)
    versions = [ident[1] for ident in map(_file_identity, files) if ident and ident[0] == name and ident[1]]
    return max(versions, default=None)


def _split(files: Sequence[_Read], name: str, version: Version | None) -> tuple[list[_Read], list[_Read]]:
    """(the release's files, the others): unreadable files whose name cannot tell count as the release's."""
    ours: list[_Read] = []
    others: list[_Read] = []
    for item in files:
        ident = _file_identity(item)
        (ours if ident is None or ident == (name, version) else others).append(item)
    return ours, others


def _check_dist_dir(folder: str, release: Release, strict: bool) -> list[Finding]:
    path = Path(folder)
    if not path.is_dir():
        raise DistError(f"--dist-dir {folder}: no such directory",
                        hint="build first (python -m build), or drop --dist-dir to build in a temporary one")
    files = dist_files.find(path)
    if not files:
        raise DistError(f"--dist-dir {folder}: no sdist (.tar.gz) or wheel (.whl) in it",
                        hint=f"build them: python -m build --outdir {folder}")
    read = read_all(files, lambda p: os.path.join(folder, p.name))
    from packaging.utils import canonicalize_name

    name = canonicalize_name(release.name)
    version = _release_version(release, read, name)
    ours, others = _split(read, name, version)
    shown_version = str(version) if version is not None else "(unknown version)"
    findings = checks.stale(folder, [o.file.path.name for o in others], release.name, shown_version)
    if not ours:
        return [checks.no_release(folder, release.name, shown_version), *findings]
    return check_files(ours, strict) + against_release(ours, release, built=False) + findings


def _stale_in(folder: Path, shown: str, built: Sequence[_Read], release_name: str) -> list[Finding]:
    """RG318 for the project's own dist/: files that are not what was just built."""
    if not folder.is_dir():
        return []
    idents = {ident for ident in map(_file_identity, built) if ident}
    stale = [d.path.name for d in dist_files.find(folder) if name_identity(d) not in idents]
    version = next((str(v) for _, v in idents if v is not None), "(unknown version)")
    return checks.stale(shown, stale, release_name, version)


def check_built(args: argparse.Namespace, release: Release, strict: bool) -> list[Finding]:
    isolation = not args.no_isolation
    check_installer(args.installer, isolation)
    from release_guard import interrupt

    with interrupt.temp_dir("release-guard-dist-") as outdir:
        build(args.project, outdir, isolation, args.installer)
        files = dist_files.find(Path(outdir))
        if not files:
            raise BuildError("the build made no sdist or wheel", hint="run `python -m build` to see why")
        read = read_all(files, lambda p: p.name)
        findings = check_files(read, strict) + against_release(read, release, built=True)
    dist_folder = Path(args.project) / "dist"
    return findings + _stale_in(dist_folder, shown_path(args.project, "dist"), read, release.name)


def _ok_line(release: Release, findings: Sequence[Finding], source: str) -> str:
    version = release.version or ", ".join(str(v) for _, v in release.tags)
    passed = "twine check --strict" if not any(f.code == "RG302" for f in findings) else "twine check"
    return f"release-guard: {release.name} {version}: {source} pass {passed} and the index's rules".replace(
        "  ", " ")


def cmd_check_dist(args: argparse.Namespace) -> int:
    from release_guard import extra

    extra.require("check-dist", extra.CHECK_FILES + (() if args.dist_dir else extra.BUILD))
    info, cfg = _read(args)
    assert info.name is not None  # read_project refuses a project without a name
    where = shown_path(args.project, info.version_source.path if info.version_source else "pyproject.toml")
    release = Release(info.name, info.version, where, tags_at_head(args.project, cfg, info.name))
    if args.dist_dir:
        findings = _check_dist_dir(args.dist_dir, release, cfg.strict)
        source = f"the files in {args.dist_dir}"
    else:
        findings = check_built(args, release, cfg.strict)
        source = "the built sdist and wheel"
    return emit(findings, args.format, os.environ, _ok_line(release, findings, source), cfg.ignore)

