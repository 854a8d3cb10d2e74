"""The `release-guard` command: subcommands, the one error boundary, exit codes.

Exit 0: every check holds. 1: a check failed. 2: the check could not run.
"""

from __future__ import annotations

import os
import sys
from types import SimpleNamespace
from typing import TYPE_CHECKING, NoReturn, cast

from release_guard.errors import ReleaseGuardError
from release_guard.findings import visible
from release_guard.output import printable
from release_guard.record import Record

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Sequence
    from types import ModuleType


class LazyHandler(Record):
    """A subcommand's function, named: its module is imported only when it runs (startup
    time is the hook's budget; `__import__`, since importing importlib costs 0.4 ms)."""

    _fields = ("module", "name")
    __slots__ = _fields
    module: str
    name: str

    def __init__(self, module: str, name: str) -> None:
        self._set(module, name)

    def __call__(self, args: argparse.Namespace) -> int:
        __import__(self.module)
        func: Callable[[argparse.Namespace], int] = getattr(sys.modules[self.module], self.name)
        return func(args)


CHECK_VERSION = LazyHandler("release_guard.version_guard", "cmd_check_version")

# The version-bump hook's command line (.pre-commit-hooks.yaml: `release-guard
# check-version`, pass_filenames: false), and the arguments argparse makes of it:
# tests/test_hook_path.py holds them equal to build_parser()'s. Every other command line
# goes through argparse.
HOOK_COMMAND_LINE = ["check-version"]
_HOOK_ARGUMENTS = {"command": "check-version", "project": ".", "format": None, "ref": None, "staged": False,
                   "worktree": False, "allow_backend": None, "base": None, "tag_format": None,
                   "bump_policy": None, "version_files": None, "handler": CHECK_VERSION}


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser; with `only`, the other subcommands get no arguments (see arguments.py)."""
    from release_guard.arguments import build_parser as build

    return build(only)


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    """argparse's reading of the command line. The hook's own command line is read without
    importing argparse and gettext or building a parser (3 ms of the hook's budget)."""
    if list(argv) == HOOK_COMMAND_LINE:
        return cast("argparse.Namespace", SimpleNamespace(**_HOOK_ARGUMENTS))
    from release_guard import arguments as parsing

    return parsing.build_parser(only=parsing.subcommand(argv)).parse_args(argv)


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
    except (AttributeError, OSError):  # stdout closed (`>&-`: sys.stdout is None) or full: main() said so
        code = code or 2
    os._exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    try:
        arguments = sys.argv[1:] if argv is None else list(argv)
        args = parse_args(arguments)
        handler: Callable[[argparse.Namespace], int] = args.handler
        if arguments != HOOK_COMMAND_LINE:  # the commit hook's fast path imports nothing more
            from release_guard import interrupt

            interrupt.install(f"running `release-guard {args.command}`")
        return handler(args)
    except ReleaseGuardError as exc:
        hint = f" (hint: {exc.hint})" if exc.hint else ""
        line = f"release-guard: error: {exc.message}{hint}".replace("\n", " ").rstrip()
        sys.stderr.write(printable(visible(line)) + "\n")  # a CR or ESC from a file, escaped
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
    except BaseException as exc:  # a signal (interrupt.Interrupted): the children are gone
        guard = _interrupt()  # (backend.py installs the handlers on the hook's fast path too)
        if guard is None or not isinstance(exc, guard.Interrupted):
            raise
        guard.end_children()  # the handler did; an Interrupted raised elsewhere may not have
        guard.remove_temp_dirs()
        if os.environ.get("RELEASE_GUARD_DEBUG"):
            import traceback

            traceback.print_exc()
        sys.stderr.write(printable(visible(exc.line().replace("\n", " "))) + "\n")
        return int(exc.exit_code)
    finally:
        guard = _interrupt()
        if guard is not None:
            guard.uninstall()  # main() may return to an in-process caller


def _interrupt() -> ModuleType | None:
    return sys.modules.get("release_guard.interrupt")


def _origin(exc: BaseException) -> str:
    """Where the exception was raised (file:line), never its message, which may hold a secret."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is None:
        return "an unknown place"
    return f"{os.path.basename(tb.tb_frame.f_code.co_filename)}:{tb.tb_lineno}"
