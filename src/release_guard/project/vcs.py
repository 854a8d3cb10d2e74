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
def _requirement_names(files: Files) -> set[str]:
    requires = files.table("build-system").get("requires") or []
    names = set()
    for req in requires:
        if isinstance(req, str):
            match = re.match(r"\s*([A-Za-z0-9._-]+)", req)
            if match:
                names.add(match.group(1).lower())
    return names


def vcs_tool(files: Files) -> str | None:
    """The tool that derives the version from git tags, if the project uses one."""
    if files.table("tool", "hatch", "version").get("source") == "vcs":
        return "hatch-vcs"
    if files.table("tool", "pdm", "version").get("source") == "scm":
        return "pdm-backend (scm)"
    if poetry_dynamic(files):
        return "poetry-dynamic-versioning"
    for table in ("setuptools_scm", "setuptools-scm", "versioningit", "setuptools-git-versioning"):
        if table in files.pyproject.get("tool", {}):
            return _VCS_REQUIREMENTS.get(table, table)
    for requirement in _requirement_names(files):
        if requirement in _VCS_REQUIREMENTS:
            return _VCS_REQUIREMENTS[requirement]
    return None
