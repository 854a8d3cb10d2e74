"""setuptools: `attr:` and `file:` in setup.cfg or [tool.setuptools.dynamic], package-dir, and
literal `setup(...)` keywords in setup.py."""

from __future__ import annotations

import re
from collections.abc import Mapping

from release_guard.errors import ProjectError
from release_guard.project.files import Files, key_line
from release_guard.project.model import Declaration, Source
from release_guard.project.pysource import computed, read_python_version
from release_guard.tree import Tree, read_text


def _module_files(module: str, package_dirs: Mapping[str, str]) -> list[str]:
    """Candidate files for a dotted module, honouring setuptools' package-dir."""
    parts = module.split(".")
    roots = []
    for prefix_len in range(len(parts), -1, -1):
        key = ".".join(parts[:prefix_len])
        if key in package_dirs:
            base = package_dirs[key].strip("/")
            rest = parts[prefix_len:]
            roots.append("/".join([base, *rest]) if base else "/".join(rest))
            break
    roots += ["/".join(parts), "src/" + "/".join(parts)]
    files = []
    for root in dict.fromkeys(roots):
        files += [f"{root}.py", f"{root}/__init__.py"]
    return files


def from_attr(files: Files, attr: str, config_path: str, line: int | None) -> Declaration:
    module, _, name = attr.strip().rpartition(".")
    package_dirs = files.table("tool", "setuptools").get("package-dir") or {}
    if files.setup_cfg is not None and files.setup_cfg.has_option("options", "package_dir"):
        raw = files.setup_cfg.get("options", "package_dir", raw=True)
        for entry in raw.strip().splitlines():
            key, _, value = entry.partition("=")
            package_dirs[key.strip()] = value.strip()
    for candidate in _module_files(module, package_dirs):
        declaration = read_python_version(files.tree, candidate, (name,))
        if declaration is not None:
            return declaration
        if files.tree.read_bytes(candidate) is not None:
            return computed(files, candidate, f"attr: {attr}")
    raise ProjectError(
        f"{files.tree.describe(config_path)}:{line or ''}: version = attr: {attr} names a module "
        "that is not in the project",
        hint=f"check the module path, or create {module.replace('.', '/')}.py",
    )


def from_file(files: Files, path: str, config_path: str, line: int | None) -> Declaration:
    path = path.strip()  # `version = file: VERSION` leaves a space before the name
    text = read_text(files.tree, path)
    if text is None:
        raise ProjectError(
            f"{files.tree.describe(config_path)}:{line or ''}: the version file {path} does not exist",
            hint=f"create {path} or fix the path in {config_path}",
        )
    return Declaration(text.strip(), Source(path.strip(), 1, "whole file"))


def setuptools_dynamic(files: Files) -> Declaration | None:
    spec = files.table("tool", "setuptools", "dynamic").get("version")
    line = key_line(files.pyproject_text, "tool.setuptools.dynamic", "version")
    if isinstance(spec, dict) and isinstance(spec.get("attr"), str):
        return from_attr(files, spec["attr"], "pyproject.toml", line)
    if isinstance(spec, dict) and spec.get("file"):
        paths = spec["file"] if isinstance(spec["file"], list) else [spec["file"]]
        return from_file(files, str(paths[0]), "pyproject.toml", line)
    return None


def setup_py_literal(tree: Tree, keyword: str) -> tuple[str, Source] | None:
    """A literal `keyword="..."` argument in setup.py (the first one)."""
    text = read_text(tree, "setup.py")
    match = re.search(rf"""\b{keyword}\s*=\s*(['"])([^'"\n]+)\1""", text) if text else None
    if text is None or match is None:
        return None
    return match.group(2), Source("setup.py", text.count("\n", 0, match.start()) + 1)


def setup_py(files: Files) -> tuple[Declaration | None, str | None]:
    """`setup(version="...")` as a literal, or `use_scm_version` (setuptools-scm)."""
    text = read_text(files.tree, "setup.py")
    if text is None:
        return None, None
    if "use_scm_version" in text:
        return None, "setuptools-scm"
    found = setup_py_literal(files.tree, "version")
    return (Declaration(*found), None) if found else (None, None)
