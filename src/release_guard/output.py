"""Writing findings: what the flows and the command line share.

The flows (`version_guard`, `tag_guard`) render through here, never through `cli`, so
that no flow reaches back into the command line.
"""

from __future__ import annotations

import sys
from collections.abc import Collection, Mapping, Sequence

from release_guard.findings import Finding, choose_format, exit_code, render, use_color, visible


def printable(text: str) -> str:
    """Text safe to write: a non-UTF-8 file name (kept by git as surrogates) shows as U+FFFD."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def emit(findings: Sequence[Finding], requested_format: str | None, environ: Mapping[str, str],
         ok_line: str = "", ignore: Collection[str] = (), summary: str = "") -> int:
    """Write the findings (less the codes in `ignore`) and return the exit code they make.

    Text only: `ok_line` when nothing failed, then `summary` (last, whatever the outcome).
    """
    shown = [f for f in findings if f.code not in ignore]
    fmt = choose_format(requested_format, environ)
    text = render(shown, fmt, color=use_color(sys.stdout, environ))
    if fmt == "text" and ok_line and exit_code(shown) == 0:
        text += "".join(visible(line) + "\n" for line in ok_line.split("\n"))
    if fmt == "text" and summary:
        text += "".join(visible(line) + "\n" for line in summary.split("\n"))
    sys.stdout.write(printable(text))
    return exit_code(shown)
