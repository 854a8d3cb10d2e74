"""The `release` extra: what builds, checks and uploads distributions.

release-guard's core installs only what the commit and push hooks import (packaging, and
tomli before Python 3.11), so that every pre-commit hook environment stays small. The
commands that build, check distributions, lint publish workflows or check a first
release's name need `release-guard[release]`; without it they stop with exit 2 and one
line naming the install command, before anything is read or built — never an ImportError.

Nothing here is imported by the hooks' fast path (check-version, check-tag).
"""

from __future__ import annotations

from release_guard.errors import ExtraMissing

EXTRA = "release-guard[release]"
INSTALL = f"pip install '{EXTRA}'"

# Each distribution of the extra (pyproject.toml's `release`, .pre-commit-hooks.yaml's
# additional_dependencies: tests/test_lean.py holds the three equal) and the module it gives.
MODULES = {
    "build": "build",
    "twine": "twine",
    "trove-classifiers": "trove_classifiers",
    "pyyaml": "yaml",
    "stdlib-list": "stdlib_list",
}

# What each command imports of the extra.
BUILD = ("build",)
CHECK_FILES = ("twine", "trove-classifiers")
WORKFLOW_LINT = ("pyyaml",)
STDLIB_NAMES = ("stdlib-list",)


def missing(distributions: tuple[str, ...]) -> list[str]:
    """The distributions of `distributions` whose module cannot be found (none is imported)."""
    import importlib.util

    gone = []
    for dist in distributions:
        try:
            found = importlib.util.find_spec(MODULES[dist]) is not None
        except (ImportError, ValueError):  # a broken or half-removed install
            found = False
        if not found:
            gone.append(dist)
    return gone


def require(what: str, distributions: tuple[str, ...]) -> None:
    """Exit 2 (ExtraMissing) naming the install command when one of `distributions` is missing."""
    gone = missing(distributions)
    if gone:
        raise ExtraMissing(f"{what} needs {', '.join(gone)}, from release-guard's `release` extra, "
                           "which is not installed", hint=INSTALL)
