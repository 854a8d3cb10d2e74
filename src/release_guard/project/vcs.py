"""Versions derived from git tags: setuptools-scm, hatch-vcs, versioningit, pdm scm, ..."""

from __future__ import annotations

import re

from release_guard.project.files import Files
from release_guard.project.static import poetry_dynamic

_VCS_REQUIREMENTS = {
    "setuptools-scm": "setuptools-scm",
    "setuptools_scm": "setuptools-scm",
    "hatch-vcs": "hatch-vcs",
    "versioningit": "versioningit",
    "poetry-dynamic-versioning": "poetry-dynamic-versioning",
    "setuptools-git-versioning": "setuptools-git-versioning",
    "dunamai": "dunamai",
}


def _requirement_names(files: Files) -> list[str]:
    names = []
    for req in files.strings("build-system", "requires") or []:
        match = re.match(r"\s*([A-Za-z0-9._-]+)", req)
        if match:
            names.append(match.group(1).lower())
    return names


def vcs_tool(files: Files) -> str | None:
    """The tool that derives the version from git tags, if the project uses one."""
    if files.string("tool.hatch.version", "source") == "vcs":
        return "hatch-vcs"
    pdm = files.table("tool", "pdm", "version")
    if files.string("tool.pdm.version", "source") == "scm" or pdm.get("use_scm") is True:
        return "pdm-backend (scm)"  # use_scm: pdm-pep517's legacy [tool.pdm] version = {use_scm = true}
    if poetry_dynamic(files):
        return "poetry-dynamic-versioning"
    for table in ("setuptools_scm", "setuptools-scm", "versioningit", "setuptools-git-versioning"):
        if table in files.table("tool"):
            return _VCS_REQUIREMENTS.get(table, table)
    for requirement in _requirement_names(files):
        if requirement in _VCS_REQUIREMENTS:
            return _VCS_REQUIREMENTS[requirement]
    return None
