"""The project's name and version, from every source a build backend would use.

Everything is read as text from a Tree; no user code is imported or run. The one
exception is a version that only code can compute, which is asked of the build backend
(`ask_backend`), and only when every text reader has failed.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from release_guard.errors import ProjectError
from release_guard.tree import Tree, read_text

if TYPE_CHECKING:
    import configparser

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

# Dynamic-version kinds, as `ProjectInfo.dynamic` reports them.
STATIC, FILE, COMPUTED, BACKEND, VCS = None, "file", "computed", "backend", "vcs"

_VCS_REQUIREMENTS = {
    "setuptools-scm": "setuptools-scm",
    "setuptools_scm": "setuptools-scm",
    "hatch-vcs": "hatch-vcs",
    "versioningit": "versioningit",
    "poetry-dynamic-versioning": "poetry-dynamic-versioning",
    "setuptools-git-versioning": "setuptools-git-versioning",
    "dunamai": "dunamai",
}
_HATCH_DEFAULT_PATTERN = r"""(?i)^(__version__|VERSION) *= *(['"])v?(?P<version>.+?)\2"""


class Source(NamedTuple):
    """Where a value was read: a project-relative path, a line, and how."""

    path: str
    line: int | None = None
    detail: str = ""

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where} ({self.detail})" if self.detail else where


class Declaration(NamedTuple):
    """One place that declares the version."""

    version: str
    source: Source


class ProjectInfo(NamedTuple):
    """What every command believes. NamedTuples here, not dataclasses: see findings.Finding."""

    name: str | None
    name_source: Source | None
    version: str | None
    version_source: Source | None
    dynamic: str | None = STATIC
    vcs_tool: str | None = None
    declarations: tuple[Declaration, ...] = ()
    tree_label: str = "working tree"
    config_table: Any = None  # the [tool.release-guard] table, as parsed

    @property
    def normalized_name(self) -> str | None:
        from packaging.utils import canonicalize_name  # packaging.utils costs 10 ms to import

        return canonicalize_name(self.name) if self.name else None

    @property
    def vcs_derived(self) -> bool:
        return self.dynamic == VCS


class _Files:
    """The parsed configuration files of one project state, read once."""

    def __init__(self, tree: Tree) -> None:
        self.tree = tree
        self.pyproject_text: str | None = None
        self.pyproject: dict[str, Any] = {}
        self.setup_cfg_text: str | None = None
        self.setup_cfg: configparser.ConfigParser | None = None

    @classmethod
    def read(cls, tree: Tree) -> _Files:
        files = cls(tree)
        files.pyproject_text = read_text(tree, "pyproject.toml")
        if files.pyproject_text is not None:
            files.pyproject = parse_toml(files.pyproject_text, tree.describe("pyproject.toml"))
        files.setup_cfg_text = read_text(tree, "setup.cfg")
        if files.setup_cfg_text is not None:
            files.setup_cfg = _parse_cfg(files.setup_cfg_text, tree.describe("setup.cfg"))
        return files

    def table(self, *keys: str) -> dict[str, Any]:
        node: Any = self.pyproject
        for key in keys:
            node = node.get(key) if isinstance(node, dict) else None
        return node if isinstance(node, dict) else {}

    def cfg(self, section: str, key: str) -> str | None:
        if self.setup_cfg is None or not self.setup_cfg.has_option(section, key):
            return None
        return self.setup_cfg.get(section, key, raw=True).strip()


def parse_toml(text: str, where: str) -> dict[str, Any]:
    try:
        parsed: dict[str, Any] = tomllib.loads(text)
    except RecursionError:
        raise ProjectError(f"{where}: nested too deeply to read", hint=f"simplify {where}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ProjectError(
            f"{where}: invalid TOML: {exc}", hint=f"fix the syntax in {where} at the place given"
        ) from None
    return parsed


def _parse_cfg(text: str, where: str) -> configparser.ConfigParser:
    import configparser

    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text, source=where)
    except configparser.Error as exc:
        first = str(exc).splitlines()[0]
        raise ProjectError(f"{where}: invalid setup.cfg: {first}", hint=f"fix {where}") from None
    return parser


def _header_of(line: str) -> str | None:
    stripped = line.strip()
    if not stripped.startswith("[") or stripped.startswith("[["):
        return None
    inner = stripped[1 : stripped.find("]")] if "]" in stripped else stripped[1:]
    return ".".join(part.strip().strip("\"'") for part in inner.split("."))


