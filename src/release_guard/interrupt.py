"""Interruptions: SIGINT, SIGTERM and SIGHUP end release-guard and everything it started.

Every child release-guard starts runs in a process group of its own (git.OWN_GROUP),
so the terminal's Ctrl-C reaches only release-guard, which forwards it: each registered
group gets SIGTERM, then SIGKILL after GRACE seconds; then `Interrupted` is raised in the
main thread, so every `with` block (temporary folders, build's isolated environment)
unwinds. The CLI's error boundary (cli.main) removes any registered temporary folder still
there, prints one line and exits 128 + the signal's number (130, 143, 129).

Importing this module costs little (signal is imported by subprocess already); the commit
hook's fast path (`check-version`) imports it only when it runs the build backend.
Modules that start children look it up in sys.modules (`registry()`) instead of importing
it, so that a command which never installed the handlers pays nothing.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import subprocess
    from types import FrameType

# Windows has no SIGHUP, no process groups to end (os.killpg) and no os.WNOHANG: there the
# handlers are not installed, and Ctrl-C stays Python's KeyboardInterrupt (cli.main: 130)
_NAMES: dict[int, str] = {getattr(signal, name): name for name in ("SIGINT", "SIGTERM", "SIGHUP")
                          if hasattr(signal, name)}
SIGNALS = tuple(_NAMES)
SUPPORTED = hasattr(os, "killpg") and hasattr(os, "WNOHANG")
GRACE = 2.0  # seconds between SIGTERM and SIGKILL

_groups: dict[int, bool] = {}  # pid of a child -> it leads a process group of its own
_temp_dirs: list[str] = []
_previous: dict[int, Any] = {}
_doing: list[str] = []  # what is being done, innermost last ("while <what>")
_received: list[int] = []


class Interrupted(BaseException):
    """Raised in the main thread by the handler, after the children are gone. A BaseException:
    no `except Exception` on the way up may take it for an error of its own. `message`, when
    set (release sets it: what reached the index), replaces the generic line."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum
        self.message = ""
        self.doing = _doing[-1] if _doing else "running"  # as the signal came: blocks unwind

    @property
    def exit_code(self) -> int:
        return 128 + self.signum

    def line(self) -> str:
        if self.message:
            return f"release-guard: {self.message}"
        return f"release-guard: interrupted ({_NAMES.get(self.signum, str(self.signum))}) while {self.doing}"


def install(what: str) -> None:
    """Install the handlers (idempotent; main thread only, else nothing is done)."""
    if not _doing:
        _doing.append(what)
    if _previous or not SUPPORTED:
        return
    with contextlib.suppress(ValueError):  # not the main thread: an embedding caller's business
        for signum in SIGNALS:
            _previous[signum] = signal.signal(signum, _handle)


def uninstall() -> None:
    """Put back the handlers that were there (main() returns to its in-process caller)."""
    for signum, handler in _previous.items():
        with contextlib.suppress(ValueError, TypeError):
            signal.signal(signum, handler)
    _previous.clear()
    _doing.clear()
    _received.clear()
    _groups.clear()  # a PID kept past its process could name another process one day
    _temp_dirs.clear()


def installed() -> bool:
    return bool(_previous)


@contextlib.contextmanager
def doing(what: str) -> Iterator[None]:
    """`while <what>` in the interruption's line, for the time of the block."""
    _doing.append(what)
    try:
        yield
    finally:
        if _doing and _doing[-1] == what:
            _doing.pop()


def register(proc: subprocess.Popen[Any], own_group: bool = True) -> None:
    """A child started in a process group of its own (git.OWN_GROUP): its group is ended on a
    signal. (Without one — twine asking for a password at a terminal — the child alone.)"""
    _groups[proc.pid] = own_group


def unregister(proc: subprocess.Popen[Any]) -> None:
    _groups.pop(proc.pid, None)


def communicate(command: Sequence[str], **popen: Any) -> tuple[int, Any, Any]:
    """Run `command` to its end in a process group of its own, registered meanwhile:
    (exit code, stdout, stderr) as Popen.communicate gives them."""
    import subprocess

    from release_guard.git import OWN_GROUP

    with subprocess.Popen(command, **OWN_GROUP, **popen) as proc:
        register(proc)
        try:
            out, err = proc.communicate()
        finally:
            unregister(proc)
    return proc.returncode, out, err


