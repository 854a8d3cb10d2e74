"""The project's configuration files of one state, parsed once: pyproject.toml and setup.cfg."""

from __future__ import annotations

import re
import sys
from typing import TYPE_CHECKING, Any

from release_guard.errors import ProjectError
from release_guard.tree import Tree, read_text

if TYPE_CHECKING:
    import configparser

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]


class Files:
    """The parsed configuration files of one project state, read once."""

    def __init__(self, tree: Tree) -> None:
        self.tree = tree
        self.pyproject_text: str | None = None
        self.pyproject: dict[str, Any] = {}
        self.setup_cfg_text: str | None = None
        self.setup_cfg: configparser.ConfigParser | None = None

    @classmethod
    def read(cls, tree: Tree) -> Files:
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
