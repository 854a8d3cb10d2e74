"""`[tool.release-guard]` in pyproject.toml, into one immutable record.

Precedence: command-line flags override `RELEASE_GUARD_*` environment variables, which
override the file, which overrides the defaults below.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from release_guard.errors import ConfigError
from release_guard.record import Record

BUMP_POLICIES = ("on-change", "on-release")
DEFAULT_TIMEOUT = 15.0
MAX_TIMEOUT = 3600.0
# The project's own file may not make the index read fail by itself: with --allow-offline
# a timeout is forgiven, so a tiny one would wave every tag through. Flags and the
# environment are the user's own and may go lower.
MIN_FILE_TIMEOUT = 5.0
# Variables the command line reads itself; every other RELEASE_GUARD_* must name a key.
CLI_VARIABLES = ("RELEASE_GUARD_ALLOW_OFFLINE", "RELEASE_GUARD_DEBUG")
_CODE = r"RG\d{3}"  # compiled when a value is checked: compiling costs the hook 0.2 ms


class Config(Record):
    """The policies. A Record, not a dataclass or a NamedTuple: on the commit hook's path,
    importing dataclasses (and with it inspect) would cost 7 ms, a 12-field NamedTuple
    about 1 ms (benchmarks/README.md)."""

    _fields = ("tag_format", "repository", "index_url", "bump_policy", "release_files",
                 "ignore_files", "ignore", "version_files", "allow_older", "allow_backend",
                 "projects", "timeout", "strict", "require_tag")
    __slots__ = _fields
    tag_format: str
    repository: str
    index_url: str
    bump_policy: str
    release_files: tuple[str, ...]  # empty: what the distributions ship (see project)
    ignore_files: tuple[str, ...]
    ignore: tuple[str, ...]  # finding codes to silence, e.g. ("RG102",)
    version_files: tuple[str, ...]
    allow_older: bool
    allow_backend: bool  # may a version computed by code be asked of the build backend
    projects: tuple[str, ...]
    timeout: float  # seconds for all index reads of one command together
    strict: bool  # check-dist: twine's warnings fail, as `twine check --strict`
    require_tag: bool  # release: HEAD must carry the release tag of the version

    def __init__(self, tag_format: str = "v{version}", repository: str = "pypi", index_url: str = "",
                 bump_policy: str = "on-change", release_files: tuple[str, ...] = (),
                 ignore_files: tuple[str, ...] = ("tests/**", "docs/**", "*.md"),
                 ignore: tuple[str, ...] = (), version_files: tuple[str, ...] = (),
                 allow_older: bool = False, allow_backend: bool = False, projects: tuple[str, ...] = (),
                 timeout: float = DEFAULT_TIMEOUT, strict: bool = True,
                 require_tag: bool = False) -> None:
        self._set(tag_format, repository, index_url, bump_policy, release_files, ignore_files, ignore,
                  version_files, allow_older, allow_backend, projects, timeout, strict, require_tag)


_DEFAULTS = Config()
_TYPES: dict[str, type] = {name: type(getattr(_DEFAULTS, name)) for name in Config._fields}


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
            f"{where}: '{key}' must be a list of strings, got {_shown(value)}",
            hint=f'write it as {key} = ["..."]',
        )
    if expected is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(
            f"{where}: '{key}' must be true or false, got {_shown(value)}",
            hint=f"write it as {key} = true",
        )
    if expected is float:
        return _seconds(value, key, where)
    if not isinstance(value, str):
        raise ConfigError(
            f"{where}: '{key}' must be a string, got {_shown(value)}", hint=f'write it as {key} = "..."'
        )
    return value


def _shown(value: Any) -> str:
    """A bad value quoted in a message, cut short: it is the user's data, not ours to flood."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _seconds(value: Any, key: str, where: str) -> float:
    """A number of seconds, 0 < value <= MAX_TIMEOUT (TOML int/float, or text from the environment)."""
    number: float | None = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            number = None
    if number is None or not 0 < number <= MAX_TIMEOUT:  # also refuses nan
        raise ConfigError(
            f"{where}: '{key}' must be a number of seconds above 0 and up to {MAX_TIMEOUT:g}, "
            f"got {_shown(value)}", hint=f"write it as {key} = {DEFAULT_TIMEOUT:g}")
    return number


