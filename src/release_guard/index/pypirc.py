"""The user's own files that twine reads: `.pypirc` (with twine's rules), `~/.netrc`, and
twine's default targets, read from twine's source without importing it."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from release_guard.errors import RepositoryError

if TYPE_CHECKING:
    import configparser
    from importlib.machinery import ModuleSpec

DEFAULT_CONFIG_FILE = "~/.pypirc"


@lru_cache(maxsize=1)
def _twine_default_urls() -> dict[str, str]:
    """Twine's own default targets, read from twine's source as text.

    Importing twine.utils brings requests and urllib3 (about 90 ms, measured with
    benchmarks/bench_check_tag.py): far too much for a pre-push hook. The constants are
    plain string literals, so they are read the way release-guard reads a version; only
    if that fails is twine imported. Without twine (the hooks install release-guard's core
    only), the public index and its test instance are read from pip's own source instead.
    """
    spec = _installed_spec("twine")  # finds the package without importing it
    if spec is None or spec.origin is None:
        return _pip_default_urls()
    source = _source_text(os.path.join(os.path.dirname(spec.origin), "utils.py"))
    found = {
        name: match.group(1)
        for name, constant in (("pypi", "DEFAULT_REPOSITORY"), ("testpypi", "TEST_REPOSITORY"))
        if (match := re.search(rf"""^{constant}\s*=\s*["']([^"']+)["']""", source, re.MULTILINE))
    }
    if len(found) == 2:
        return found
    try:
        import twine.utils  # the source moved on: ask the module itself

        return {"pypi": twine.utils.DEFAULT_REPOSITORY, "testpypi": twine.utils.TEST_REPOSITORY}
    except Exception:  # a half-removed twine, or one without its dependencies: as if absent
        return _pip_default_urls()


def _installed_spec(name: str) -> ModuleSpec | None:
    """The spec of the installed package `name`, looked for in the interpreter's site
    directories only: never in the current directory (`python -m release_guard` puts it
    first on sys.path), where a project's own `pip/` or `twine/` would name the targets."""
    import site
    from importlib.machinery import PathFinder

    dirs = site.getsitepackages()
    if site.ENABLE_USER_SITE:
        dirs.append(site.getusersitepackages())
    return PathFinder.find_spec(name, [d for d in dirs if os.path.isdir(d)])


def _source_text(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read(256 * 1024)
    except (OSError, UnicodeDecodeError):
        return ""


def _pip_default_urls() -> dict[str, str]:
    """twine's default targets without twine: the public index and its test instance as pip
    names them (`PyPI` and `TestPyPI` in pip/_internal/models/index.py, read as text, never
    imported), given the upload paths twine gives them: `upload.<host>/legacy/` for the
    public index, `<host>/legacy/` for the test instance (tests/test_lean.py holds the two
    equal to twine's own constants)."""
    spec = _installed_spec("pip")
    source = ""
    if spec is not None and spec.origin is not None:
        source = _source_text(os.path.join(os.path.dirname(spec.origin), "_internal", "models", "index.py"))
    found = {
        name: urlsplit(match.group(1))
        for name, constant in (("pypi", "PyPI"), ("testpypi", "TestPyPI"))
        if (match := re.search(rf"""^{constant}\s*=\s*PackageIndex\(\s*["'](https://[^"'/]+/?)["']""",
                               source, re.MULTILINE))
    }
    if len(found) != 2:
        raise RepositoryError(
            "neither twine nor pip's list of indexes is installed, so twine's default repositories "
            "(pypi, testpypi) are unknown",
            hint="pip install 'release-guard[release]', or pass --repository-url",
        )
    return {"pypi": f"https://upload.{found['pypi'].netloc}/legacy/",
            "testpypi": f"https://{found['testpypi'].netloc}/legacy/"}


def _config_error_line(exc: Exception) -> str:
    lineno = getattr(exc, "lineno", None)
    errors = getattr(exc, "errors", None)
    if lineno is None and errors:
        lineno = errors[0][0]
    return f" (line {lineno})" if isinstance(lineno, int) else ""


def _read_text(path: str) -> str:
    from pathlib import Path

    data = Path(path).read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        import locale

        return data.decode(locale.getpreferredencoding(False))


def _read_pypirc(config_file: str | os.PathLike[str] | None) -> configparser.RawConfigParser:
    import configparser
    from pathlib import Path

    shown = DEFAULT_CONFIG_FILE if config_file is None else os.fspath(config_file)
    path = str(Path(shown).expanduser().resolve())
    parser = configparser.RawConfigParser()
    try:
        text = _read_text(path)
    except FileNotFoundError:
        if config_file is None:
            return parser
        raise RepositoryError(
            f"config file {shown} does not exist",
            hint="fix --config-file, or leave it out to use ~/.pypirc",
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RepositoryError(
            f"cannot read config file {shown}: {type(exc).__name__}",
            hint="check the file's permissions and encoding (UTF-8)",
        ) from None
    try:
        parser.read_string(text, source=shown)
    except configparser.Error as exc:
        # The parser's own message can quote a line holding a password: never use it.
        raise RepositoryError(
            f"{shown} is not a valid .pypirc file{_config_error_line(exc)}",
            hint="fix the file: [distutils] index-servers, then one [section] per index",
        ) from None
    return parser


def _pypirc_sections(parser: configparser.RawConfigParser) -> dict[str, dict[str, str]]:
    """The repositories twine would accept, in order, with their options (twine's rules)."""
    servers = parser.get("distutils", "index-servers", fallback="pypi testpypi").split()
    known: dict[str, dict[str, str]] = {"pypi": {}}
    if "testpypi" in servers:
        known["testpypi"] = {}
    for server in servers:
        if not parser.has_section(server) and server not in known:
            continue
        options = known.setdefault(server, {})
        for key in ("repository", "username", "password"):
            if parser.has_option(server, key):
                options[key] = parser.get(server, key)
    return known


def _netrc_credentials(index_url: str, env: Mapping[str, str]) -> tuple[str, str] | None:
    """(login, password) for the index host from NETRC or ~/.netrc; None if absent.

    A missing or unparsable netrc file is ignored, as requests and pip ignore it.
    """
    import netrc
    from pathlib import Path

    path = Path(env["NETRC"]) if env.get("NETRC") else Path.home() / ".netrc"
    host = urlsplit(index_url).hostname
    if not host or not path.is_file():
        return None
    try:
        entry = netrc.netrc(str(path)).authenticators(host)
    except (OSError, netrc.NetrcParseError):
        return None
    if entry is None or entry[2] is None:
        return None
    return entry[0], entry[2]
