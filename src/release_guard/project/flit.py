"""flit: the module's `__version__`."""

from __future__ import annotations

from release_guard.project.files import Files
from release_guard.project.model import Declaration
from release_guard.project.pysource import computed, read_python_version


def flit_module(files: Files, name: str | None) -> Declaration | None:
    backend = str(files.table("build-system").get("build-backend", ""))
    if not backend.startswith("flit") or name is None:
        return None
    module = files.table("tool", "flit", "module").get("name") or name.replace("-", "_")
    candidates = [f"{module}/__init__.py", f"src/{module}/__init__.py", f"{module}.py", f"src/{module}.py"]
    for path in candidates:
        declaration = read_python_version(files.tree, path)
        if declaration is not None:
            return declaration
        if files.tree.read_bytes(path) is not None:
            return computed(files, path, "flit module __version__")
    return None