def _validate(values: Mapping[str, Any], where: Callable[[str], str]) -> None:
    """Check the values that one source gave; `where(field)` names that source in a message."""
    policy = values.get("bump_policy")
    if policy is not None and policy not in BUMP_POLICIES:
        raise ConfigError(
            f"{where('bump_policy')}: bump-policy {_shown(policy)} is not one of {', '.join(BUMP_POLICIES)}",
            hint='set bump-policy = "on-change" (the default) or "on-release"',
        )
    unknown = [code for code in values.get("ignore", ()) if not re.fullmatch(_CODE, code)]
    if unknown:
        raise ConfigError(
            f"{where('ignore')}: ignore lists {_shown(unknown[0])}, which is not a finding code",
            hint='list codes as the output shows them, e.g. ignore = ["RG102"]',
        )
    tag_format = values.get("tag_format")
    if tag_format is None:
        return
    placeholders = re.findall(r"\{[^{}]*\}", tag_format)
    if placeholders.count("{version}") != 1 or placeholders.count("{name}") > 1 or any(
        p not in ("{version}", "{name}") for p in placeholders
    ):
        raise ConfigError(
            f"{where('tag_format')}: tag-format {_shown(tag_format)} needs exactly one {{version}}, "
            "at most one {name}, and no other placeholder",
            hint='use e.g. tag-format = "v{version}" or "{name}-v{version}"',
        )


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
            if var in CLI_VARIABLES:
                continue
            import difflib  # only on the error path

            names = [*known, *CLI_VARIABLES]
            match = difflib.get_close_matches(var, names, n=1, cutoff=0.6)
            nearest = f"did you mean {match[0]}? " if match else ""
            raise ConfigError(
                f"environment: unknown variable {var}",
                hint=f"{nearest}release-guard reads {', '.join(names)}; unset {var}",
            )
        values[field_name] = _coerce(field_name, _parse_env_value(field_name, raw), var)
    return values


_FLAG_FIELDS = ("tag_format", "bump_policy", "repository", "index_url", "allow_older", "timeout",
                "allow_backend", "require_tag")


def backend_allowed(args: object, environ: Mapping[str, str]) -> bool:
    """--backend or RELEASE_GUARD_ALLOW_BACKEND (read_project reads the project's own
    allow-backend key from the tree itself)."""
    return bool(getattr(args, "allow_backend", None)) or bool(from_environ(environ).get("allow_backend"))


def flag_overrides(args: object) -> dict[str, Any]:
    """Command-line values for config keys, when given (argparse leaves the others None)."""
    values: dict[str, Any] = {}
    for field_name in _FLAG_FIELDS:
        value = getattr(args, field_name, None)
        if value is not None and value is not False:
            values[field_name] = value
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
    _validate(values, lambda _: where)
    if values.get("timeout", DEFAULT_TIMEOUT) < MIN_FILE_TIMEOUT:
        raise ConfigError(
            f"{where}: timeout {values['timeout']:g} is below {MIN_FILE_TIMEOUT:g} seconds, the least a "
            "project's own file may set",
            hint="a shorter deadline is yours to choose: --timeout or RELEASE_GUARD_TIMEOUT",
        )
    from_env = from_environ(environ)
    _validate(from_env, env_name)
    flags = {k: v for k, v in (overrides or {}).items() if v is not None}
    _validate(flags, lambda name: "--" + key_of(name))
    return _DEFAULTS._replace(**{**values, **from_env, **flags})
