"""maturin: the version in Cargo.toml."""

from __future__ import annotations

from release_guard.errors import ProjectError
from release_guard.project.files import Files, key_line, parse_toml, type_name
from release_guard.project.model import Declaration, Source
from release_guard.project.pysource import BACKEND_HINT, computed
from release_guard.tree import read_text


def is_maturin(files: Files) -> bool:
    return (files.string("build-system", "build-backend") or "").startswith("maturin")


def cargo_version(files: Files) -> Declaration | None:
    """maturin takes a dynamic version from Cargo.toml."""
    if not is_maturin(files):
        return None
    text = read_text(files.tree, "Cargo.toml")
    if text is None:
        return None
    where = files.tree.describe("Cargo.toml")
    package = parse_toml(text, where).get("package", {})
    if not isinstance(package, dict):
        raise ProjectError(f"{where}: package must be a table, not {type_name(package)}",
                           hint="fix [package] in Cargo.toml")
    version = package.get("version")
    line = key_line(text, "package", "version")
    if isinstance(version, str):
        return Declaration(version, Source("Cargo.toml", line))
    if isinstance(version, dict) and version.get("workspace") is True:  # version.workspace = true
        if not files.allow_backend:
            raise ProjectError(f"{where}:{line or ''}: [package] version comes from the Cargo workspace, "
                               "which release-guard does not read", hint=BACKEND_HINT)
        return computed(files, "Cargo.toml", "[package] version.workspace")
    if version is not None:
        raise ProjectError(f"{where}:{line or ''}: [package] version must be a string, not "
                           f"{type_name(version)}", hint='write it as version = "1.2.3" in Cargo.toml')
    return None
