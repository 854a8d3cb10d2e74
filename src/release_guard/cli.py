"""The `release-guard` command: subcommands, the one error boundary, exit codes.

Exit 0: every check holds. 1: a check failed. 2: the check could not run.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from release_guard import __version__
from release_guard.config import DEFAULT_TIMEOUT
from release_guard.errors import ConfigError, ReleaseGuardError
from release_guard.findings import FORMATS
from release_guard.output import printable

Handler = Callable[[argparse.Namespace], int]


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
    version.set_defaults(handler=_lazy("release_guard.version_guard", "cmd_version"))


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
    check.set_defaults(handler=_lazy("release_guard.version_guard", "cmd_check_version"))


def _check_tag_args(tag: argparse.ArgumentParser) -> None:
    tag.add_argument("tags", nargs="*", metavar="TAG", help="tags to check (default: the tag "
                     "pre-commit shows at the pre-push stage, else the tags pointing at HEAD)")
    _add_common(tag)
    _add_index(tag)
    _add_backend(tag)
    tag.set_defaults(handler=_lazy("release_guard.tag_guard", "cmd_check_tag"))


def _pre_push_args(push: argparse.ArgumentParser) -> None:
    push.add_argument("remote", nargs="?", help="the remote's name (given by git)")
    push.add_argument("url", nargs="?", help="the remote's URL (given by git)")
    _add_common(push)
    _add_index(push)
    push.set_defaults(handler=_lazy("release_guard.tag_guard", "cmd_pre_push"))


def _install_hook_args(install: argparse.ArgumentParser) -> None:
    install.add_argument("--uninstall", action="store_true", help="remove it, restoring what was there")
    install.add_argument("--config", action="store_true", help="git 2.54+: install it as config-based "
                         "hook (hook.release-guard.event = pre-push) instead of a file")
    install.add_argument("--project", "-C", default=".", metavar="DIR", help="the repository")
    install.add_argument("--force", action="store_true", help="write in a hooks folder that git tracks "
                         "or that other repositories share (core.hooksPath) all the same")
    install.set_defaults(handler=_lazy("release_guard.tag_guard", "cmd_install_hook"))


SUBCOMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None]]] = {
    "version": ("the name and version every check will believe", _version_args),
    "check-version": ("the version is valid, consistent and bumped (pre-commit hook id: "
                      "version-bump)", _check_version_args),
    "check-tag": ("each tag names the project version and is not on the index yet (pre-commit "
                  "hook id: pypi-tag-guard)", _check_tag_args),
    "pre-push": ("git's pre-push protocol: check every pushed tag (refs on stdin); run by the "
                 "hook that install-hook writes", _pre_push_args),
    "install-hook": ("install the native git pre-push hook", _install_hook_args),
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


def _subcommand(argv: Sequence[str]) -> str | None:
    first = next((arg for arg in argv if not arg.startswith("-")), None)
    return first if first in SUBCOMMANDS else None


def _add_index(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--repository", "-r", metavar="NAME", help="a repository name from "
                        ".pypirc, or 'pypi'/'testpypi' (default: the repository config key, else pypi)")
    parser.add_argument("--repository-url", metavar="URL", help="the upload URL (overrides --repository)")
    parser.add_argument("--config-file", metavar="PATH", help="the .pypirc to read (default ~/.pypirc)")
    parser.add_argument("--index-url", metavar="URL", help="the Simple API URL to read, when it "
                        "cannot be derived from the upload URL")
    parser.add_argument("--tag-format", help='how release tags are named (default "v{version}")')
    parser.add_argument("--allow-older", action="store_true", default=None,
                        help="a tag older than the newest release is fine (backports)")
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


def _lazy(module: str, name: str) -> Handler:
    """Import a subcommand's module only when it runs: startup time is the hook's budget."""
    def handler(args: argparse.Namespace) -> int:
        __import__(module)  # not importlib.import_module: importing importlib costs 0.4 ms
        func: Handler = getattr(sys.modules[module], name)
        return func(args)

    return handler


def console() -> NoReturn:
    """The console script and `python -m release_guard`: main(), then a fast exit.

    A hook is a short-lived process: garbage collection and interpreter teardown only
    cost time (about 8 ms of a 50 ms budget, benchmarks/README.md). Everything main()
    opens is closed before it returns, so nothing is lost by skipping the teardown.
    """
    import gc

    gc.disable()
    code = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BrokenPipeError:
        code = code or 1
    os._exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        arguments = sys.argv[1:] if argv is None else list(argv)
        args = build_parser(only=_subcommand(arguments)).parse_args(arguments)
        handler: Handler = args.handler
        return handler(args)
    except ReleaseGuardError as exc:
        hint = f" (hint: {exc.hint})" if exc.hint else ""
        line = f"release-guard: error: {exc.message}{hint}".replace("\n", " ").rstrip()
        sys.stderr.write(printable(line) + "\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("release-guard: interrupted\n")
        return 130
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as exc:  # a bug: still one line and exit 2, never 1 ("a check failed")
        hint = "run again with RELEASE_GUARD_DEBUG=1 for the traceback, and report it"
        if os.environ.get("RELEASE_GUARD_DEBUG"):
            import traceback

            traceback.print_exc()  # and still exit 2, never 1: a bug is no failed check
            hint = "report it with the traceback above"
        sys.stderr.write(f"release-guard: error: internal error: {type(exc).__name__} at {_origin(exc)} "
                         f"(hint: a bug in release-guard; {hint})\n")
        return 2


def _origin(exc: BaseException) -> str:
    """Where the exception was raised (file:line), never its message, which may hold a secret."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return "an unknown place"
    return f"{os.path.basename(tb.tb_frame.f_code.co_filename)}:{tb.tb_lineno}"
