"""maturin: the version in Cargo.toml."""

from __future__ import annotations

from release_guard.project.files import Files, key_line, parse_toml
from release_guard.project.model import Declaration, Source
from release_guard.tree import read_text


def cargo_version(files: Files) -> Declaration | None:
    """maturin takes a dynamic version from Cargo.toml."""
    if not str(files.table("build-system").get("build-backend", "")).startswith("maturin"):
        return None
    text = read_text(files.tree, "Cargo.toml")
    if text is None:
        return None
    version = parse_toml(text, files.tree.describe("Cargo.toml")).get("package", {}).get("version")
    if isinstance(version, str):
        return Declaration(version, Source("Cargo.toml", key_line(text, "package", "version")))
    return None
