"""`[tool.release-guard]` in pyproject.toml, into one immutable record.

Precedence: command-line flags override `RELEASE_GUARD_*` environment variables, which
override the file, which overrides the defaults below.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, NamedTuple

from release_guard.errors import ConfigError

BUMP_POLICIES = ("on-change", "on-release")


class Config(NamedTuple):
    """The policies. A NamedTuple, not a dataclass: on the commit hook's path, importing
    dataclasses (and with it inspect) would cost 7 ms of a 50 ms budget."""

    tag_format: str = "v{version}"
    repository: str = "pypi"
    index_url: str = ""
    bump_policy: str = "on-change"
    release_files: tuple[str, ...] = ("src/**", "pyproject.toml", "setup.cfg", "setup.py")
    ignore_files: tuple[str, ...] = ("tests/**", "docs/**", "*.md")
    version_files: tuple[str, ...] = ()
    allow_older: bool = False
    projects: tuple[str, ...] = ()


_TYPES: dict[str, type] = {name: type(value) for name, value in Config._field_defaults.items()}


def key_of(field_name: str) -> str:
    return field_name.replace("_", "-")


def env_name(field_name: str) -> str:
    return "RELEASE_GUARD_" + field_name.upper()


KEYS = tuple(key_of(name) for name in Config._fields)


def _nearest(key: str) -> str:
    import difflib  # only on the error path

    match = difflib.get_close_matches(key.replace("_", "-"), KEYS, n=1, cutoff=0.5)
    return f"did you mean '{match[0]}'? " if match else ""


def _coerce(field_name: str, value: Any, where: str) -> Any:
    expected = _TYPES[field_name]
    key = key_of(field_name)
    if expected is tuple:
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(value)
        raise ConfigError(
            f"{where}: '{key}' must be a list of strings, got {value!r}",
            hint=f'write it as {key} = ["..."]',
        )
    if expected is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(
            f"{where}: '{key}' must be true or false, got {value!r}",
            hint=f"write it as {key} = true",
        )
    if not isinstance(value, str):
        raise ConfigError(
            f"{where}: '{key}' must be a string, got {value!r}", hint=f'write it as {key} = "..."'
        )
    return value


def _validate(config: Config, where: str) -> Config:
    if config.bump_policy not in BUMP_POLICIES:
        raise ConfigError(
            f"{where}: bump-policy {config.bump_policy!r} is not one of {', '.join(BUMP_POLICIES)}",
            hint='set bump-policy = "on-change" (the default) or "on-release"',
        )
    placeholders = re.findall(r"\{[^{}]*\}", config.tag_format)
    if placeholders.count("{version}") != 1 or placeholders.count("{name}") > 1 or any(
        p not in ("{version}", "{name}") for p in placeholders
    ):
        raise ConfigError(
            f"{where}: tag-format {config.tag_format!r} needs exactly one {{version}}, at most one "
            "{name}, and no other placeholder",
            hint='use e.g. tag-format = "v{version}" or "{name}-v{version}"',
        )
    return config


def from_table(table: Mapping[str, Any], where: str = "pyproject.toml") -> dict[str, Any]:
    """The file's values as field names, each type-checked; unknown keys are an error."""
    values: dict[str, Any] = {}
    section = f"{where} [tool.release-guard]"
    for key, value in table.items():
        field_name = key.replace("-", "_")
        if key not in KEYS:
            raise ConfigError(
                f"{section}: unknown key '{key}'",
                hint=f"{_nearest(key)}valid keys: {', '.join(KEYS)}",
            )
        values[field_name] = _coerce(field_name, value, section)
    return values


def _parse_env_value(field_name: str, raw: str) -> Any:
    expected = _TYPES[field_name]
    if expected is tuple:
        return [part.strip() for part in raw.split(",") if part.strip()]
    if expected is bool:
        lowered = raw.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off", ""):
            return False
        return raw
    return raw


def from_environ(environ: Mapping[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    known = {env_name(name): name for name in Config._fields}
    for var, raw in environ.items():
        if not var.startswith("RELEASE_GUARD_"):
            continue
        field_name = known.get(var)
        if field_name is None:
            continue  # RELEASE_GUARD_ALLOW_OFFLINE and RELEASE_GUARD_DEBUG belong to the CLI
        values[field_name] = _coerce(field_name, _parse_env_value(field_name, raw), var)
    return values


def load(
    table: Mapping[str, Any] | None,
    environ: Mapping[str, str],
    overrides: Mapping[str, Any] | None = None,
    where: str = "pyproject.toml",
) -> Config:
    """Defaults, then the file's table, then the environment, then flags."""
    if table is not None and not isinstance(table, Mapping):
        raise ConfigError(
            f"{where}: [tool.release-guard] must be a table", hint="write it as [tool.release-guard]"
        )
    values = from_table(table or {}, where)
    values.update(from_environ(environ))
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    return _validate(Config()._replace(**values), where)