def key_line(text: str | None, section: str, key: str, sep: str = "=") -> int | None:
    """The 1-based line of `key` in `[section]` of a TOML or INI text, if it is there."""
    if text is None:
        return None
    pattern = re.compile(rf"""^\s*["']?{re.escape(key)}["']?\s*[{sep}]""")
    current = ""
    for number, line in enumerate(text.splitlines(), 1):
        header = _header_of(line)
        if header is not None:
            current = header
        elif current == section and pattern.match(line):
            return number
    return None


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


def _from_attr(files: _Files, attr: str, config_path: str, line: int | None) -> Declaration:
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
            return _computed(files, candidate, f"attr: {attr}")
    raise ProjectError(
        f"{files.tree.describe(config_path)}:{line or ''}: version = attr: {attr} names a module "
        "that is not in the project",
        hint=f"check the module path, or create {module.replace('.', '/')}.py",
    )


def _from_file(files: _Files, path: str, config_path: str, line: int | None) -> Declaration:
    path = path.strip()  # `version = file: VERSION` leaves a space before the name
    text = read_text(files.tree, path)
    if text is None:
        raise ProjectError(
            f"{files.tree.describe(config_path)}:{line or ''}: the version file {path} does not exist",
            hint=f"create {path} or fix the path in {config_path}",
        )
    return Declaration(text.strip(), Source(path.strip(), 1, "whole file"))


def _computed(files: _Files, path: str, what: str) -> Declaration:
    """The version is code: only the build backend can tell (the slow path)."""
    from release_guard.backend import ask_backend

    version = ask_backend(files.tree)
    return Declaration(version, Source(path, None, f"{what}; computed by the build backend"))


def _read_name(files: _Files) -> tuple[str, Source] | None:
    text = files.pyproject_text
    candidates: list[tuple[Any, str, str, str]] = [
        (files.table("project").get("name"), "pyproject.toml", "project", "name"),
        (files.table("tool", "poetry").get("name"), "pyproject.toml", "tool.poetry", "name"),
    ]
    for value, path, section, key in candidates:
        if isinstance(value, str) and value.strip():
            return value.strip(), Source(path, key_line(text, section, key))
    cfg_name = files.cfg("metadata", "name")
    if cfg_name:
        return cfg_name, Source("setup.cfg", key_line(files.setup_cfg_text, "metadata", "name", "=:"))
    return _setup_py_literal(files.tree, "name")


def _setup_py_literal(tree: Tree, keyword: str) -> tuple[str, Source] | None:
    """A literal `keyword="..."` argument in setup.py (the first one)."""
    text = read_text(tree, "setup.py")
    match = re.search(rf"""\b{keyword}\s*=\s*(['"])([^'"\n]+)\1""", text) if text else None
    if text is None or match is None:
        return None
    return match.group(2), Source("setup.py", text.count("\n", 0, match.start()) + 1)


def _static_version(files: _Files) -> Declaration | None:
    """A literal version in [project], [tool.poetry] or setup.cfg [metadata]."""
    project = files.table("project")
    if "version" in project and "version" not in (project.get("dynamic") or []):
        value = project["version"]
        if not isinstance(value, str):
            raise ProjectError(
                f"pyproject.toml:{key_line(files.pyproject_text, 'project', 'version') or ''}: "
                f"[project] version must be a string, got {value!r}",
                hint='write it as version = "1.2.3"',
            )
        line = key_line(files.pyproject_text, "project", "version")
        return Declaration(value, Source("pyproject.toml", line))
    poetry = files.table("tool", "poetry")
    if isinstance(poetry.get("version"), str) and not _poetry_dynamic(files):
        line = key_line(files.pyproject_text, "tool.poetry", "version")
        return Declaration(poetry["version"], Source("pyproject.toml", line))
    cfg_version = files.cfg("metadata", "version")
    if cfg_version:
        line = key_line(files.setup_cfg_text, "metadata", "version", "=:")
        if cfg_version.startswith("attr:"):
            return _from_attr(files, cfg_version[5:].strip(), "setup.cfg", line)
        if cfg_version.startswith("file:"):
            return _from_file(files, cfg_version[5:].split(",")[0], "setup.cfg", line)
        return Declaration(cfg_version, Source("setup.cfg", line))
    return None


def _poetry_dynamic(files: _Files) -> bool:
    return files.table("tool", "poetry-dynamic-versioning").get("enable") is True


