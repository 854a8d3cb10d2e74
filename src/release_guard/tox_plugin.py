"""The tox plugin: a `release` environment that runs `release-guard release {posargs}`.

tox loads this module from the entry point group `tox` whenever release-guard is installed
beside it (or named in the project's `requires`), on every tox command: so it imports
nothing of release-guard but its version, nothing of git, HTTP or subprocess, and not even
tox's own modules until a hook runs (`pluggy` gives the marker).

The environment is injected only when the project's tox configuration does not define
one named `release` itself; an injected `MemoryLoader` would otherwise win over the
user's own keys one by one (see `defines_env`).

What it passes on (`PASS_ENV`): only what tox 4 does not pass already. tox's own
`_default_pass_env` (matched without regard to case) has HOME, and on Windows USERPROFILE
and APPDATA, so that twine finds `~/.pypirc` and `~/.netrc`; NETRC; SSL_CERT_FILE,
REQUESTS_CA_BUNDLE and CURL_CA_BUNDLE; http_proxy, https_proxy and no_proxy in either
case; PIP_* and VIRTUALENV_*; TMPDIR, LANG, SSH_AUTH_SOCK. Added: TWINE_* (twine's
credentials, repository and certificate settings) and RELEASE_GUARD_*; SSL_CERT_DIR and
ALL_PROXY; what keyring, twine's last source of credentials, needs (its backend, and
on Linux the Secret Service's D-Bus and XDG folders); and on GitHub Actions,
GITHUB_ACTIONS (release-guard's annotations) with the two ACTIONS_ID_TOKEN_REQUEST_*
variables twine's trusted publishing asks GitHub for a token with.
"""

from __future__ import annotations

import json
import sys
from importlib import metadata
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

import pluggy

if TYPE_CHECKING:
    from collections.abc import Iterable

    from tox.config.loader.section import Section
    from tox.config.sets import ConfigSet
    from tox.session.state import State

impl = pluggy.HookimplMarker("tox")  # tox.plugin.impl, without importing tox at load time

ENV_NAME = "release"
DIST_NAME = "release-guard"
EXTRA = "release"  # what builds, checks and uploads (pyproject.toml's optional dependencies)
MIN_TOX = "4.29"  # tox_extend_envs
DIRECT_URL_LIMIT = 64 * 1024  # direct_url.json is a few hundred bytes; anything larger is not one

DESCRIPTION = "release with release-guard: clean, check, build, upload with twine, verify"
# A `platform` no platform matches: tox skips the environment, with this in its message.
NOT_BY_ALL = "selected by name only, as in tox -e release"

PASS_ENV = (  # beyond what tox passes by default: see the module's docstring
    "TWINE_*",
    "RELEASE_GUARD_*",
    "SSL_CERT_DIR",
    "ALL_PROXY",
    "PYTHON_KEYRING_BACKEND",
    "DBUS_SESSION_BUS_ADDRESS",
    "XDG_RUNTIME_DIR",
    "XDG_CONFIG_HOME",
    "XDG_DATA_HOME",
    "GITHUB_ACTIONS",
    "ACTIONS_ID_TOKEN_REQUEST_URL",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
)


def _refuse_old_tox() -> None:
    """A tox older than MIN_TOX would fail on the unknown hook with a traceback; say it in one line."""
    tox = sys.modules.get("tox")  # imported by tox itself when it loads its plugins
    running = getattr(tox, "__version__", None)
    if not isinstance(running, str):
        return
    from packaging.version import InvalidVersion, Version

    try:
        too_old = Version(running) < Version(MIN_TOX)
    except InvalidVersion:
        return
    if too_old:
        from tox.report import HandledError

        raise HandledError(f"release-guard's tox plugin needs tox>={MIN_TOX}, this is tox {running}; "
                           f"hint: pip install 'tox>={MIN_TOX}', or require 'release-guard[tox]'")


_refuse_old_tox()


# ------------------------------------------------------------------ what to install


def local_source(direct_url: str | None) -> tuple[Path, bool] | None:
    """The local directory or archive release-guard was installed from, and whether editably.

    `direct_url` is the text of the distribution's PEP 610 `direct_url.json`: data, not
    trusted. Only a `file:` URL on this machine, to an absolute path without control
    characters, with `dir_info` (a directory, editable or not) or `archive_info` (a wheel or
    sdist file) and nothing else that would change what it names (`vcs_info`,
    `subdirectory`), is a source; anything else is None.
    """
    if direct_url is None or len(direct_url) > DIRECT_URL_LIMIT:
        return None
    try:
        data = json.loads(direct_url)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict) or "vcs_info" in data or "subdirectory" in data:
        return None
    path = _file_url_path(data.get("url"))
    dir_info, archive_info = data.get("dir_info"), data.get("archive_info")
    if path is None or (dir_info is None) == (archive_info is None):
        return None
    if isinstance(dir_info, dict):
        editable = dir_info.get("editable", False)
        return (path, editable) if isinstance(editable, bool) else None
    return (path, False) if isinstance(archive_info, dict) else None


