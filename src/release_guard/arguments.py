"""The command line's arguments: argparse, the subcommands and their options.

cli imports this module only when a command line needs parsing: the version-bump hook's
own `release-guard check-version` does not (cli.parse_args), and importing argparse (with
gettext) and building the parser would cost it 3 ms.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from release_guard import __version__
from release_guard.cli import CHECK_VERSION, LazyHandler
from release_guard.config import DEFAULT_TIMEOUT
from release_guard.errors import ConfigError
from release_guard.findings import FORMATS


class _Formatter(argparse.HelpFormatter):
    """argparse's formatter with the width given, so that startup does not import shutil."""

    def __init__(self, prog: str) -> None:
        try:
            width = int(os.environ.get("COLUMNS", "")) or os.get_terminal_size().columns
        except (ValueError, OSError):
            width = 80
        super().__init__(prog, width=max(width - 2, 40))


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line with a hint, like every other error."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        where = "" if self.prog == "release-guard" else f"{self.prog.removeprefix('release-guard ')}: "
        raise ConfigError(f"{where}{message}", hint=f"see `{self.prog} --help`")


def _add_common(parser: argparse.ArgumentParser, formats: Sequence[str] = FORMATS) -> None:
    parser.add_argument("--project", "-C", default=".", metavar="DIR",
                        help="the project directory (default: the current directory)")
    parser.add_argument("--format", choices=formats, default=None,
                        help="output format (default: text; github under GitHub Actions)")


def _add_backend(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--backend", dest="allow_backend", action="store_true", default=None,
                        help="a version that only code can compute may be asked of the build backend, "
                        "which runs the project's code (also allow-backend = true)")


def _add_state(parser: argparse.ArgumentParser, default_help: str) -> None:
    state = parser.add_mutually_exclusive_group()
    state.add_argument("--ref", metavar="REV", help="read the project as of a git revision")
    state.add_argument("--staged", action="store_true",
                       help="read the staged index (what the next commit will contain)")
    state.add_argument("--worktree", action="store_true", help=f"read the files on disk{default_help}")


def _version_args(version: argparse.ArgumentParser) -> None:
    _add_common(version, formats=("text", "json"))  # facts, not findings: nothing to annotate
    _add_state(version, " (the default)")
    _add_backend(version)
    version.set_defaults(handler=LazyHandler("release_guard.version_report", "cmd_version"))


def _check_version_args(check: argparse.ArgumentParser) -> None:
    _add_common(check)
    _add_state(check, "")
    _add_backend(check)
    check.add_argument("--base", metavar="REF", help="release files changed since the merge-base "
                       "with REF need a greater version than REF's (for pull requests)")
    check.add_argument("--tag-format", help='how release tags are named (default "v{version}")')
    check.add_argument("--bump-policy", choices=("on-change", "on-release"))
    check.add_argument("--version-file", action="append", dest="version_files", metavar="PATH",
                       help="another file whose version must agree (repeatable)")
    check.set_defaults(handler=CHECK_VERSION)


def _check_tag_args(tag: argparse.ArgumentParser) -> None:
    tag.add_argument("tags", nargs="*", metavar="TAG", help="tags to check (default: the tag "
                     "pre-commit shows at the pre-push stage, else the tags pointing at HEAD)")
    _add_common(tag)
    _add_index(tag)
    _add_backend(tag)
    tag.set_defaults(handler=LazyHandler("release_guard.tag_guard", "cmd_check_tag"))


def _pre_push_args(push: argparse.ArgumentParser) -> None:
    push.add_argument("remote", nargs="?", help="the remote's name (given by git)")
    push.add_argument("url", nargs="?", help="the remote's URL (given by git)")
    _add_common(push)
    _add_index(push)
    push.set_defaults(handler=LazyHandler("release_guard.tag_guard", "cmd_pre_push"))