def _requirement_names(files: _Files) -> set[str]:
    requires = files.table("build-system").get("requires") or []
    names = set()
    for req in requires:
        if isinstance(req, str):
            match = re.match(r"\s*([A-Za-z0-9._-]+)", req)
            if match:
                names.add(match.group(1).lower())
    return names


def _vcs_tool(files: _Files) -> str | None:
    """The tool that derives the version from git tags, if the project uses one."""
    if files.table("tool", "hatch", "version").get("source") == "vcs":
        return "hatch-vcs"
    if files.table("tool", "pdm", "version").get("source") == "scm":
        return "pdm-backend (scm)"
    if _poetry_dynamic(files):
        return "poetry-dynamic-versioning"
    for table in ("setuptools_scm", "setuptools-scm", "versioningit", "setuptools-git-versioning"):
        if table in files.pyproject.get("tool", {}):
            return _VCS_REQUIREMENTS.get(table, table)
    for requirement in _requirement_names(files):
        if requirement in _VCS_REQUIREMENTS:
            return _VCS_REQUIREMENTS[requirement]
    return None


def _hatch_version(files: _Files) -> Declaration | None:
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
    return declaration or _computed(files, path, "[tool.hatch.version]")


def _setuptools_dynamic(files: _Files) -> Declaration | None:
    spec = files.table("tool", "setuptools", "dynamic").get("version")
    line = key_line(files.pyproject_text, "tool.setuptools.dynamic", "version")
    if isinstance(spec, dict) and isinstance(spec.get("attr"), str):
        return _from_attr(files, spec["attr"], "pyproject.toml", line)
    if isinstance(spec, dict) and spec.get("file"):
        paths = spec["file"] if isinstance(spec["file"], list) else [spec["file"]]
        return _from_file(files, str(paths[0]), "pyproject.toml", line)
    return None


def _pdm_file(files: _Files) -> Declaration | None:
    pdm = files.table("tool", "pdm", "version")
    if pdm.get("source") == "file" and isinstance(pdm.get("path"), str):
        return read_python_version(files.tree, pdm["path"]) or _computed(
            files, pdm["path"], "[tool.pdm.version]")
    return None


def _flit_module(files: _Files, name: str | None) -> Declaration | None:
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
            return _computed(files, path, "flit module __version__")
    return None


def _cargo_version(files: _Files) -> Declaration | None:
    """maturin takes a dynamic version from Cargo.toml."""
    if not str(files.table("build-system").get("build-backend", "")).startswith("maturin"):
        return None
    text = read_text(files.tree, "Cargo.toml")
    if text is None:
        return None
    version = parse_toml(text, files.tree.describe("Cargo.toml")).get("package", {}).get("version")
    if isinstance(version, str):
        return Declaration(version, Source("Cargo.toml", key_line(text, "package", "version")))
    return None


def _setup_py(files: _Files) -> tuple[Declaration | None, str | None]:
    """`setup(version="...")` as a literal, or `use_scm_version` (setuptools-scm)."""
    text = read_text(files.tree, "setup.py")
    if text is None:
        return None, None
    if "use_scm_version" in text:
        return None, "setuptools-scm"
    found = _setup_py_literal(files.tree, "version")
    return (Declaration(*found), None) if found else (None, None)


def _declared_dynamic(files: _Files) -> bool:
    return "version" in (files.table("project").get("dynamic") or [])


def _dynamic_version(files: _Files, name: str | None) -> tuple[Declaration | None, str | None]:
    """(declaration, vcs tool): file-based dynamic sources first, then VCS tools."""
    for reader in (_hatch_version, _pdm_file, _setuptools_dynamic, _cargo_version):
        declaration = reader(files)
        if declaration is not None:
            return declaration, None
    declaration = _flit_module(files, name)
    if declaration is not None:
        return declaration, None
    tool = _vcs_tool(files)
    if tool is not None:
        return None, tool
    declaration, tool = _setup_py(files)
    return declaration, tool


def _kind(declaration: Declaration, primary_config: str) -> str | None:
    if "build backend" in declaration.source.detail:
        return BACKEND
    if declaration.source.detail.startswith("computed"):
        return COMPUTED
    return STATIC if declaration.source.path == primary_config else FILE


