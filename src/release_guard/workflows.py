"""The publish-workflow lint's I/O edge: find the GitHub Actions workflows of the repository
that holds the project, read each one inside the repository and within bounds, parse it, and
hand the documents to `checks.workflows`.

`findings(project_dir, tag_format, name)` is the one call `check-auth` makes. A workflow file
is the project's data: no symlink out of the repository is followed, at most MAX_FILES files
of at most MAX_FILE_SIZE bytes are read, YAML is parsed with the safe loader only, and a file
that cannot be read or parsed is a warning naming it, never a traceback.
"""

from __future__ import annotations

import os
import stat
from typing import TYPE_CHECKING, Any

from release_guard.checks import workflows as checks
from release_guard.findings import Finding
from release_guard.tree import OutsideProject, contained, shown_path

if TYPE_CHECKING:
    import yaml

WORKFLOWS_DIR = ".github/workflows"
MAX_FILE_SIZE = 1024 * 1024  # bytes of one workflow file; GitHub's own largest are a few KiB
MAX_FILES = 64
MAX_INPUTS = 64  # `with:` keys a step's lines are kept for

_Lines = dict[tuple[str | int, ...], int]


def findings(project_dir: str, tag_format: str, name: str | None) -> list[Finding]:
    """Every finding of the workflows in `.github/workflows/` (`*.yml`, `*.yaml`) at the top of
    the git repository that holds `project_dir` (or in `project_dir` itself outside git)."""
    from release_guard.index.pypirc import _twine_default_urls

    root = _repository_root(project_dir)
    urls = _twine_default_urls()
    indexes = checks.Indexes(main=urls["pypi"], test=urls["testpypi"])
    found: list[Finding] = []
    paths, refused = _workflow_paths(root, project_dir)
    found += refused
    for rel in paths:
        shown = _shown(project_dir, root, rel)
        data = _read(root, rel)
        if isinstance(data, Finding):
            found.append(data._replace(path=shown))
            continue
        parsed = parse(shown, data)
        if isinstance(parsed, Finding):
            found.append(parsed)
        else:
            found += checks.check(parsed, tag_format, name, indexes)
    return found


def _repository_root(project_dir: str) -> str:
    from release_guard.git import NoRepository, open_repo

    try:
        return open_repo(project_dir).top
    except NoRepository:
        return project_dir


def _shown(project_dir: str, root: str, rel: str) -> str:
    """How messages name a file of the repository: as the project's other files are named,
    relative to where release-guard runs (`.github/workflows/publish.yml` from the top)."""
    from_project = os.path.relpath(os.path.join(os.path.realpath(root), rel), os.path.realpath(project_dir))
    return shown_path(project_dir, from_project).replace(os.sep, "/")


def _outside(real_root: str, path: str) -> str | None:
    """Where `path` really leads, when that is outside the repository; None when inside."""
    real = os.path.realpath(path)
    return None if os.path.commonpath([real_root, real]) == real_root else real


def _workflow_paths(root: str, project_dir: str) -> tuple[list[str], list[Finding]]:
    """The repository-relative paths of the first MAX_FILES workflow files, by name, and a
    finding for what is not read: the folder leading out of the repository, or more files."""
    folder = os.path.join(root, WORKFLOWS_DIR)
    shown = _shown(project_dir, root, WORKFLOWS_DIR)
    if not os.path.isdir(folder):
        return [], []
    leads_to = _outside(os.path.realpath(root), folder)
    if leads_to is not None:
        return [], [checks.not_read(shown, f"a symlink leads to {leads_to}, outside the repository",
                                    f"make {WORKFLOWS_DIR} a folder of the repository")]
    try:
        with os.scandir(folder) as entries:
            names = sorted(e.name for e in entries if e.name.endswith((".yml", ".yaml")))
    except OSError as exc:
        return [], [checks.not_read(shown, f"the folder cannot be listed ({exc.strerror or exc})",
                                    f"check the folder's permissions (ls -ld {WORKFLOWS_DIR})")]
    refused = []
    if len(names) > MAX_FILES:
        refused.append(checks.not_read(
            shown, f"{len(names) - MAX_FILES} workflow files after the first {MAX_FILES} (from "
            f"{names[MAX_FILES]})", "move the publish workflow among the first files by name"))
    return [f"{WORKFLOWS_DIR}/{n}" for n in names[:MAX_FILES]], refused


