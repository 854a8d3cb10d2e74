"""pdm-backend: [tool.pdm.version] source = "file"."""

from __future__ import annotations

from release_guard.project.files import Files
from release_guard.project.model import Declaration
from release_guard.project.pysource import computed, read_python_version


def pdm_file(files: Files) -> Declaration | None:
    pdm = files.table("tool", "pdm", "version")
    if pdm.get("source") == "file" and isinstance(pdm.get("path"), str):
        return read_python_version(files.tree, pdm["path"]) or computed(
            files, pdm["path"], "[tool.pdm.version]")
    return None
