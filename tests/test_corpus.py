"""Real packaging files of public projects: `release-guard version` must agree with the manifest.

The corpus lives beside the checkout (`../shared/corpus`), or where RELEASE_GUARD_CORPUS
points. Each entry is read from a copy in the working tree and from a git commit.
"""

from __future__ import annotations

import json
import os
import posixpath
import shutil
from pathlib import Path
from typing import Any

import pytest
from packaging.version import Version

from conftest import GitRepo, need


def _corpus_dir() -> Path | None:
    candidates = [Path(__file__).resolve().parents[2] / "shared" / "corpus"]
    if os.environ.get("RELEASE_GUARD_CORPUS"):  # read at collection, before the clean environment
        candidates.append(Path(os.environ["RELEASE_GUARD_CORPUS"]))
    return next((c for c in candidates if (c / "manifest.json").is_file()), None)


CORPUS = _corpus_dir()
ENTRIES: list[dict[str, Any]] = json.loads((CORPUS / "manifest.json").read_text()) if CORPUS else []

_MISSING = ("corpus not found: neither ../shared/corpus beside the checkout nor "
            "$RELEASE_GUARD_CORPUS holds a manifest.json")


@pytest.fixture(autouse=True)
def _corpus_present() -> None:
    """Under .ci/run a missing corpus fails with one line (conftest.need); elsewhere it skips."""
    need(CORPUS, _MISSING)


# `ids` must not be empty for pytest to parametrize; a placeholder keeps the skip visible.
PARAMS = [pytest.param(entry, id=entry["dir"]) for entry in ENTRIES] or [
    pytest.param(None, id="no-corpus")]


def _copy(entry: dict[str, Any], target: Path) -> Path:
    assert CORPUS is not None
    shutil.copytree(CORPUS / entry["dir"], target, dirs_exist_ok=True)
    return target


def _check(document: dict[str, Any], entry: dict[str, Any], project_arg: str) -> None:
    assert document["name"] == entry["name"]
    assert document["version"] == entry["version"]
    # paths are printed joined to -C DIR; strip it to compare with the manifest's entry-relative path
    project_dir = posixpath.dirname(entry["primary_config"])
    printed = posixpath.relpath(document["version_source"]["path"], project_arg)
    assert posixpath.normpath(posixpath.join(project_dir, printed)) == entry["version_source"]
    if entry["version"] is None:
        assert entry["version_pep440"] is None
        assert document["dynamic"] == "vcs"
        assert document["vcs_tool"]
        return
    assert str(Version(document["version"])) == entry["version_pep440"]
    assert document["vcs_tool"] is None
    if entry["version_source"] == entry["primary_config"]:
        assert document["dynamic"] is None
    elif entry["statically_determinable"]:
        assert document["dynamic"] == "file"
    else:
        assert document["dynamic"] in ("computed", "backend")


def test_manifest_is_complete() -> None:
    assert CORPUS is not None, _MISSING
    assert len(ENTRIES) >= 20
    for entry in ENTRIES:
        assert (CORPUS / entry["dir"] / entry["primary_config"]).is_file(), entry["dir"]


@pytest.mark.parametrize("entry", PARAMS)
def test_version_of_working_tree_copy(entry: dict[str, Any], tmp_path: Path, cli: Any) -> None:
    root = _copy(entry, tmp_path / entry["dir"])
    project_arg = str(root / posixpath.dirname(entry["primary_config"]))
    result = cli("version", "--format", "json", "-C", project_arg, cwd=tmp_path)
    assert (result.code, result.err) == (0, "")
    document = json.loads(result.out)
    _check(document, entry, project_arg)
    assert document["read_from"] == "working tree"


@pytest.mark.parametrize("entry", PARAMS)
def test_version_at_committed_ref(entry: dict[str, Any], repo: GitRepo, cli: Any) -> None:
    _copy(entry, repo.path)
    sha = repo.commit(f"import {entry['dir']}")
    for path in repo.path.rglob("*"):  # the commit alone must answer, not the files on disk
        if path.is_file() and ".git" not in path.relative_to(repo.path).parts:
            path.unlink()
    project_arg = posixpath.dirname(entry["primary_config"]) or "."
    result = cli("version", "--format", "json", "--ref", "HEAD", "-C", project_arg, cwd=repo.path)
    assert (result.code, result.err) == (0, "")
    document = json.loads(result.out)
    _check(document, entry, project_arg)
    assert document["read_from"] == sha