def _read(root: str, rel: str) -> bytes | Finding:
    """The file's bytes, or an RG538 finding (its path left for the caller to set): a symlink
    out of the repository, not a regular file, over MAX_FILE_SIZE, or unreadable."""
    try:
        clean = contained(rel)
    except OutsideProject as exc:
        return checks.not_read(rel, exc.why, "")
    path = os.path.join(root, clean)
    leads_to = _outside(os.path.realpath(root), path)
    if leads_to is not None:
        return checks.not_read(rel, f"a symlink leads to {leads_to}, outside the repository",
                               "replace the symlink with the workflow file itself")
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
    try:
        # the resolved path, without following a link that appears there since: a FIFO does not
        # block the open (O_NONBLOCK), and fstat then refuses it
        handle = os.fdopen(os.open(os.path.realpath(path), flags), "rb")
    except OSError as exc:
        return checks.not_read(rel, f"cannot be opened ({exc.strerror or exc})",
                               "check the file's permissions")
    with handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            return checks.not_read(rel, "not a regular file", "a workflow is a plain YAML file")
        data = handle.read(MAX_FILE_SIZE + 1)
    if len(data) > MAX_FILE_SIZE:
        return checks.not_read(rel, f"over {MAX_FILE_SIZE // 1024 // 1024} MiB",
                               "a publish workflow is a few KiB: is this file generated?")
    return data


def parse(shown: str, data: bytes) -> checks.Workflow | Finding:
    """The workflow in `data`, with the line of each node the checks point at; RG537 when it is
    not UTF-8 or not one YAML document. PyYAML's safe loader, as `yaml.safe_load` (libyaml's
    when present: it also refuses nesting over 1000 levels)."""
    import yaml

    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return checks.not_parsed(shown, body[:exc.start].count(b"\n") + 1, f"not UTF-8: byte {exc.start}")
    loader = _loader_class()(text)
    try:
        node = loader.get_single_node()
        document = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        return checks.not_parsed(shown, mark.line + 1 if mark is not None else None,
                                 exc.problem or exc.context or type(exc).__name__)
    except yaml.reader.ReaderError as exc:
        line = text[:exc.position].count("\n") + 1
        return checks.not_parsed(shown, line, f"character #x{exc.character:04x}: {exc.reason}")
    except yaml.YAMLError as exc:
        return checks.not_parsed(shown, None, type(exc).__name__)
    except RecursionError:  # the pure-Python loader, on nesting deeper than Python's stack
        return checks.not_parsed(shown, None, "nested too deeply")
    finally:
        loader.dispose()
    return checks.Workflow(shown, document, lines(node))


def _loader_class() -> type[yaml.SafeLoader]:
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _mapping(node: object) -> list[tuple[str, int, Any]]:
    """(key text, the key's line, value node) of each scalar key of a mapping node."""
    import yaml

    if not isinstance(node, yaml.MappingNode):
        return []
    return [(key.value, _line(key), value) for key, value in node.value if isinstance(key, yaml.ScalarNode)]


def _line(node: Any) -> int:
    return int(node.start_mark.line) + 1


def lines(node: object) -> _Lines:
    """The line of `on:`, of each job and its `permissions`/`if`/`environment`, of each step and
    each of its `with:` inputs, keyed as `checks.Workflow.lines` wants; bounded as the checks are."""
    import yaml

    found: _Lines = {}
    for key, key_line, value in _mapping(node):
        if key == "on":
            found[("on",)] = key_line
        if key != "jobs":
            continue
        for job_id, job_line, job in _mapping(value)[:checks.MAX_JOBS]:
            found[("jobs", job_id)] = job_line
            for field, field_line, child in _mapping(job):
                if field in ("permissions", "if", "environment"):
                    found[("jobs", job_id, field)] = field_line
                elif field == "steps" and isinstance(child, yaml.SequenceNode):
                    for index, step in enumerate(child.value[:checks.MAX_STEPS]):
                        found[("jobs", job_id, "steps", index)] = _line(step)
                        inputs = next((v for k, _, v in _mapping(step) if k == "with"), None)
                        for name, input_line, _ in _mapping(inputs)[:MAX_INPUTS]:
                            found[("jobs", job_id, "steps", index, "with", name)] = input_line
    return found
