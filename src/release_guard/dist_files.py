"""Reading distribution files: which files a folder holds, and the metadata inside each.

Only the standard library: zipfile for a wheel's METADATA, tarfile for an sdist's PKG-INFO.
Nothing is extracted to disk, no link inside an archive is followed, and a metadata member
over MAX_MEMBER bytes is refused before it is read.
"""

from __future__ import annotations

import os
import stat
import tarfile
import zipfile
from collections.abc import Iterable
from email.parser import Parser
from pathlib import Path
from typing import NamedTuple

from release_guard.checks.dist import SDIST, WHEEL, DistFacts

MAX_MEMBER = 10 * 1024 * 1024  # bytes of METADATA / PKG-INFO read at most
_KINDS = ((".whl", WHEEL), (".tar.gz", SDIST), (".zip", SDIST))


class Unreadable(Exception):
    """Raised when a file is no distribution whose metadata can be read; the message says why."""


class DistFile(NamedTuple):
    """A distribution file in a folder: `twine upload DIR/*` would send it."""

    path: Path
    kind: str
    size: int


def kind_of(filename: str) -> str | None:
    return next((kind for suffix, kind in _KINDS if filename.endswith(suffix)), None)


def find(folder: Path) -> list[DistFile]:
    """The sdists and wheels in `folder` (not its subfolders), sorted by name."""
    found = []
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        kind = kind_of(entry.name)
        if kind is not None and entry.is_file():
            found.append(DistFile(Path(entry.path), kind, entry.stat().st_size))
    return found


def of_path(path: Path) -> DistFile:
    """One file named by its path (its kind from its name; an unknown kind reads as an sdist)."""
    return DistFile(path, kind_of(path.name) or SDIST, path.stat().st_size)


def find_paths(paths: Iterable[Path]) -> list[DistFile]:
    """`find` for exactly these files."""
    return [of_path(p) for p in sorted(paths)]


def _bounded(data: bytes, what: str) -> str:
    if len(data) > MAX_MEMBER:
        raise Unreadable(f"{what} is larger than {MAX_MEMBER // 1024 // 1024} MiB")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Unreadable(f"{what} is not UTF-8 ({exc.reason} at byte {exc.start})") from None


def _wheel_metadata(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        members = [info for info in archive.infolist()
                   if info.filename.count("/") == 1 and info.filename.endswith(".dist-info/METADATA")]
        if len(members) != 1:
            raise Unreadable(f"a wheel holds one *.dist-info/METADATA; this one holds {len(members)}")
        info = members[0]
        if stat.S_ISLNK(info.external_attr >> 16):
            raise Unreadable(f"{info.filename} is a symbolic link")
        if info.file_size > MAX_MEMBER:
            raise Unreadable(f"{info.filename} is larger than {MAX_MEMBER // 1024 // 1024} MiB")
        with archive.open(info) as member:
            return _bounded(member.read(MAX_MEMBER + 1), info.filename)


def _tar_sdist_metadata(path: Path) -> str:
    with tarfile.open(path, "r:gz") as archive:
        for member in archive:  # stops at the first top-level PKG-INFO: a bomb is not read through
            parts = member.name.removeprefix("./").split("/")
            if len(parts) != 2 or parts[1] != "PKG-INFO":
                continue
            if not member.isfile():  # a symlink or hard link: never followed
                raise Unreadable(f"{member.name} is not a regular file")
            if member.size > MAX_MEMBER:
                raise Unreadable(f"{member.name} is larger than {MAX_MEMBER // 1024 // 1024} MiB")
            handle = archive.extractfile(member)
            if handle is None:
                raise Unreadable(f"{member.name} cannot be read")
            with handle:
                return _bounded(handle.read(MAX_MEMBER + 1), member.name)
    raise Unreadable("no PKG-INFO in the sdist's top-level folder")


def _zip_sdist_metadata(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            parts = info.filename.split("/")
            if len(parts) == 2 and parts[1] == "PKG-INFO":
                if stat.S_ISLNK(info.external_attr >> 16) or info.file_size > MAX_MEMBER:
                    raise Unreadable(f"{info.filename} is a link or too large")
                with archive.open(info) as member:
                    return _bounded(member.read(MAX_MEMBER + 1), info.filename)
    raise Unreadable("no PKG-INFO in the sdist's top-level folder")


def read_metadata(dist: DistFile) -> str:
    """The METADATA / PKG-INFO text of a distribution; Unreadable says why not."""
    try:
        if dist.kind == WHEEL:
            return _wheel_metadata(dist.path)
        if dist.path.name.endswith(".zip"):
            return _zip_sdist_metadata(dist.path)
        return _tar_sdist_metadata(dist.path)
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError) as exc:
        kind = "zip" if dist.kind == WHEEL or dist.path.name.endswith(".zip") else "gzipped tar"
        raise Unreadable(f"not a valid {kind} archive ({type(exc).__name__}: {exc})") from None


def facts(dist: DistFile, shown: str, text: str) -> DistFacts:
    """The fields the checks need, parsed from the metadata text (RFC 822 headers)."""
    headers = Parser().parsestr(text, headersonly=True)

    def field(name: str) -> str | None:
        value = headers.get(name)
        return None if value is None else str(value)

    return DistFacts(
        path=shown, filename=dist.path.name, kind=dist.kind, size=dist.size,
        metadata_version=(field("Metadata-Version") or "").strip(),
        name=(field("Name") or "").strip(), version=(field("Version") or "").strip(),
        summary=field("Summary"),
        classifiers=tuple(str(c).strip() for c in headers.get_all("Classifier") or ()),
        license_expression=field("License-Expression"),
    )
