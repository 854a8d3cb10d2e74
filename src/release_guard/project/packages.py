"""What the distributions ship, as project-relative patterns (`mypkg/**`, `mymod.py`) for the
default release-files: the packages the build backend would find.

Read from the configuration (flit's module, setuptools' packages / package-dir / `where`,
hatch's and poetry's packages, maturin's sources) or, without any, by probing the few files
an auto-discovering backend would find for the project's import name: the tree is never
listed, so the hook pays a handful of blob reads.
"""

from __future__ import annotations

import posixpath
import re

from release_guard.project.files import Files
from release_guard.project.flit import flit_module, is_flit
from release_guard.project.maturin import is_maturin
from release_guard.project.model import Declaration
from release_guard.project.setuptools import find_where, package_dirs
from release_guard.tree import OutsideProject, contained

_GLOB = r"[*?\[]"  # compiled on first use (re caches it)


def _folder(path: str) -> str:
    """`path/**`, or the path itself when it is a module file or a glob pattern."""
    path = path.strip().rstrip("/")
    return path if path.endswith(".py") or re.search(_GLOB, path) else f"{path}/**"


def _inside(paths: list[str]) -> list[str]:
    """Only the patterns that stay inside the project (the readers report the others)."""
    kept = []
    for path in paths:
        try:
            kept.append(contained(path))
        except OutsideProject:
            continue
    return kept


def _exists(files: Files, path: str) -> bool:
    try:
        return files.tree.read_bytes(path) is not None
    except OutsideProject:
        return False


def _module(files: Files, module: str) -> str | None:
    """Where an import name lives: src/ or the project root, as a package or a module."""
    for candidate, pattern in ((f"src/{module}/__init__.py", f"src/{module}/**"),
                               (f"src/{module}.py", f"src/{module}.py"),
                               (f"{module}/__init__.py", f"{module}/**"),
                               (f"{module}.py", f"{module}.py")):
        if _exists(files, candidate):
            return pattern
    return None


def _setuptools(files: Files) -> list[str]:
    dirs = package_dirs(files)
    found = [_folder(w) for w in find_where(files)]
    found += [_folder(folder) for folder in dirs.values() if folder not in ("", ".")]
    root = dirs.get("", "")
    listed = files.table("tool", "setuptools").get("packages")
    names = list(listed) if isinstance(listed, list) else []
    cfg_packages = files.cfg("options", "packages") or ""
    if not cfg_packages.startswith("find"):
        names += [p.strip() for p in re.split(r"[,\n]", cfg_packages) if p.strip()]
    for name in names:
        top = name.split(".")[0]
        found.append(_folder(dirs.get(top) or posixpath.join(root, top)))
    modules = files.strings("tool.setuptools", "py-modules") or []
    modules += [m.strip() for m in re.split(r"[,\n]", files.cfg("options", "py_modules") or "") if m.strip()]
    found += [posixpath.join(root, f"{module}.py") for module in modules]
    return found


def _hatch_poetry_pdm(files: Files) -> list[str]:
    found = [_folder(p) for p in files.strings("tool.hatch.build.targets.wheel", "packages") or []]
    packages = files.table("tool", "poetry").get("packages")
    for entry in packages if isinstance(packages, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("include"), str):
            source = entry["from"] if isinstance(entry.get("from"), str) else ""
            found.append(_folder(posixpath.join(source, entry["include"])))
    pdm_dir = files.table("tool", "pdm", "build").get("package-dir")
    if isinstance(pdm_dir, str) and pdm_dir not in ("", "."):
        found.append(_folder(pdm_dir))
    return found


def _configured(files: Files, name: str | None) -> list[str]:
    """The packages the configuration names."""
    if is_maturin(files):
        source = files.table("tool", "maturin").get("python-source")
        return ["src/**", "Cargo.toml", *([_folder(source)] if isinstance(source, str) else [])]
    if is_flit(files):
        module = flit_module(files, name)
        found = _module(files, module) if module else None
        return [found] if found else []
    return _setuptools(files) + _hatch_poetry_pdm(files)


def _probed(files: Files, name: str | None, declaration: Declaration | None) -> list[str]:
    """What auto-discovery finds: the package that holds the version, or the import name."""
    found = []
    if declaration is not None and "/" in declaration.source.path:
        found.append(declaration.source.path.split("/", 1)[0] + "/**")
    elif declaration is not None and declaration.source.path.endswith(".py") and \
            declaration.source.path != "setup.py":
        found.append(declaration.source.path)
    if name is not None:
        module = _module(files, re.sub(r"[-_.]+", "_", name).lower())
        found += [module] if module else []
    # a src layout: discovery (setuptools' find, hatch, pdm) ships every package under src/
    return ["src/**" if p.startswith("src/") else p for p in found]


def shipped(files: Files, name: str | None, declaration: Declaration | None) -> tuple[str, ...]:
    """Patterns for what the distributions ship; () when it cannot be told."""
    found = _configured(files, name) or _probed(files, name, declaration)
    return tuple(dict.fromkeys(_inside(found)))
