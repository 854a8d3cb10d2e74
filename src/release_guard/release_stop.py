"""What an interrupted `release` says: the step it was in, and from the upload on, exactly
which files reached the index — never a silent half-release.

Before the upload (steps 1-7) nothing was uploaded. During the upload (step 8), twine
uploads one file after another: a file it moved past has reached the index; for the one it
was sending, the index is asked (one read, at most INDEX_WAIT seconds; a file it lists with
the same sha256 reached it). A re-run of `release` finishes the upload: the files the index
already holds with the same sha256 are skipped (release's step 3).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from release_guard.index.targets import Repository

INDEX_WAIT = 3.0  # seconds: how long an interrupted upload asks the index what it holds
STEP_NAMES = ("check-version", "release tags", "index", "clean", "build", "check-dist", "file names",
              "upload", "verify")
UPLOAD_STEP = 8
RERUN = "run `release-guard release` again to upload the rest (files the index holds with the same sha256 " \
        "are skipped)"


def step_name(number: int, total: int) -> str:
    return f"step {number}/{total} ({STEP_NAMES[number - 1] if 0 < number <= len(STEP_NAMES) else '?'})"


def before_upload(number: int, total: int) -> str:
    return f"interrupted during {step_name(number, total)}; nothing was uploaded"


def on_index(target: Repository, name: str, files: Sequence[Path]) -> set[str] | None:
    """The names of `files` that the index lists with their sha256 (or with none given);
    None when the index did not answer within INDEX_WAIT seconds."""
    from release_guard import index
    from release_guard.errors import ReleaseGuardError
    from release_guard.release_build import sha256

    try:
        timeouts = index.Timeouts(connect=INDEX_WAIT, read=INDEX_WAIT)
        with index.Deadline(INDEX_WAIT) as deadline:
            page = index.fetch_project(target, name, timeouts=timeouts, deadline=deadline, retries=0)
    except (ReleaseGuardError, OSError):
        return None
    listed = {f.filename: f.sha256 for f in page.files}
    found = set()
    for path in files:
        if path.name in listed:
            digest = listed[path.name]
            if digest is None or digest.lower() == sha256(path):
                found.add(path.name)
    return found


def during_upload(number: int, total: int, files: Sequence[Path], started: Sequence[str], finished: bool,
                  ask: Callable[[], set[str] | None]) -> str:
    """The line for an upload cut short: `started` are the files twine began, in order;
    `finished`: twine reported every upload done; `ask` reads the index (on_index)."""
    head = f"interrupted during {step_name(number, total)}"
    names = [p.name for p in files]
    if finished:
        return f"{head}; every file reached the index (twine reported each upload): {', '.join(names)}"
    moved_past = set(started[:-1])  # twine starts a file only once the one before was accepted
    listed = ask() if len(moved_past) < len(names) else set()
    if listed is None:
        unknown = ", ".join(n for n in names if n not in moved_past)
        known = ", ".join(n for n in names if n in moved_past)
        # with none known, "no file reached the index" would claim what nobody knows
        said = f"{known} reached the index; whether {unknown} did" if known else \
            f"whether {unknown} reached the index"
        return f"{head}; {said} is unknown (the index did not answer within {INDEX_WAIT:.0f} s); {RERUN}"
    reached = [n for n in names if n in moved_past or n in listed]
    missing = [n for n in names if n not in reached]
    if not reached:
        return f"{head}; nothing reached the index; run `release-guard release` again"
    if not missing:
        return f"{head}; every file reached the index: {', '.join(reached)}"
    return f"{head}; {', '.join(reached)} reached the index, {', '.join(missing)} did not; {RERUN}"

