"""A version in Python source: a module-level assignment, read as text and evaluated by
`static_eval`; a version that only code can compute goes to the build backend."""

from __future__ import annotations

import re

from release_guard.errors import ProjectError
from release_guard.project.files import Files
from release_guard.project.model import Declaration, Source
from release_guard.tree import Tree, read_text


def _python_version(text: str, where: str, names: tuple[str, ...]) -> tuple[str, int] | None:
    """A module-level `NAME = "literal"` (or a statically computable expression)."""
    import ast

    from release_guard.static_eval import Unsupported, evaluate, module_assignments

    try:
        module = ast.parse(text, filename=where)
    except (RecursionError, MemoryError):
        return None  # too deeply nested to read as text: the caller asks the build backend
    except SyntaxError as exc:
        raise ProjectError(
            f"{where}:{exc.lineno}: invalid Python: {exc.msg}", hint=f"fix the syntax in {where}"
        ) from None
    assignments = module_assignments(module)
    for stmt in reversed(module.body):
        if isinstance(stmt, ast.Assign):
            targets, value = stmt.targets, stmt.value
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            targets, value = [stmt.target], stmt.value
        else:
            continue
        if any(isinstance(t, ast.Name) and t.id in names for t in targets):
            try:
                return evaluate(value, assignments), stmt.lineno
            except Unsupported:
                return None
    return None


def _is_literal(text: str, line: int) -> bool:
    source_line = text.splitlines()[line - 1]
    return bool(re.search(r"""=\s*(['"])[^'"]*\1\s*(#.*)?$""", source_line))


def read_python_version(
    tree: Tree, path: str, names: tuple[str, ...] = ("__version__",)
) -> Declaration | None:
    text = read_text(tree, path)
    if text is None:
        return None
    found = _python_version(text, tree.describe(path), names)
    if found is None:
        return None
    version, line = found
    detail = "" if _is_literal(text, line) else "computed from the module's text, not imported"
    return Declaration(version, Source(path, line, detail))


BACKEND_HINT = ("declare it as a literal, or allow the build backend: --backend or allow-backend = true "
                "in [tool.release-guard]")
# What setuptools reports for a project that declares no name or version: never a real answer.
PLACEHOLDERS = ("UNKNOWN", "0.0.0")


def computed(files: Files, path: str, what: str, expression: str = "__version__") -> Declaration:
    """The version is code: only the build backend can tell (the slow path).

    The backend runs the project's code, so it is asked only when that was allowed
    (`--backend`, RELEASE_GUARD_ALLOW_BACKEND, or the project's own allow-backend = true);
    otherwise this is a ProjectError naming the file and the expression."""
    if not files.allow_backend:
        raise ProjectError(
            f"{files.tree.describe(path)}: {expression} is computed by code that release-guard does "
            "not run", hint=BACKEND_HINT)
    from release_guard.backend import ask_backend

    version = ask_backend(files.tree)
    if version in PLACEHOLDERS or not version:
        raise ProjectError(
            f"{files.tree.describe(path)}: declares no name/version: the build backend reported "
            f"the placeholder version {version or '(none)'}",
            hint='declare the version in pyproject.toml ([project] version = "0.1.0")')
    return Declaration(version, Source(path, None, f"{what}; computed by the build backend"))
