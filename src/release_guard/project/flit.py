"""flit: the module's `__version__`."""

from __future__ import annotations

from release_guard.errors import ProjectError
from release_guard.project.files import Files, key_line
from release_guard.project.model import Declaration
from release_guard.project.pysource import computed, read_python_version


def is_flit(files: Files) -> bool:
    return (files.string("build-system", "build-backend") or "").startswith("flit")


def flit_module(files: Files, name: str | None) -> str | None:
    """The module flit ships, as a path (`pkg`, `ns/pkg`): [tool.flit.module] name, else the
    project name with `-` as `_`; a name that is no dotted Python name is an error."""
    module = files.string("tool.flit.module", "name")
    if module is None:
        return name.replace("-", "_") if name else None
    if not all(part.isidentifier() for part in module.split(".")):
        line = key_line(files.pyproject_text, "tool.flit.module", "name")
        raise ProjectError(f"{files.tree.describe('pyproject.toml')}:{line or ''}: [tool.flit.module] name "
                           f"{module!r} is not a Python module name", hint="name the import package, "
                           'e.g. name = "mypkg"')
    return module.replace(".", "/")


def flit_version(files: Files, name: str | None) -> Declaration | None:
    if not is_flit(files):
        return None
    module = flit_module(files, name)
    if module is None:
        return None
    candidates = [f"{module}/__init__.py", f"src/{module}/__init__.py", f"{module}.py", f"src/{module}.py"]
    for path in candidates:
        declaration = read_python_version(files.tree, path)
        if declaration is not None:
            return declaration
        if files.tree.read_bytes(path) is not None:
            return computed(files, path, "flit module __version__")
    return None
