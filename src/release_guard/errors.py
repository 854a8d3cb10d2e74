"""Every failure release-guard expects. The CLI turns each into exit 2 and one line.

Each class says when it is raised; its message names the file or value, its hint the
next command to run. No message ever carries a secret.
"""

from __future__ import annotations


class ReleaseGuardError(Exception):
    """Base class: the check could not run (exit code 2)."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message


class ConfigError(ReleaseGuardError):
    """Raised when `[tool.release-guard]`, an environment override or a flag is invalid."""


class ProjectError(ReleaseGuardError):
    """Raised when the project's name or version cannot be read from its files."""


class GitError(ReleaseGuardError):
    """Raised when git is missing, the directory is no repository, or a git command fails."""


class IndexError_(ReleaseGuardError):  # noqa: N801 - avoid shadowing the builtin IndexError
    """Raised when the package index cannot be reached or answers something unusable.

    `unreachable` is True only when no answer came at all (DNS, refused, reset, timeout,
    the deadline, 5xx after retries): the one case that --allow-offline forgives.
    """

    def __init__(self, message: str, hint: str = "", *, unreachable: bool = False) -> None:
        super().__init__(message, hint)
        self.unreachable = unreachable


class RepositoryError(ReleaseGuardError):
    """Raised when the upload target (`--repository`, `.pypirc`, URL) cannot be resolved."""


class HookError(ReleaseGuardError):
    """Raised when the git hook cannot be installed or removed safely."""


class BuildError(ReleaseGuardError):
    """Raised when the project's sdist and wheel cannot be built (the backend failed, or
    the build tool asked for is missing)."""


class DistError(ReleaseGuardError):
    """Raised when `--dist-dir` is no folder or holds no sdist or wheel to check."""


class ExtraMissing(ReleaseGuardError):
    """Raised when a command needs a package of the `release` extra (build, twine, ...) that is
    not installed; the hint is the install command (release_guard.extra)."""
