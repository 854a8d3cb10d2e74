"""hatchling: [tool.hatch.version] path, with its pattern (the regex source) or its
expression (the code source)."""

from __future__ import annotations

import re
import signal
from typing import Any

from release_guard.errors import ProjectError
from release_guard.project.files import Files, key_line
from release_guard.project.model import Declaration, Source
from release_guard.project.pysource import computed, read_python_version
from release_guard.tree import read_text

_HATCH_DEFAULT_PATTERN = re.compile(r"""(?i)^(__version__|VERSION) *= *(['"])v?(?P<version>.+?)\2""",
                                    re.MULTILINE)
_SECTION = "tool.hatch.version"
MAX_VERSION_FILE = 1 << 20  # bytes: a version file is small; the project's regex runs on all of it
PATTERN_SECONDS = 0.5  # how long the project's own pattern may search


class _TooSlow(Exception):
    """The project's pattern did not finish in time."""


def _search(regex: re.Pattern[str], text: str) -> re.Match[str] | None:
    """hatch's search (the whole file, MULTILINE), stopped after PATTERN_SECONDS.

    A pattern such as `^(a+)+$` backtracks for hours on a line of `a`s, and hatch would hang
    as well. Python's regex engine checks for signals as it runs, so a SIGALRM ends the
    search. Where no timer can be set (Windows, or not the main thread) the pattern runs on
    each line of up to 500 characters instead, which is where a version line is; that bounds
    the input but not an exponential pattern."""
    if not _can_time():
        lines = (line for line in text.splitlines() if len(line) <= 500)
        return next((m for m in map(regex.search, lines) if m), None)
    armed = [True]

    def on_alarm(signum: int, frame: Any) -> None:
        if armed[0]:  # not once the search is over: the alarm may land in `finally`
            raise _TooSlow

    previous = signal.signal(signal.SIGALRM, on_alarm)
    try:
        signal.setitimer(signal.ITIMER_REAL, PATTERN_SECONDS)
        return regex.search(text)
    finally:
        armed[0] = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, signal.SIG_DFL if previous is None else previous)


def _can_time() -> bool:
    """Whether a SIGALRM timer is ours to set: Unix, the main thread, no timer running."""
    import threading  # already imported by subprocess (git.py)

    return (hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
            and signal.getitimer(signal.ITIMER_REAL)[0] == 0)


def _pattern(files: Files, pattern: str, origin: str) -> re.Pattern[str]:
    try:
        regex = re.compile(pattern, re.MULTILINE)
    except (re.error, RecursionError, OverflowError) as exc:
        raise ProjectError(f"{origin}: pattern is not a valid regular expression: {exc}",
                           hint="fix the pattern in [tool.hatch.version]") from None
    if "version" not in regex.groupindex:
        raise ProjectError(f"{origin}: pattern has no group named version",
                           hint="mark the version in the pattern with (?P<version>...)")
    return regex


def hatch_version(files: Files) -> Declaration | None:
    path = files.string(_SECTION, "path")
    if path is None:
        return None
    source = files.string(_SECTION, "source") or "regex"
    where = files.tree.describe("pyproject.toml")
    line = key_line(files.pyproject_text, _SECTION, "path")
    origin = f"{where}:{line or ''}: [tool.hatch.version] path"
    text = read_text(files.tree, path, origin=origin)
    if text is None:
        raise ProjectError(f"{where}:{line or ''}: [tool.hatch.version] path {path} does not exist",
                           hint=f"create {path} or fix the path")
    if source == "code":  # hatch runs the file and evaluates `expression`
        expression = files.string(_SECTION, "expression") or "__version__"
        names = (expression,) if expression.isidentifier() else ()
        declaration = read_python_version(files.tree, path, names) if names else None
        return declaration or computed(files, path, "[tool.hatch.version] source = code", expression)
    pattern = files.string(_SECTION, "pattern")
    if len(text) > MAX_VERSION_FILE:
        raise ProjectError(f"{files.tree.describe(path)}: larger than {MAX_VERSION_FILE >> 20} MiB, too "
                           "large for a version file", hint="point [tool.hatch.version] path at the "
                           "file that holds only the version")
    if pattern:
        pattern_line = key_line(files.pyproject_text, _SECTION, "pattern")
        pattern_origin = f"{where}:{pattern_line or ''}: [tool.hatch.version]"
        try:
            match = _search(_pattern(files, pattern, pattern_origin), text)
        except _TooSlow:
            raise ProjectError(f"{pattern_origin}: pattern took more than {PATTERN_SECONDS:g} s on {path} "
                               "(it backtracks too much)", hint="simplify the pattern, e.g. "
                               "^__version__ = \"(?P<version>[^\"]+)\"") from None
        if match is None:
            raise ProjectError(f"{pattern_origin}: pattern does not match {path}",
                               hint="fix the pattern or the version line in the file")
    else:
        match = _HATCH_DEFAULT_PATTERN.search(text)
    if match:
        line = text.count("\n", 0, match.start("version")) + 1
        return Declaration(match.group("version"), Source(path, line))
    declaration = read_python_version(files.tree, path, ("__version__", "VERSION"))
    return declaration or computed(files, path, "[tool.hatch.version]")