def _file_url_path(url: Any) -> Path | None:
    if not isinstance(url, str):
        return None
    parts = urlsplit(url)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost") or parts.query or parts.fragment:
        return None
    text = unquote(parts.path)
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in text):
        return None
    if sys.platform == "win32":
        windows = PureWindowsPath(text.removeprefix("/"))  # file:///C:/x -> C:/x
        return Path(windows) if windows.is_absolute() else None
    posix = PurePosixPath(text)
    return Path(posix) if posix.is_absolute() else None


def requirement(version: str, source: tuple[Path, bool] | None) -> str:
    """The line in the environment's deps that installs this release-guard with its `release`
    extra (build, twine: the release builds and uploads).

    A local source is written as a `file:` URL, so that no space or `#` in its path
    is read as anything else by pip's requirements parser; pip reads the extra of an
    editable one from the `[...]` at its end.
    """
    if source is None:
        return f"{DIST_NAME}[{EXTRA}]=={version}"
    path, editable = source
    return f"-e {path.as_uri()}[{EXTRA}]" if editable else f"{DIST_NAME}[{EXTRA}] @ {path.as_uri()}"


def running_requirement() -> str:
    """What installs the release-guard this tox runs: its local source when that still
    exists, else its version from the index."""
    try:
        dist = metadata.distribution(DIST_NAME)
    except metadata.PackageNotFoundError:
        from release_guard import __version__

        return requirement(__version__, None)
    source = local_source(dist.read_text("direct_url.json"))
    if source is not None and not source[0].exists():
        source = None
    return requirement(dist.version, source)


# --------------------------------------------------------------- the tox hooks


def defines_env(sections: Iterable[Section], name: str) -> bool:
    """Whether the project's own tox configuration has a section for the environment `name`.

    ini files (tox.ini, setup.cfg, `legacy_tox_ini` in pyproject.toml) name it in
    `[testenv:NAME]`, also as one of the names a factor header such as
    `[testenv:{release,docs}]` expands to; TOML (tox.toml, `[tool.tox]`) in `env.NAME`.
    """
    from tox.config.source.ini_section import IniSection

    for section in sections:
        if isinstance(section, IniSection):
            if section.is_test_env and name in section.names:
                return True
        elif section.prefix is not None and section.prefix.split(".")[-1] == "env" and section.name == name:
            return True
    return False


@impl
def tox_extend_envs() -> tuple[str, ...]:
    """Declare the `release` environment (also when the project defines its own: tox
    keeps one environment of a name)."""
    return (ENV_NAME,)


@impl
def tox_add_core_config(core_conf: ConfigSet, state: State) -> None:
    """Configure the `release` environment, unless the project defines its own.

    Values of a `MemoryLoader` are not substituted, so `{posargs}` would stay literal: the
    positional arguments are read here, as tox's `{posargs}` would give them (paths made
    relative to the directory the command runs in, the default change_dir tox_root), and
    written into the command itself, as `tox exec` does.
    """
    if defines_env(state.conf.sections(), ENV_NAME):
        return
    from tox.config.loader.memory import MemoryLoader
    from tox.config.types import Command

    tox_root = core_conf["tox_root"]
    posargs = state.conf.pos_args(tox_root if isinstance(tox_root, Path) else None) or ()
    loader = MemoryLoader(
        base=[],  # nothing of the project's [testenv]: its commands, extras or package
        description=DESCRIPTION,
        skip_install=True,  # the release builds the project itself
        deps=[running_requirement()],
        pass_env=list(PASS_ENV),
        commands=[Command(["release-guard", "release", *posargs])],
    )
    if _all_selected(state):
        loader.raw["platform"] = NOT_BY_ALL
    state.conf.memory_seed_loaders[ENV_NAME].append(loader)


def _all_selected(state: State) -> bool:
    """`tox -e ALL` runs every environment tox knows, and would upload: a project that
    installed release-guard for its hooks never asked for that. The injected environment
    runs only when selected by name (`-e release`, a label or the env_list naming it)."""
    selected = getattr(state.conf.options, "env", None)
    return bool(getattr(selected, "is_all", False))