def _other_declarations(files: _Files, name: str | None, primary: Declaration) -> list[Declaration]:
    """Literal versions elsewhere that must agree: setup.cfg beside pyproject, the package."""
    found = []
    cfg_version = files.cfg("metadata", "version")
    if primary.source.path != "setup.cfg" and cfg_version and not cfg_version.startswith(("attr:", "file:")):
        line = key_line(files.setup_cfg_text, "metadata", "version", "=:")
        found.append(Declaration(cfg_version, Source("setup.cfg", line)))
    return found + _package_declarations(files, name, primary)


def _package_declarations(files: _Files, name: str | None, primary: Declaration) -> list[Declaration]:
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
            literals = list(_LITERAL_DUNDER_VERSION.finditer(text))
            if literals:  # a literal at module level; the last one is what Python keeps
                last = literals[-1]
                line = text.count("\n", 0, last.start()) + 1
                found.append(Declaration(last.group(2), Source(path, line)))
    return found


# `__version__ = "1.2.3"` at column 0 (module level), read without parsing the module: only
# literals must agree, and the AST would cost this hook 3 ms per run.
_LITERAL_DUNDER_VERSION = re.compile(
    r"""^__version__\s*(?::\s*str\s*)?=\s*(['"])([^'"\n]+)\1\s*(?:#.*)?$""", re.MULTILINE)


_VERSION_LINE = re.compile(
    r"""^\s*["']?(?:__version__|version|VERSION|release)["']?\s*[:=]\s*["']v?([^"'\s]+)["']""",
    re.MULTILINE,
)


def read_version_file(tree: Tree, path: str) -> Declaration | None:
    """The first `version = "..."`-like line of a `version-files` entry."""
    text = read_text(tree, path)
    if text is None:
        return None
    match = _VERSION_LINE.search(text)
    if match is None:
        return None
    line = text.count("\n", 0, match.start(1)) + 1
    return Declaration(match.group(1), Source(path, line, "version-files"))


def read_project(tree: Tree) -> ProjectInfo:
    """Name and version of the project in `tree`, with every declaration of the version."""
    files = _Files.read(tree)
    if files.pyproject_text is None and files.setup_cfg_text is None and tree.read_bytes("setup.py") is None:
        raise ProjectError(
            f"no pyproject.toml, setup.cfg or setup.py in the {tree.label} of {tree.describe('.')}",
            hint="run release-guard in the project's directory (or pass --project DIR)",
        )
    named = _read_name(files)
    name, name_source = named if named else (None, None)
    primary_config = _primary_config(files, name_source)
    vcs_tool = None
    declaration = None if _declared_dynamic(files) and files.cfg("metadata", "version") is None \
        else _static_version(files)
    if declaration is None:
        declaration, vcs_tool = _dynamic_version(files, name)
    if declaration is None and vcs_tool is None:
        declaration = _backend_fallback(files)
    if named is None and declaration is not None and declaration.source.detail.endswith("build backend"):
        from release_guard.backend import backend_name
        name = backend_name(tree)
        name_source = Source(declaration.source.path, None, "computed by the build backend")
    if declaration is None:
        where = "pyproject.toml" if _vcs_tool(files) else "setup.py"  # where the tool is configured
        source = Source(where, None, f"derived from VCS tags by {vcs_tool}")
        return ProjectInfo(name, name_source, None, source, VCS, vcs_tool, (), tree.label,
                           _config_table(files))
    declarations = [declaration, *_other_declarations(files, name, declaration)]
    return ProjectInfo(name, name_source, declaration.version, declaration.source,
                       _kind(declaration, primary_config), None, tuple(declarations), tree.label,
                       _config_table(files))


def _primary_config(files: _Files, name_source: Source | None) -> str:
    """The file that declares the project: where its name is, else the first one present."""
    if name_source is not None:
        return name_source.path
    if files.pyproject_text is not None:
        return "pyproject.toml"
    return "setup.cfg" if files.setup_cfg_text is not None else "setup.py"


def _config_table(files: _Files) -> Any:
    tool = files.pyproject.get("tool")
    return tool.get("release-guard") if isinstance(tool, dict) else None


def _backend_fallback(files: _Files) -> Declaration | None:
    if files.table("build-system") or files.tree.read_bytes("setup.py") is not None:
        return _computed(files, "pyproject.toml" if files.pyproject_text else "setup.py",
                         "no version declared as text")
    raise ProjectError(
        f"{files.tree.describe('pyproject.toml')}: declares no version "
        "([project] version, [tool.poetry] version, setup.cfg [metadata] version, or a dynamic source)",
        hint='add version = "0.1.0" to [project] in pyproject.toml',
    )