def _install_hook_args(install: argparse.ArgumentParser) -> None:
    install.add_argument("--uninstall", action="store_true", help="remove it, restoring what was there")
    install.add_argument("--config", action="store_true", help="git 2.54+: install it as config-based "
                         "hook (hook.release-guard.event = pre-push) instead of a file")
    install.add_argument("--project", "-C", default=".", metavar="DIR", help="the repository")
    install.add_argument("--force", action="store_true", help="write in a hooks folder that git tracks "
                         "or that other repositories share (core.hooksPath) all the same")
    install.set_defaults(handler=LazyHandler("release_guard.tag_guard", "cmd_install_hook"))


def _check_dist_args(check: argparse.ArgumentParser) -> None:
    _add_common(check)
    check.add_argument("--dist-dir", metavar="DIR", help="check the files in DIR instead of building")
    check.add_argument("--no-isolation", action="store_true",
                       help="build in this environment (python -m build --no-isolation)")
    check.add_argument("--installer", choices=("pip", "uv"), default=None,
                       help="the installer of build's isolated environment (uv must be on PATH)")
    check.add_argument("--strict", action=argparse.BooleanOptionalAction, default=None,
                       help="twine's warnings fail the check (the default; --no-strict or strict = false "
                       "in [tool.release-guard] makes them warnings)")
    check.add_argument("--tag-format", help='how release tags are named (default "v{version}")')
    _add_backend(check)  # building asks the backend anyway; this is for --dist-dir
    check.set_defaults(handler=LazyHandler("release_guard.dist_guard", "cmd_check_dist"))


def _check_auth_args(check: argparse.ArgumentParser) -> None:
    _add_common(check)
    _add_index(check, offline=False)
    check.add_argument("--keyring", action="store_true",
                       help="ask keyring for a password when nothing else gives one, as twine would "
                       "(never asked without this flag: a backend may open a dialog or wait on D-Bus)")
    check.add_argument("--offline", action="store_true",
                       help="do not read the index: the first-release check of the token's scope is skipped")
    check.set_defaults(handler=LazyHandler("release_guard.auth_guard", "cmd_check_auth"))


def _check_name_args(check: argparse.ArgumentParser) -> None:
    _add_common(check)
    _add_index(check, offline=False)  # --offline says what is not checked; an unreachable index is exit 2
    check.add_argument("--similar", action="store_true",
                       help="also read the index's list of every project (kept in the user's cache with "
                       "its ETag) and report the names it would call too similar")
    check.add_argument("--offline", action="store_true",
                       help="only the checks that need no index: a valid name, no standard-library module")
    check.set_defaults(handler=LazyHandler("release_guard.name_guard", "cmd_check_name"))


def _release_args(release: argparse.ArgumentParser) -> None:
    _add_common(release)
    _add_index(release, offline=False)
    release.add_argument("--dry-run", action="store_true",
                         help="everything but the upload: say what would be uploaded where")
    release.add_argument("--no-isolation", action="store_true",
                         help="build in this environment (python -m build --no-isolation)")
    release.add_argument("--installer", choices=("pip", "uv"), default=None,
                         help="the installer of build's isolated environment (uv must be on PATH)")
    release.add_argument("--strict", action=argparse.BooleanOptionalAction, default=None,
                         help="twine's warnings fail the check (the default)")
    release.add_argument("--require-tag", action="store_true", default=None,
                         help="HEAD must carry the release tag of the version (also require-tag = true)")
    release.add_argument("--wait", type=_seconds_or_zero, default=60.0, metavar="SECONDS",
                         help="how long to wait for the index to list the upload (default 60; 0: "
                         "do not look)")
    release.set_defaults(handler=LazyHandler("release_guard.release", "cmd_release"))


def _check_args(check: argparse.ArgumentParser) -> None:
    _add_common(check)
    _add_index(check, offline=False)
    check.add_argument("--offline", action="store_true",
                       help="only the checks that need no network; the table says which were skipped")
    check.add_argument("--auth", action="store_true",
                       help="check the credentials even when twine would find none (check-auth)")
    check.add_argument("--keyring", action="store_true",
                       help="with the auth row: ask keyring for the password too, as twine would")
    check.add_argument("--build", action="store_true",
                       help="also build the sdist and wheel in a temporary folder and check them "
                       "(check-dist)")
    check.add_argument("--no-isolation", action="store_true",
                       help="with --build: build in this environment (python -m build --no-isolation)")
    check.add_argument("--installer", choices=("pip", "uv"), default=None,
                       help="with --build: the installer of build's isolated environment")
    check.add_argument("--strict", action=argparse.BooleanOptionalAction, default=None,
                       help="with --build: twine's warnings fail the check (the default)")
    _add_backend(check)  # without --build, a version only code computes needs it, as in check-version
    check.set_defaults(handler=LazyHandler("release_guard.check_guard", "cmd_check"))


SUBCOMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None]]] = {
    "version": ("the name and version every check will believe", _version_args),
    "check-version": ("the version is valid, consistent and bumped (pre-commit hook id: "
                      "version-bump)", _check_version_args),
    "check-tag": ("each tag names the project version and is not on the index yet (pre-commit "
                  "hook id: pypi-tag-guard)", _check_tag_args),
    "pre-push": ("git's pre-push protocol: check every pushed tag (refs on stdin); run by the "
                 "hook that install-hook writes", _pre_push_args),
    "install-hook": ("install the native git pre-push hook", _install_hook_args),
    "check-dist": ("build the sdist and wheel (or take --dist-dir) and check them as twine check "
                   "--strict and the index would (pre-commit hook id: twine-check)", _check_dist_args),
    "check-auth": ("the credentials twine would send: would the index answer 403, and why (no secret "
                   "is printed)", _check_auth_args),
    "check-name": ("first-release checks of the project name: valid, no standard-library module, free "
                   "on the index or this repository's own, not too similar to another (--similar)",
                   _check_name_args),
    "check": ("every check that applies, in one run: will the release succeed? (pre-commit hook id: "
              "release-preflight)", _check_args),
    "release": ("check, clean, build, check the files, upload them with twine and see them on the "
                "index (tox -e release)", _release_args),
}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser; with `only`, the other subcommands get no arguments (3 ms less per hook run)."""
    parser = _Parser(prog="release-guard", description="Know before the upload what the "
                     "package index would refuse.")
    parser.add_argument("--version", action="version", version=f"release-guard {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name, (summary, add_arguments) in SUBCOMMANDS.items():
        subparser = sub.add_parser(name, help=summary, description=summary)
        if only is None or only == name:
            add_arguments(subparser)
    return parser


def subcommand(argv: Sequence[str]) -> str | None:
    """The subcommand the command line names, if it names one (build_parser's `only`)."""
    first = next((arg for arg in argv if not arg.startswith("-")), None)
    return first if first in SUBCOMMANDS else None


def _add_index(parser: argparse.ArgumentParser, offline: bool = True) -> None:
    parser.add_argument("--repository", "-r", metavar="NAME", help="a repository name from "
                        ".pypirc, or 'pypi'/'testpypi' (default: the repository config key, else pypi)")
    parser.add_argument("--repository-url", metavar="URL", help="the upload URL (overrides --repository)")
    parser.add_argument("--config-file", metavar="PATH", help="the .pypirc to read (default ~/.pypirc)")
    parser.add_argument("--index-url", metavar="URL", help="the Simple API URL to read, when it "
                        "cannot be derived from the upload URL")
    parser.add_argument("--tag-format", help='how release tags are named (default "v{version}")')
    parser.add_argument("--allow-older", action="store_true", default=None,
                        help="a tag older than the newest release is fine (backports)")
    if offline:
        parser.add_argument("--allow-offline", action="store_true",
                            help="an unreachable index is a warning, not exit 2 "
                            "(also RELEASE_GUARD_ALLOW_OFFLINE=1, for the hook)")
    parser.add_argument("--timeout", type=_positive, default=None, metavar="SECONDS",
                        help="how long all reads of the index may take together (default "
                        f"{DEFAULT_TIMEOUT:g}; also the timeout key and RELEASE_GUARD_TIMEOUT)")


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of seconds (up to 3600)")
    return value


def _seconds_or_zero(text: str) -> float:
    """0 (do not wait), or a positive number of seconds up to 3600."""
    try:
        if float(text) == 0:
            return 0.0
    except ValueError:
        pass
    return _positive(text)
