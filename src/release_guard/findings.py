"""Findings and their three renderings: text, JSON and GitHub workflow commands."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from release_guard.record import Record

if TYPE_CHECKING:
    from typing import Literal, TextIO

    Severity = Literal["error", "warning", "info"]

FORMATS = ("text", "json", "github")


class Finding(Record):
    """One thing a check found; `error` findings fail the run (exit 1).

    Facts on the commit hook's path are Records: importing dataclasses (and with it
    inspect) costs 7 ms of the hook's budget, each NamedTuple class a few tenths of a
    millisecond more (benchmarks/README.md).
    """

    _fields = ("code", "message", "path", "line", "hint", "severity")
    __slots__ = _fields
    code: str
    message: str
    path: str
    line: int | None
    hint: str
    severity: Severity

    def __init__(self, code: str, message: str, path: str = "", line: int | None = None, hint: str = "",
                 severity: Severity = "error") -> None:
        self._set(code, message, path, line, hint, severity)

    def location(self) -> str:
        if not self.path:
            return ""
        return f"{self.path}:{self.line}" if self.line else self.path


def exit_code(findings: Iterable[Finding]) -> int:
    """0 when nothing failed, 1 when any finding is an error."""
    return 1 if any(f.severity == "error" for f in findings) else 0


def choose_format(requested: str | None, environ: Mapping[str, str]) -> str:
    """The explicit `--format` wins; GitHub Actions gets annotations by default."""
    if requested:
        return requested
    return "github" if environ.get("GITHUB_ACTIONS") == "true" else "text"


def use_color(stream: TextIO, environ: Mapping[str, str]) -> bool:
    """Colour only on a terminal, never with NO_COLOR set (https://no-color.org)."""
    if "NO_COLOR" in environ:
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


_COLORS = {"error": "\033[31m", "warning": "\033[33m", "info": "\033[36m"}
_RESET = "\033[0m"


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def visible(text: str) -> str:
    """`text` with control characters (LF, CR, ESC, ...) shown as escapes (`\\r`, `\\x1b`): a
    file name or a project's value can neither break the line nor drive the terminal."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


def render_text(findings: Iterable[Finding], *, color: bool = False) -> str:
    lines = []
    for f in findings:
        code = f"{_COLORS[f.severity]}{f.code}{_RESET}" if color else f.code
        label = "" if f.severity == "error" else f"{f.severity}: "
        where, message = visible(f.location()), visible(f.message)
        head = f"{where}: {code} {label}{message}" if where else f"{code} {label}{message}"
        lines.append(head)
        if f.hint:
            lines.append(f"  hint: {visible(f.hint)}")
    return "".join(line + "\n" for line in lines)


def render_json(findings: Iterable[Finding], **extra: object) -> str:
    import json

    items = list(findings)
    document = {**extra, "exit_code": exit_code(items), "findings": [f._asdict() for f in items]}
    return json.dumps(document, indent=2) + "\n"


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


_GITHUB_LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def render_github(findings: Iterable[Finding]) -> str:
    """Workflow commands: `::error file=F,line=N,title=RG101::message (hint: ...)`."""
    out = []
    for f in findings:
        props = []
        if f.path:
            props.append(f"file={_escape_property(f.path)}")
        if f.line:
            props.append(f"line={f.line}")
        props.append(f"title={_escape_property(f.code)}")
        text = f"{f.message} (hint: {f.hint})" if f.hint else f.message
        out.append(f"::{_GITHUB_LEVEL[f.severity]} {','.join(props)}::{_escape_data(text)}\n")
    return "".join(out)


def render(findings: Iterable[Finding], fmt: str, *, color: bool = False) -> str:
    if fmt == "json":
        return render_json(findings)
    if fmt == "github":
        return render_github(findings)
    return render_text(findings, color=color)
