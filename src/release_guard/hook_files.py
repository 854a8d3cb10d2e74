"""The hook files themselves: read, write, move aside and put back, safely.

Every write goes to a new, uniquely named file in the hooks folder (`mkstemp`: O_EXCL and
O_NOFOLLOW), then `os.replace` onto the hook's name, so a hook is never half-written and a
symlink is never written through. A hook that is not ours is moved aside without ever
overwriting anything (`os.link` + `os.unlink`), so that concurrent installs cannot lose it
or put our hook in its place. A symlink (even a dangling one) or a directory at the hook's
name counts as a hook: it is moved as it is and put back as it was.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from pathlib import Path

READ_LIMIT = 1 << 20  # a hook bigger than this is not ours, and need not be read for a marker
MODE = 0o755


def present(path: Path) -> bool:
    """Anything at `path`: a file, a directory, a symlink (dangling or not)."""
    return os.path.lexists(path)


def is_dir(path: Path) -> bool:
    """A real directory at `path`, not a symlink to one."""
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def same_file(a: Path, b: Path) -> bool:
    """`a` and `b` are one inode (hard links to each other), symlinks not followed."""
    try:
        sa, sb = os.lstat(a), os.lstat(b)
    except OSError:
        return False
    return (sa.st_dev, sa.st_ino) == (sb.st_dev, sb.st_ino)


def contains(path: Path, marker: str, *, follow: bool) -> bool:
    """`marker` is in the regular file at `path` (through a symlink only when `follow`).

    Opened non-blocking, so a FIFO at the hook's name cannot hang the install.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | (0 if follow else getattr(os, "O_NOFOLLOW", 0))
    try:
        fd = os.open(path, flags)
    except OSError:
        return False
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return False
        with os.fdopen(os.dup(fd), "rb") as file:
            data = file.read(READ_LIMIT)
    except OSError:
        return False
    finally:
        os.close(fd)
    return marker.encode() in data


def write_executable(path: Path, text: str) -> None:
    """Write `text` to `path` atomically, mode 0755; a symlink at `path` is replaced, not followed."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".release-guard")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(text.encode())
            file.flush()
            os.fchmod(file.fileno(), MODE)
            os.fsync(file.fileno())
        Path(tmp).replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(tmp).unlink()
        raise


def move_no_replace(src: Path, dst: Path) -> None:
    """Move `src` to `dst`; FileExistsError if anything is at `dst`, which is never overwritten.

    A file or symlink is hard-linked to `dst` (link(2) fails when `dst` exists), then
    unlinked at `src` only if `src` is still that same file. A directory cannot be
    hard-linked: it is renamed after a check, and rename(2) of a directory fails onto
    anything but an empty directory, which release-guard never creates there.
    """
    if is_dir(src):
        _rename_after_check(src, dst)
        return
    try:
        os.link(src, dst, follow_symlinks=False)
    except NotImplementedError:  # no linkat(2): a link to a symlink cannot be made here
        _rename_after_check(src, dst)
        return
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK, errno.EXDEV):
            raise
        _rename_after_check(src, dst)  # a file system without hard links
        return
    if same_file(src, dst):
        src.unlink()


def _rename_after_check(src: Path, dst: Path) -> None:
    if present(dst):
        raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(dst))
    src.rename(dst)


def put_back(chained: Path, target: Path) -> None:
    """Put the moved-aside hook back at `target` (which holds ours), exactly as it was.

    A file or symlink replaces ours in one step; a directory cannot replace a file, so
    ours is removed first, then the directory renamed back.
    """
    if is_dir(chained):
        target.unlink()
        chained.rename(target)
    else:
        chained.replace(target)