@contextlib.contextmanager
def temp_dir(prefix: str) -> Iterator[str]:
    """A temporary folder, removed when the block ends, and by the handler on a signal
    (a child ended by a signal leaves its files there: build's environment, pip's)."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix=prefix) as path:
        register_temp_dir(path)
        try:
            yield path
        finally:
            unregister_temp_dir(path)


def register_temp_dir(path: str) -> None:
    _temp_dirs.append(path)


def unregister_temp_dir(path: str) -> None:
    with contextlib.suppress(ValueError):
        _temp_dirs.remove(path)


def registry() -> Any:
    """This module if the handlers are installed, else None: how git.py and the others reach
    it without importing it (see the module's docstring)."""
    module = sys.modules.get(__name__)
    return module if module is not None and _previous else None


def _handle(signum: int, frame: FrameType | None) -> None:
    if _received:  # a second signal while the first is handled: the first one's exit stands
        return
    _received.append(signum)
    end_children()
    raise Interrupted(signum)


def _processes() -> Iterator[tuple[int, str, int, int]]:
    """(pid, state, parent pid, process group) of every process, from /proc; none elsewhere."""
    from pathlib import Path

    with contextlib.suppress(OSError):
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                with contextlib.suppress(OSError, IndexError, ValueError):
                    fields = (entry / "stat").read_text("ascii", "replace").rpartition(")")[2].split()
                    yield int(entry.name), fields[0], int(fields[1]), int(fields[2])


def _children_by_parent() -> list[int]:
    """Our direct children that are in no registered group (a child that a library started
    without a session of its own: build's pip install), and every process they started (pip
    runs itself again in build's environment: ended, it would leave that one running), from
    /proc; [] elsewhere."""
    me = os.getpid()
    table = [(pid, ppid) for pid, state, ppid, _ in _processes() if state != "Z"]
    found = [pid for pid, ppid in table if ppid == me and pid not in _groups]
    for parent in found:  # grows as it goes: the children's children, and theirs
        found += [pid for pid, ppid in table if ppid == parent and pid not in found]
    return found


def _reap(pid: int) -> bool:
    """True once `pid` has ended: our child, reaped; another process, gone or a zombie."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return _ended(pid)
    return done == pid


def _ended(pid: int) -> bool:
    """A process that is not our child (any more): no live process has its PID."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return stat.read().rpartition(")")[2].split()[0] == "Z"
    except (OSError, IndexError):
        return not os.path.isdir("/proc/self")  # gone from /proc; elsewhere alive, as far as we know


def _group_alive(pgid: int) -> bool:
    if not _groups.get(pgid, True):
        return False  # a child in our own group: reaped is gone
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return _live_members(pgid)


def _kill(pid: int, signum: int) -> None:
    with contextlib.suppress(OSError):
        if _groups.get(pid, False):
            os.killpg(pid, signum)
        else:
            os.kill(pid, signum)


def _live_members(pgid: int) -> bool:
    """Some member of the group is not a zombie (PID 1 may be slow or unwilling to reap)."""
    if not os.path.isdir("/proc/self"):
        return True
    return any(group == pgid and state != "Z" for _, state, _, group in _processes())


def end_children() -> None:
    """SIGTERM to every registered group and to our other children, SIGKILL after GRACE."""
    groups = list(_groups)
    loose = _children_by_parent()
    for pid in groups + loose:
        _kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + GRACE
    while True:
        groups = [g for g in groups if not (_reap(g) and not _group_alive(g))]
        loose = [p for p in loose if not _reap(p)]
        if (not groups and not loose) or time.monotonic() >= deadline:
            break
        time.sleep(0.02)
    for pid in groups + loose:
        _kill(pid, signal.SIGKILL)
    stop = time.monotonic() + 0.5
    while (groups or loose) and time.monotonic() < stop:  # reap what SIGKILL ended
        groups = [g for g in groups if not _reap(g)]
        loose = [p for p in loose if not _reap(p)]
        time.sleep(0.01)
    _groups.clear()


def remove_temp_dirs() -> None:
    import shutil

    for path in reversed(_temp_dirs):
        shutil.rmtree(path, ignore_errors=True)
    _temp_dirs.clear()
