"""The files of a release: this project's files in dist/, cleaning what a build leaves,
building into dist/, and checking exactly the built files (release's steps 4 to 6)."""

from __future__ import annotations

import argparse
import hashlib
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from packaging.utils import canonicalize_name
from packaging.version import Version

from release_guard import config as config_mod
from release_guard import dist_files, dist_guard
from release_guard.checks import release as rchecks
from release_guard.errors import BuildError, DistError
from release_guard.findings import Finding
from release_guard.project import ProjectInfo
from release_guard.tree import shown_path


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def local(paths: Sequence[Path], project_dir: str) -> list[rchecks.Local]:
    found = []
    for path in paths:
        shown = shown_path(project_dir, f"dist/{path.name}")
        try:
            digest = sha256(path)
        except OSError as exc:
            raise DistError(f"cannot read {shown}: {type(exc).__name__}",
                            hint="check its permissions, or remove it from dist") from None
        found.append(rchecks.Local(shown, path.name, digest))
    return found


def dist_files_of(dist: Path, name: str, version: Version | None = None) -> list[Path]:
    """The project's files in dist/ (of `version` only, when given), by their file names.
    A version is matched as one build spells it: `1.0.0` equals `1.0` on the index, but
    demo-1.0.0.tar.gz is no file of the build that made demo-1.0-*.whl."""
    if not dist.is_dir() or dist.is_symlink():
        return []
    found = []
    for item in dist_files.find(dist):
        ident = dist_guard.name_identity(item)
        if ident and ident[0] == name and (version is None or str(ident[1]) == str(version)):
            found.append(item.path)
    return sorted(found)


# ------------------------------------------------------------------ cleaning


def tracked(project_dir: str, path: Path) -> bool:
    from release_guard import git

    try:
        repo = git.open_repo(project_dir)
    except git.NoRepository:
        return False
    listed = git.run(["ls-files", "--", os.fspath(path.resolve())], repo.top, check=False)
    return bool(listed.stdout.strip())


def _egg_infos(project: Path, name: str) -> list[Path]:
    found = []
    for folder in (project, project / "src"):
        if folder.is_dir() and not folder.is_symlink():
            found += [p for p in folder.glob("*.egg-info")
                      if canonicalize_name(p.name[: -len(".egg-info")]) == name]
    return found


def clean(project_dir: str, name: str, say: Callable[[str], None]) -> list[str]:
    """Remove this project's files in dist/, build/ and its .egg-info — never what git tracks,
    never through a symlink. Returns what it removed, as shown paths."""
    import shutil

    project = Path(project_dir)
    removed = []
    for path in [*dist_files_of(project / "dist", name), project / "build", *_egg_infos(project, name)]:
        if not path.exists() or path.is_symlink() or tracked(project_dir, path):
            continue
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()
        removed.append(shown_path(project_dir, os.path.relpath(path, project)))
    say("  removed: " + (", ".join(removed) if removed else "nothing"))
    return removed


def _import_checks() -> None:
    """What check-dist imports (twine's check and its renderers: 0.15 s), while the build runs."""
    import contextlib

    with contextlib.suppress(Exception):  # step 6 imports them again and reports what fails
        import trove_classifiers  # noqa: F401
        from twine.commands import check  # noqa: F401


def build(args: argparse.Namespace, project_dir: str) -> list[Path]:
    """python -m build into a temporary folder, then both files into dist/ together."""
    isolation = not args.no_isolation
    dist_guard.check_installer(args.installer, isolation)
    dist = Path(project_dir) / "dist"
    if dist.is_symlink():
        raise BuildError(f"{shown_path(project_dir, 'dist')} is a symbolic link: release writes no file "
                         "through one", hint="remove the link, or make dist a plain folder")
    if dist.exists() and not dist.is_dir():
        shown = shown_path(project_dir, "dist")
        raise BuildError(f"{shown} is not a folder: release builds into dist/",
                         hint=f"move the file {shown} out of the way")
    import threading

    warm = threading.Thread(target=_import_checks, daemon=True)  # step 6's imports, on the idle core
    warm.start()
    from release_guard import interrupt

    with interrupt.temp_dir("release-guard-build-") as outdir:
        dist_guard.build(project_dir, outdir, isolation, args.installer)
        warm.join()
        built = dist_files.find(Path(outdir))
        if not built:
            raise BuildError("the build made no sdist or wheel", hint="run `python -m build` to see why")
        dist.mkdir(exist_ok=True)
        for item in built:
            if (dist / item.path.name).is_symlink():  # clean leaves links alone: so does the build
                raise BuildError(f"{shown_path(project_dir, f'dist/{item.path.name}')} is a symbolic link: "
                                 "release writes no file through one", hint="remove the link from dist")
        return [_place(item.path, dist) for item in built]


def _place(built: Path, dist: Path) -> Path:
    """Move a built file into dist/ by renaming, which replaces a name and never follows a link
    there; across file systems (a tmpfs /tmp) a copy into a new file in dist/, then a rename.
    (shutil.move's copy opens the destination, and so writes through a link of that name.)"""
    import errno
    import shutil

    target = dist / built.name
    try:
        built.replace(target)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        fd, part = tempfile.mkstemp(dir=dist, prefix=f".{built.name}.", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as out, built.open("rb") as data:
                shutil.copyfileobj(data, out)
            Path(part).replace(target)
        except BaseException:
            Path(part).unlink(missing_ok=True)
            raise
    return target


def check(paths: Sequence[Path], info: ProjectInfo, cfg: config_mod.Config, project_dir: str,
           tags: tuple[tuple[str, Version], ...]) -> list[Finding]:
    files = dist_files.find_paths(paths)
    read = dist_guard.read_all(files, lambda p: shown_path(project_dir, f"dist/{p.name}"))
    assert info.name is not None
    where = shown_path(project_dir, info.version_source.path if info.version_source else "pyproject.toml")
    release = dist_guard.Release(info.name, info.version, where, tags)
    return dist_guard.check_files(read, cfg.strict) + dist_guard.against_release(read, release, built=True)
