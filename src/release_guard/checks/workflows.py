"""Publish-workflow checks (RG530-RG539): what a GitHub Actions job that uploads with
`pypa/gh-action-pypi-publish` needs for the upload to succeed, and what it hides.

Pure: parsed workflow documents (what `yaml.safe_load` returns) in, findings out. The I/O
edge (`release_guard.workflows`) finds and reads the files, and gives the upload URLs of the
main and the test index from twine's own constants.

A workflow is the project's data: every walk below is bounded (jobs, steps, patterns and
their length), and a password written in the file is shown only as a fingerprint.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from release_guard.checks.tag_filters import compile_pattern, filter_matches, pattern_list, sample_tags
from release_guard.findings import Finding

PUBLISH_ACTION = "pypa/gh-action-pypi-publish"
MAX_JOBS = 256  # GitHub runs at most 256 jobs a workflow; also bounds a YAML alias repeated as jobs
MAX_STEPS = 256

Target = Literal["main", "test"]
MAIN: Target = "main"
TEST: Target = "test"


@dataclass(frozen=True)
class Indexes:
    """The upload URLs of the main index and its test instance (twine's DEFAULT_REPOSITORY and
    TEST_REPOSITORY)."""

    main: str
    test: str


@dataclass(frozen=True)
class Workflow:
    """One parsed workflow file: how messages name it, the document, and the line of each
    node the checks point at, keyed by its path (`("jobs", "publish", "steps", 2)`)."""

    path: str
    document: object
    lines: Mapping[tuple[str | int, ...], int] = field(default_factory=dict)

    def line(self, *keys: str | int) -> int | None:
        """The line of the node at `keys`, else of the nearest node above it that has one."""
        for end in range(len(keys), 0, -1):
            found = self.lines.get(keys[:end])
            if found is not None:
                return found
        return None


# ------------------------------------------------------------------ small readers


def _shown(value: object, limit: int = 60) -> str:
    """A name from the file (a job id), short enough for one line."""
    text = str(value)
    return text if len(text) <= limit else text[:limit] + "..."


def fingerprint(value: object) -> str:
    """What a message says of a secret: the first 8 hex digits of its sha256, never the value."""
    import hashlib

    return f"sha256 {hashlib.sha256(str(value).encode('utf-8', 'surrogatepass')).hexdigest()[:8]}"


# A token pasted where text is quoted: the index's `pypi-...`, or 32+ characters of a key's
# alphabet with a digit in it.
_TOKEN_LIKE = re.compile(r"(?=[\w+/=-]*\d)(?:pypi-[\w-]{16,}|[\w+/=-]{32,})")


def masked(text: str, limit: int = 120) -> str:
    """`text` quoted from a file (a parser's message), bounded, any token-like run fingerprinted."""
    return _TOKEN_LIKE.sub(lambda m: f"(a token, {fingerprint(m.group())})", text[:limit])


def triggers(document: Mapping[Any, Any]) -> object:
    """The workflow's `on:`. YAML 1.1, which PyYAML follows, reads an unquoted `on` key as the
    boolean True."""
    return document["on"] if "on" in document else document.get(True)


def _jobs(document: Mapping[Any, Any]) -> list[tuple[str, Mapping[Any, Any]]]:
    jobs = document.get("jobs")
    if not isinstance(jobs, Mapping):
        return []
    return [(str(job_id), job) for job_id, job in list(jobs.items())[:MAX_JOBS] if isinstance(job, Mapping)]


def is_publish_action(uses: object) -> bool:
    """`pypa/gh-action-pypi-publish` at any ref: `@release/v1`, `@v1.12.4`, a commit sha."""
    return isinstance(uses, str) and uses.strip().partition("@")[0].lower() == PUBLISH_ACTION


def _publish_steps(job: Mapping[Any, Any]) -> list[tuple[int, Mapping[Any, Any]]]:
    steps = job.get("steps")
    if not isinstance(steps, list):
        return []
    return [(i, step) for i, step in enumerate(steps[:MAX_STEPS])
            if isinstance(step, Mapping) and is_publish_action(step.get("uses"))]


def _input(step: Mapping[Any, Any], name: str) -> object:
    """The step's `with:` input, in the spelling the action documents or its old underscore one."""
    inputs = step.get("with")
    if not isinstance(inputs, Mapping):
        return None
    if name in inputs:
        return inputs[name]
    return inputs.get(name.replace("-", "_"))


def _is_expression(value: object) -> bool:
    return isinstance(value, str) and "${{" in value


def _host(url: str) -> str:
    from urllib.parse import urlsplit

    try:
        return (urlsplit(url.strip()).hostname or "").rstrip(".")
    except ValueError:
        return ""


def upload_target(repository_url: object, indexes: Indexes) -> Target | None:
    """Which index a step uploads to: MAIN without `repository-url` (the action's default),
    by host for a URL, None for another index or an expression."""
    if repository_url is None or repository_url == "":
        return MAIN
    if not isinstance(repository_url, str) or _is_expression(repository_url):
        return None
    host = _host(repository_url).lower()
    if host and host == _host(indexes.test).lower():
        return TEST
    main = _host(indexes.main).lower()
    if host and host in (main, main.removeprefix("upload.")):
        return MAIN
    return None


_SECRET_REFERENCE = re.compile(
    r"\bsecrets\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_]{0,99})\b|\[\s*'([A-Za-z_][A-Za-z0-9_]{0,99})'\s*\])")


def secret_names(expression: str) -> list[str]:
    """The secrets an expression reads (`secrets.NAME`, `secrets['NAME']`), in order, once each."""
    names: list[str] = []
    for dotted, indexed in _SECRET_REFERENCE.findall(expression[:1000]):
        name = dotted or indexed
        if name not in names:
            names.append(name)
    return names


def secret_index(name: str) -> Target | None:
    """The index a secret's name says it holds a token for — a heuristic: the name is the
    user's choice. `TEST_PYPI_TOKEN`, `TESTPYPI`, `PYPI_TEST` say the test index; any other
    name with `PYPI` in it says the main one; a name without it (`UPLOAD_TOKEN`) says nothing."""
    squashed = re.sub(r"[^A-Z0-9]", "", name.upper())
    if "TESTPYPI" in squashed or "PYPITEST" in squashed:
        return TEST
    return MAIN if "PYPI" in squashed else None


def _index_name(target: Target) -> str:
    return "the main index" if target == MAIN else "the test index"


# ------------------------------------------------------------------ the checks


def check(workflow: Workflow, tag_format: str, name: str | None, indexes: Indexes) -> list[Finding]:
    """Every finding for one workflow: its tag trigger (when a job in it publishes), then each
    publishing job's permissions, environment, condition and each publish step's inputs."""
    document = workflow.document
    if not isinstance(document, Mapping):
        return []
    publishing = [(job_id, job, steps) for job_id, job in _jobs(document)
                  if (steps := _publish_steps(job))]
    if not publishing:
        return []
    findings = tag_trigger(workflow, tag_format, name)
    for job_id, job, steps in publishing:
        findings += job_permissions(workflow, job_id, job, steps)
        findings += job_condition(workflow, job_id, job, tag_format, name)
        for index, step in steps:
            findings += step_inputs(workflow, job_id, index, step, indexes)
        findings += job_environment(workflow, job_id, job)
    return findings


def _grants_id_token(permissions: object) -> bool:
    if permissions == "write-all":
        return True
    return isinstance(permissions, Mapping) and permissions.get("id-token") == "write"


def job_permissions(workflow: Workflow, job_id: str, job: Mapping[Any, Any],
                    steps: Sequence[tuple[int, Mapping[Any, Any]]]) -> list[Finding]:
    """RG530: a step without a password uses trusted publishing, which needs
    `permissions: id-token: write` for the job. A job's own `permissions` replace the
    workflow's; `write-all` grants it, `read-all` and `{}` do not, and neither does the
    default token."""
    if not any(_password(step) is None for _, step in steps):
        return []
    document = workflow.document
    assert isinstance(document, Mapping)
    if "permissions" in job:
        permissions = job["permissions"]
        origin = "the job's permissions (which replace the workflow's) do not grant id-token: write"
    elif "permissions" in document:
        permissions = document["permissions"]
        origin = "the workflow's permissions do not grant id-token: write"
    else:
        permissions = None
        origin = "neither the job nor the workflow grants id-token: write (the default token lacks it)"
    if _grants_id_token(permissions):
        return []
    return [Finding(
        "RG530", f"job {_shown(job_id)} publishes with trusted publishing (no password), but {origin}: "
        "the upload cannot get its OIDC token", workflow.path,
        workflow.line("jobs", job_id, "permissions"),
        hint=f"add to job {_shown(job_id)}:  permissions: {{id-token: write}}  (a job's permissions "
        "replace the workflow's; list any other the job needs, such as contents: read)")]


def _password(step: Mapping[Any, Any]) -> object:
    """The step's password, None when there is none: then the action uses trusted publishing."""
    password = _input(step, "password")
    return None if password is None or password == "" else password


def step_inputs(workflow: Workflow, job_id: str, index: int, step: Mapping[Any, Any],
                indexes: Indexes) -> list[Finding]:
    """RG531-RG534 and RG539 for one publish step: where its token comes from, whether that
    fits the index it uploads to, its user name, and skip-existing."""
    target = upload_target(_input(step, "repository-url"), indexes)
    where = ("jobs", job_id, "steps", index, "with")
    findings = []
    password = _password(step)
    if password is not None:
        findings += _token_source(workflow, job_id, where, password, target)
        findings += _user(workflow, job_id, where, step, target)
    skip = _input(step, "skip-existing")
    if target == MAIN and (skip is True or (isinstance(skip, str) and skip.strip().lower() == "true")):
        findings.append(Finding(
            "RG534", f"job {_shown(job_id)} uploads to the main index with skip-existing: true: a version "
            "already there is skipped in silence, and the run passes without releasing anything",
            workflow.path, workflow.line(*where, "skip-existing"),
            hint="drop skip-existing (keep it for rehearsals on the test index); release-guard "
            "check-tag says before the push that a version is already there", severity="warning"))
    return findings


def _token_source(workflow: Workflow, job_id: str, where: tuple[str | int, ...], password: object,
                  target: Target | None) -> list[Finding]:
    line = workflow.line(*where, "password")
    job = _shown(job_id)
    if not _is_expression(password):
        return [Finding(
            "RG532", f"job {job}: the password is written in the workflow file (a token, "
            f"{fingerprint(password)}): whoever reads the repository can upload", workflow.path, line,
            hint="revoke that token on the index now, then store a new one as a repository secret "
            "(password: ${{ secrets.PYPI_API_TOKEN }}), or use trusted publishing", severity="warning")]
    assert isinstance(password, str)
    findings = []
    names = secret_names(password)
    if names:
        listed = ", ".join(names[:3])
        findings.append(Finding(
            "RG531", f"job {job} uploads with the token in secret {listed}: it must exist in the "
            "repository's (or the job's environment's) secrets", workflow.path, line,
            hint="an unset secret reaches the action as an empty password, and the action then tries "
            "trusted publishing instead", severity="info"))
    else:
        findings.append(Finding(
            "RG531", f"job {job} takes the password from an expression that names no secret: it "
            "must give a token of the index it uploads to", workflow.path, line, severity="info"))
    if re.search(r"\bvars\s*[.\[]", password[:1000]):
        findings.append(Finding(
            "RG532", f"job {job}: the password comes from a configuration variable (vars.), which is "
            "not secret: whoever reads the repository's settings or the logs can upload", workflow.path,
            line, hint="revoke that token, store a new one as a secret and use secrets.NAME",
            severity="warning"))
    if len(names) == 1 and target is not None:
        said = secret_index(names[0])
        if said is not None and said != target:
            findings.append(Finding(
                "RG533", f"job {job} uploads to {_index_name(target)} with secret {names[0]}, whose name "
                f"says it holds a token of {_index_name(said)} (a guess from the name)", workflow.path,
                line, hint="a token works only on the instance that issued it ('403 Invalid or "
                "non-existent authentication information'): pass the token of "
                f"{_index_name(target)}, or rename the secret if it holds one", severity="warning"))
    return findings


def _user(workflow: Workflow, job_id: str, where: tuple[str | int, ...], step: Mapping[Any, Any],
          target: Target | None) -> list[Finding]:
    """RG539: the main and test index take API tokens only, with the user name `__token__`."""
    user = _input(step, "user")
    if target is None or user is None or user == "" or user == "__token__" or _is_expression(user):
        return []
    return [Finding(
        "RG539", f"job {_shown(job_id)} uploads to {_index_name(target)} as a user other than __token__: "
        "the index takes API tokens only ('Username/Password authentication is no longer supported')",
        workflow.path, workflow.line(*where, "user"),
        hint="drop user: (the action's default is __token__) and pass an API token as the password, "
        "or use trusted publishing")]


def job_environment(workflow: Workflow, job_id: str, job: Mapping[Any, Any]) -> list[Finding]:
    """RG536 (info): a publishing job without `environment:`."""
    if job.get("environment"):
        return []
    return [Finding(
        "RG536", f"job {_shown(job_id)} publishes without an environment: trusted publishers are usually "
        "registered with one, and it can require a reviewer before the upload", workflow.path,
        workflow.line("jobs", job_id),
        hint=f"add  environment: pypi  to job {_shown(job_id)}, and name the same environment in the "
        "trusted publisher's settings on the index", severity="info")]


# ------------------------------------------------------------------ tags: RG535


def tag_trigger(workflow: Workflow, tag_format: str, name: str | None) -> list[Finding]:
    """RG535: `on: push: tags:` (or `tags-ignore:`) lets through no release tag of the project:
    none of tag_filters.SAMPLE_VERSIONS in its tag-format. An error when the push is the workflow's only
    trigger; a warning when another trigger may publish, or when the format names the project
    (a monorepo's workflow may publish another project)."""
    document = workflow.document
    assert isinstance(document, Mapping)
    on = triggers(document)
    push = on.get("push") if isinstance(on, Mapping) else None
    if not isinstance(push, Mapping) or ("tags" not in push and "tags-ignore" not in push):
        return []
    key = "tags" if "tags" in push else "tags-ignore"
    patterns = pattern_list(push[key])
    tags = sample_tags(tag_format, name)
    if patterns is None or tags is None:
        return []
    compiled = [c for c in map(compile_pattern, patterns) if c is not None]
    passes = [tag for tag in tags if filter_matches(compiled, tag) == (key == "tags")]
    if passes:
        return []
    invalid = [p for p in patterns if compile_pattern(p) is None]
    said = f"; invalid: {', '.join(repr(masked(p, 40)) for p in invalid[:3])}" if invalid else ""
    shown = ", ".join(repr(masked(p, 40)) for p in patterns[:5]) or "none"
    only_push = isinstance(on, Mapping) and set(on) == {"push"}
    return [Finding(
        "RG535", f"on: push: {key}: [{shown}] lets no release tag through ({', '.join(tags)} for "
        f"tag-format {tag_format!r}){said}: pushing the release tag will not run this workflow",
        workflow.path, workflow.line("on"),
        hint=f"match the tag-format, e.g. tags: [{_suggested_pattern(tag_format, name)!r}], or set "
        "tag-format in [tool.release-guard] to the tags you push",
        severity="error" if only_push and "{name}" not in tag_format else "warning")]


def _suggested_pattern(tag_format: str, name: str | None) -> str:
    prefix = tag_format.partition("{version}")[0].replace("{name}", name or "*")
    return prefix + "[0-9]*" if prefix else "[0-9]*"


_STARTS_WITH = re.compile(
    r"startsWith\(\s*github\.(ref|ref_name)\s*,\s*'([^']{0,200})'\s*\)", re.IGNORECASE)


def job_condition(workflow: Workflow, job_id: str, job: Mapping[Any, Any], tag_format: str,
                  name: str | None) -> list[Finding]:
    """RG535 for a job's `if:`: a condition that is only `startsWith(github.ref, 'refs/tags/X')`
    tests (joined by `&&`) that no release tag of the project passes. Any `||` or `!` makes the
    condition too open to judge."""
    condition = job.get("if")
    tags = sample_tags(tag_format, name)
    if not isinstance(condition, str) or len(condition) > 1000 or tags is None:
        return []
    text = condition.strip().removeprefix("${{").removesuffix("}}")
    if "||" in text or re.search(r"!(?!=)", text):
        return []
    tests = _STARTS_WITH.findall(text)
    if not tests or any(all(_starts(tag, field_, prefix) for field_, prefix in tests) for tag in tags):
        return []
    return [Finding(
        "RG535", f"job {_shown(job_id)} runs only if {' && '.join(_show_test(t) for t in tests)}, which "
        f"no release tag passes ({', '.join(tags)} for tag-format {tag_format!r}): it will not publish",
        workflow.path, workflow.line("jobs", job_id, "if"),
        hint="make the condition match the tag-format, or set tag-format in [tool.release-guard] to the "
        "tags you push", severity="warning" if "{name}" in tag_format else "error")]


def _starts(tag: str, field_: str, prefix: str) -> bool:
    value = tag if field_.lower() == "ref_name" else f"refs/tags/{tag}"
    return value.startswith(prefix)


def _show_test(test: tuple[str, str]) -> str:
    return f"startsWith(github.{test[0]}, {masked(test[1], 60)!r})"


# ------------------------------------------------------------------ files that were not checked


def not_parsed(path: str, line: int | None, problem: str) -> Finding:
    """RG537 (warning): a workflow file that is not YAML. A broken workflow is GitHub's to
    refuse, not release-guard's to block on; `problem` is the parser's, masked."""
    return Finding(
        "RG537", f"not valid YAML ({masked(problem)}): GitHub will not run this workflow, and "
        "release-guard did not check it", path, line,
        hint="fix the file (a YAML linter, or GitHub's workflow editor, shows the error)", severity="warning")


def not_read(path: str, why: str, hint: str) -> Finding:
    """RG538 (warning): a workflow file (or the folder) that was not read: a symlink out of the
    project, over the size limit, beyond the number of files read, not a regular file."""
    return Finding("RG538", f"not read: {why}", path, hint=hint, severity="warning")
