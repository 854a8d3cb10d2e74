"""The project's configuration files of one state, parsed once: pyproject.toml and setup.cfg."""

from __future__ import annotations

import re
import sys
from typing import TYPE_CHECKING, Any

from release_guard.errors import ProjectError
from release_guard.tree import Tree, decode, read_text

if TYPE_CHECKING:
    import configparser

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]


_BOM = b"\xef\xbb\xbf"


class Files:
    """The parsed configuration files of one project state, read once."""

    def __init__(self, tree: Tree, allow_backend: bool = False) -> None:
        self.tree = tree
        self.allow_backend = allow_backend  # may a version that is code be asked of the backend
        self.pyproject_text: str | None = None
        self.pyproject: dict[str, Any] = {}
        self.setup_cfg_text: str | None = None
        self.setup_cfg: configparser.ConfigParser | None = None

    @classmethod
    def read(cls, tree: Tree, allow_backend: bool = False) -> Files:
        files = cls(tree, allow_backend)
        data = tree.read_bytes("pyproject.toml")
        if data is not None:
            where = tree.describe("pyproject.toml")
            if data.startswith(_BOM):  # tomllib, pip and build refuse it: so must we
                raise ProjectError(f"{where}: starts with a UTF-8 byte order mark, which pip and build "
                                   "refuse", hint="save pyproject.toml as UTF-8 without a BOM")
            files.pyproject_text = decode(tree, "pyproject.toml", data)
            files.pyproject = parse_toml(files.pyproject_text, where)
        files.setup_cfg_text = read_text(tree, "setup.cfg")
        if files.setup_cfg_text is not None:
            files.setup_cfg = _parse_cfg(files.setup_cfg_text, tree.describe("setup.cfg"))
        return files

    def table(self, *keys: str) -> dict[str, Any]:
        """The pyproject.toml table at `keys` ({} when absent); any other type is an error."""
        node: Any = self.pyproject
        for depth, key in enumerate(keys, 1):
            node = node.get(key)
            if node is None:
                return {}
            if not isinstance(node, dict):
                raise self.wrong_type(".".join(keys[: depth - 1]), key, node, "a table")
        return node  # type: ignore[no-any-return]

    def value(self, section: str, key: str, expected: type | tuple[type, ...], what: str) -> Any:
        """`key` of the table `section` (dotted), None when absent, else of type `expected`."""
        value = self.table(*section.split(".")).get(key)
        if value is not None and not isinstance(value, expected):
            raise self.wrong_type(section, key, value, what)
        return value

    def string(self, section: str, key: str) -> str | None:
        return self.value(section, key, str, "a string")  # type: ignore[no-any-return]

    def strings(self, section: str, key: str) -> list[str] | None:
        """An array of strings (None when absent); anything else is an error."""
        value = self.table(*section.split(".")).get(key)
        if value is not None and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            raise self.wrong_type(section, key, value, "an array of strings")
        return value

    def wrong_type(self, section: str, key: str, value: Any, what: str, label: str = "") -> ProjectError:
        """`pyproject.toml:7: [tool.hatch.version] path must be a string, not an integer`.

        `label` names the value when it is inside `key` (`version.attr`)."""
        line = key_line(self.pyproject_text, section, key)
        where = self.tree.describe("pyproject.toml") + (f":{line}" if line else "")
        name = f"[{section}] {label or key}" if section else label or key
        return ProjectError(f"{where}: {name} must be {what}, not {type_name(value)}",
                            hint=f"fix {name} in pyproject.toml")

    def cfg(self, section: str, key: str) -> str | None:
        if self.setup_cfg is None or not self.setup_cfg.has_option(section, key):
            return None
        return self.setup_cfg.get(section, key, raw=True).strip()


_TYPE_NAMES = ((bool, "a boolean"), (str, "a string"), (int, "an integer"), (float, "a float"),
               (dict, "a table"), (list, "an array"))


def type_name(value: Any) -> str:
    """The TOML name of a parsed value's type: `an integer`, `a table`, `an array of tables`."""
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return "an array of tables"
    return next((name for kind, name in _TYPE_NAMES if isinstance(value, kind)), "a date or time")


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
