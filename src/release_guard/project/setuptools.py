"""setuptools: `attr:` and `file:` in setup.cfg or [tool.setuptools.dynamic], package-dir,
packages.find's `where`, and literal `setup(...)` keywords in setup.py."""

from __future__ import annotations

import re
from typing import Any

from release_guard.errors import ProjectError
from release_guard.project.files import Files, key_line
from release_guard.project.model import Declaration, Source
from release_guard.project.pysource import computed, read_python_version
from release_guard.tree import OutsideProject, Tree, contained, read_text


def _inside(files: Files, path: str, origin: str) -> str:
    """`path` from the project's configuration, normalized; an error when it leaves the project."""
    try:
        return contained(path)
    except OutsideProject as exc:
        raise exc.given_by(origin) from None


def _cfg_list(files: Files, section: str, key: str) -> list[str]:
    """A setup.cfg value that setuptools reads as a list: comma- or line-separated."""
    value = files.cfg(section, key)
    return [part.strip() for part in re.split(r"[,\n]", value or "") if part.strip()]


def package_dirs(files: Files) -> dict[str, str]:
    """setuptools' package-dir ({package: folder}, "" for the root), from pyproject.toml and
    setup.cfg; every folder is checked to stay inside the project."""
    raw = files.table("tool", "setuptools").get("package-dir")
    if raw is not None and not isinstance(raw, dict):
        raise files.wrong_type("tool.setuptools", "package-dir", raw, "a table of folders")
    for key, value in (raw or {}).items():
        if not isinstance(value, str):
            raise files.wrong_type("tool.setuptools", "package-dir", value, "a string",
                                   f'package-dir "{key}"')
    found: dict[str, str] = {}
    origin = f"{files.tree.describe('pyproject.toml')}: [tool.setuptools] package-dir"
    for key, value in (raw or {}).items():
        found[key] = _inside(files, value, origin)
    cfg = files.cfg("options", "package_dir")
    if cfg is not None:
        origin = f"{files.tree.describe('setup.cfg')}: [options] package_dir"
        for entry in cfg.splitlines():
            key, sep, value = entry.partition("=")
            if sep:
                found.setdefault(key.strip(), _inside(files, value.strip(), origin))
    return found


def find_where(files: Files) -> list[str]:
    """The folders setuptools' package discovery searches (`packages.find` `where`)."""
    packages = files.table("tool", "setuptools").get("packages")
    where: list[str] = []
    if isinstance(packages, dict):
        find = packages.get("find", {})
        if not isinstance(find, dict):
            raise files.wrong_type("tool.setuptools", "packages", find, "a table", "packages.find")
        where = files.strings("tool.setuptools.packages.find", "where") or []
    elif packages is not None and not (isinstance(packages, list)
                                       and all(isinstance(p, str) for p in packages)):
        raise files.wrong_type("tool.setuptools", "packages", packages, "an array of strings or a table")
    where += _cfg_list(files, "options.packages.find", "where")
    origin = f"{files.tree.describe('pyproject.toml')}: [tool.setuptools.packages.find] where"
    return [w for w in (_inside(files, w, origin) for w in where) if w != "."]


def _module_files(module: str, dirs: dict[str, str], where: list[str]) -> list[str]:
    """Candidate files for a dotted module, honouring setuptools' package-dir and `where`."""
    parts = module.split(".")
    roots = []
    for prefix_len in range(len(parts), -1, -1):
        key = ".".join(parts[:prefix_len])
        if key in dirs:
            base = dirs[key].rstrip("/")
            rest = parts[prefix_len:]
            roots.append("/".join([base, *rest]) if base not in ("", ".") else "/".join(rest))
            break
    roots += ["/".join([w, *parts]) for w in where]
    roots += ["/".join(parts), "src/" + "/".join(parts)]
    files = []
    for root in dict.fromkeys(roots):
        files += [f"{root}.py", f"{root}/__init__.py"]
    return files


def attr_module(attr: str, where: str) -> tuple[str, str]:
    """(module, attribute) of an `attr:` value; a value that is no dotted name is an error."""
    module, _, name = attr.strip().rpartition(".")
    parts = (module or "__init__").split(".")
    if not all(part.isidentifier() for part in [*parts, name]):
        raise ProjectError(f"{where}: attr: {attr.strip()} is not a dotted Python name (package.module.NAME)",
                           hint="name the attribute that holds the version, e.g. attr: mypkg.__version__")
    return module or "__init__", name


def from_attr(files: Files, attr: str, config_path: str, line: int | None) -> Declaration:
    where = f"{files.tree.describe(config_path)}:{line or ''}"
    module, name = attr_module(attr, where)
    origin = f"{where}: version = attr: {attr.strip()} looks in"
    for candidate in _module_files(module, package_dirs(files), find_where(files)):
        try:
            declaration = read_python_version(files.tree, candidate, (name,))
        except OutsideProject as exc:  # a package-dir or module reached through a symlink out
            raise exc.given_by(origin) from None
        if declaration is not None:
            return declaration
        if files.tree.read_bytes(candidate) is not None:
            return computed(files, candidate, f"attr: {attr.strip()}", name)
    raise ProjectError(
        f"{where}: version = attr: {attr.strip()} names a module that is not in the project",
        hint=f"check the module path, or create {module.replace('.', '/')}.py",
    )


def from_file(files: Files, path: str, config_path: str, line: int | None) -> Declaration:
    path = path.strip()  # `version = file: VERSION` leaves a space before the name
    where = f"{files.tree.describe(config_path)}:{line or ''}"
    text = read_text(files.tree, path, origin=f"{where}: version = file")
    if text is None:
        raise ProjectError(
            f"{where}: the version file {path} does not exist",
            hint=f"create {path} or fix the path in {config_path}",
        )
    return Declaration(text.strip(), Source(contained(path), 1, "whole file"))


def setuptools_dynamic(files: Files) -> Declaration | None:
    spec: Any = files.table("tool", "setuptools", "dynamic").get("version")
    if spec is None:
        return None
    section = "tool.setuptools.dynamic"
    if not isinstance(spec, dict):
        raise files.wrong_type(section, "version", spec, "a table ({attr = ...} or {file = ...})")
    line = key_line(files.pyproject_text, section, "version")
    attr, file = spec.get("attr"), spec.get("file")
    if attr is not None:
        if not isinstance(attr, str):
            raise files.wrong_type(section, "version", attr, "a string", "version.attr")
        return from_attr(files, attr, "pyproject.toml", line)
    if file is not None:
        paths = [file] if isinstance(file, str) else file
        if not (isinstance(paths, list) and paths and all(isinstance(p, str) for p in paths)):
            raise files.wrong_type(section, "version", file, "a string or a non-empty array of strings",
                                   "version.file")
        return from_file(files, paths[0], "pyproject.toml", line)
    raise ProjectError(f"{files.tree.describe('pyproject.toml')}:{line or ''}: [tool.setuptools.dynamic] "
                       "version names neither attr nor file",
                       hint='write version = {attr = "mypkg.__version__"} or version = {file = "VERSION"}')


def setup_py_literal(tree: Tree, keyword: str) -> tuple[str, Source] | None:
    """A literal `keyword="..."` argument in setup.py (the first one). Only a whole argument:
    a string that goes on (`'1.' + '0'`, `"1" "0"`, `'{}'.format(v)`) is no literal."""
    text = read_text(tree, "setup.py")
    match = re.search(rf"""\b{keyword}\s*=\s*(['"])([^'"\n]+)\1(?=[ \t]*(?:[,)#]|\n|$))""",
                      text) if text else None
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
