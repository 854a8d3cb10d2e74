"""hatchling: [tool.hatch.version] path (with its pattern)."""

from __future__ import annotations

import re

from release_guard.errors import ProjectError
from release_guard.project.files import Files, key_line
from release_guard.project.model import Declaration, Source
from release_guard.project.pysource import computed, read_python_version
from release_guard.tree import read_text

_HATCH_DEFAULT_PATTERN = r"""(?i)^(__version__|VERSION) *= *(['"])v?(?P<version>.+?)\2"""


def hatch_version(files: Files) -> Declaration | None:
    hatch = files.table("tool", "hatch", "version")
    path = hatch.get("path")
    if not isinstance(path, str):
        return None
    text = read_text(files.tree, path)
    if text is None:
        line = key_line(files.pyproject_text, "tool.hatch.version", "path")
        raise ProjectError(
            f"pyproject.toml:{line or ''}: [tool.hatch.version] path {path} does not exist",
            hint=f"create {path} or fix the path",
        )
    pattern = hatch.get("pattern")
    regex = pattern if isinstance(pattern, str) else _HATCH_DEFAULT_PATTERN
    match = re.search(regex, text, flags=re.MULTILINE)
    if match and "version" in match.groupdict():
        line = text.count("\n", 0, match.start("version")) + 1
        return Declaration(match.group("version"), Source(path, line))
    declaration = read_python_version(files.tree, path, ("__version__", "VERSION"))
    return declaration or computed(files, path, "[tool.hatch.version]")
