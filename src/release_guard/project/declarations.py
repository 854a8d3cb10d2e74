"""Other places that declare the version and must agree with it: setup.cfg beside
pyproject.toml, the package's `__version__`, and the files listed in `version-files`."""

from __future__ import annotations

import re

from release_guard.project.files import Files, key_line
from release_guard.project.model import Declaration, Source
from release_guard.project.static import poetry_version
from release_guard.tree import Tree, read_text


def other_declarations(files: Files, name: str | None, primary: Declaration) -> list[Declaration]:
    """Literal versions elsewhere that must agree: setup.cfg beside pyproject, the package."""
    found = []
    poetry = poetry_version(files)  # Poetry 2 reads [project]; a stale [tool.poetry] version misleads
    if primary.source.path == "pyproject.toml" and poetry is not None and poetry != primary:
        found.append(poetry)
    cfg_version = files.cfg("metadata", "version")
    if primary.source.path != "setup.cfg" and cfg_version and not cfg_version.startswith(("attr:", "file:")):
        line = key_line(files.setup_cfg_text, "metadata", "version", "=:")
        found.append(Declaration(cfg_version, Source("setup.cfg", line)))
    return found + _package_declarations(files, name, primary)


def _package_declarations(files: Files, name: str | None, primary: Declaration) -> list[Declaration]:
    """A literal `__version__` in the package that must agree with the declared version."""
    if name is None:
        return []
    module = re.sub(r"[-_.]+", "_", name).lower()  # the import name it usually maps to
    found = []
    for root in (module, f"src/{module}"):
        for leaf in ("__init__.py", "__about__.py", "__version__.py", "_version.py", "version.py"):
            path = f"{root}/{leaf}"
            if path == primary.source.path:
                continue
            text = read_text(files.tree, path)
            if text is None or "__version__" not in text:
                continue
            literals = list(re.finditer(_LITERAL_DUNDER_VERSION, text, re.MULTILINE))
            if literals:  # a literal at module level; the last one is what Python keeps
                last = literals[-1]
                line = text.count("\n", 0, last.start()) + 1
                found.append(Declaration(last.group(2), Source(path, line)))
    return found


# `__version__ = "1.2.3"` at column 0 (module level), read without parsing the module: only
# literals must agree, and the AST would cost this hook 3 ms per run. The patterns here are
# compiled on first use (re caches them): compiling both at import cost 0.7 ms.
_LITERAL_DUNDER_VERSION = r"""^__version__\s*(?::\s*str\s*)?=\s*(['"])([^'"\n]+)\1\s*(?:#.*)?$"""


# `^[ \t]*`, not `^\s*`: that would rescan all the blank lines that follow from each line
# start, quadratic in a file of empty lines.
_VERSION_LINE = r"""^[ \t]*["']?(?:__version__|version|VERSION|release)["']?\s*[:=]\s*["']v?([^"'\s]+)["']"""


def read_version_file(tree: Tree, path: str) -> Declaration | None:
    """The first `version = "..."`-like line of a `version-files` entry."""
    text = read_text(tree, path)
    if text is None:
        return None
    match = re.search(_VERSION_LINE, text, re.MULTILINE)
    if match is None:
        return None
    line = text.count("\n", 0, match.start(1)) + 1
    return Declaration(match.group(1), Source(path, line, "version-files"))
