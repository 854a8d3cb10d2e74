"""The pure publish-workflow checks: parsed workflow documents in, findings out."""

from __future__ import annotations

import re
import textwrap
import time

import pytest
import yaml

from release_guard.checks import tag_filters as tf
from release_guard.checks import workflows as w
from release_guard.findings import Finding, render_github, render_json, render_text

# Stand-ins shaped like twine's two default targets (an upload host and a test host).
INDEXES = w.Indexes(main="https://upload.index.example/legacy/", test="https://test.index.example/legacy/")
PATH = ".github/workflows/publish.yml"

TRUSTED = """
on:
  push:
    tags: ["v*"]
jobs:
  publish:
    runs-on: ubuntu-latest
    environment: pypi
    permissions:
      id-token: write
    steps:
      - uses: actions/download-artifact@v4
      - uses: pypa/gh-action-pypi-publish@release/v1
"""

TOKEN = """
on:
  push:
    tags: ["v*"]
jobs:
  publish:
    runs-on: ubuntu-latest
    environment: release
    steps:
      - uses: pypa/gh-action-pypi-publish@v1.12.4
        with:
          password: ${{ secrets.PYPI_API_TOKEN }}
"""


def lint(text: str, tag_format: str = "v{version}", name: str | None = "demo") -> list[Finding]:
    document = yaml.safe_load(textwrap.dedent(text))
    return w.check(w.Workflow(PATH, document), tag_format, name, INDEXES)


def codes(findings: list[Finding]) -> list[str]:
    return [f.code for f in findings]


def publish_job(**fields: object) -> dict[str, object]:
    """A document with one publishing job; `fields` go into the job, `with_` into the step."""
    step: dict[str, object] = {"uses": "pypa/gh-action-pypi-publish@release/v1"}
    inputs = fields.pop("with_", None)
    if inputs is not None:
        step["with"] = inputs
    job: dict[str, object] = {"runs-on": "ubuntu-latest", "environment": "pypi",
                              "permissions": {"id-token": "write"}, "steps": [step], **fields}
    return {"on": "push", "jobs": {"publish": job}}


def run(document: object, tag_format: str = "v{version}", name: str | None = "demo") -> list[Finding]:
    return w.check(w.Workflow(PATH, document), tag_format, name, INDEXES)


# ------------------------------------------------------------------ clean workflows pass


def test_a_clean_trusted_publishing_workflow_passes() -> None:
    assert lint(TRUSTED) == []


def test_a_clean_token_workflow_only_names_the_secret() -> None:
    [finding] = lint(TOKEN)
    assert (finding.code, finding.severity, finding.path) == ("RG531", "info", PATH)
    assert "secret PYPI_API_TOKEN" in finding.message


def test_a_workflow_that_does_not_publish_is_not_ours() -> None:
    assert lint("on: push\njobs:\n  test:\n    steps:\n      - run: pytest\n") == []
    assert run(None) == []
    assert run(["a", "list"]) == []
    assert run({"jobs": "not a mapping"}) == []


@pytest.mark.parametrize("uses", [
    "pypa/gh-action-pypi-publish@release/v1", "pypa/gh-action-pypi-publish@v1.12.4",
    "pypa/gh-action-pypi-publish@76f52bc884231f62b9a034ebfe128415bbaabdfc", "PyPA/GH-Action-PyPI-Publish@v1",
])
def test_the_publish_action_is_recognised_at_any_ref(uses: str) -> None:
    document = publish_job()
    document["jobs"]["publish"]["permissions"] = {}  # type: ignore[index]
    document["jobs"]["publish"]["steps"][0]["uses"] = uses  # type: ignore[index]
    assert codes(run(document)) == ["RG530"]


@pytest.mark.parametrize("uses", ["pypa/gh-action-pypi-publish-fork@v1", "./pypa/gh-action-pypi-publish",
                                  "actions/checkout@v4", None, 3])
def test_other_actions_are_not_the_publish_action(uses: object) -> None:
    document = publish_job(permissions={})
    document["jobs"]["publish"]["steps"][0]["uses"] = uses  # type: ignore[index]
    assert run(document) == []


# ------------------------------------------------------------------ RG530 permissions


@pytest.mark.parametrize(("workflow_level", "job_level", "granted"), [
    (None, None, False),  # the default token has no id-token
    ({"id-token": "write"}, None, True),
    ("write-all", None, True),
    ("read-all", None, False),
    ({}, None, False),
    ({"id-token": "read"}, None, False),
    ({"id-token": "write"}, {"contents": "read"}, False),  # the job's permissions replace the workflow's
    ({"id-token": "write"}, {}, False),
    ("read-all", {"id-token": "write", "contents": "read"}, True),
    ("read-all", "write-all", True),
])
def test_trusted_publishing_needs_id_token_write(workflow_level: object, job_level: object,
                                                 granted: bool) -> None:
    document = publish_job()
    del document["jobs"]["publish"]["permissions"]  # type: ignore[attr-defined]
    if workflow_level is not None:
        document["permissions"] = workflow_level
    if job_level is not None:
        document["jobs"]["publish"]["permissions"] = job_level  # type: ignore[index]
    found = run(document)
    assert codes(found) == ([] if granted else ["RG530"])
    if not granted:
        assert found[0].severity == "error"
        assert "id-token: write" in found[0].message
        assert "id-token: write" in found[0].hint


def test_rg530_says_the_job_permissions_replace_the_workflows() -> None:
    [finding] = lint("""
        permissions:
          id-token: write
        on: push
        jobs:
          release:
            environment: pypi
            permissions:
              contents: read
            steps:
              - uses: pypa/gh-action-pypi-publish@release/v1
        """)
    assert finding.code == "RG530"
    assert finding.message == (
        "job release publishes with trusted publishing (no password), but the job's permissions (which "
        "replace the workflow's) do not grant id-token: write: the upload cannot get its OIDC token")


@pytest.mark.parametrize("password", ["", None])
def test_an_empty_password_is_trusted_publishing(password: object) -> None:
    assert codes(run(publish_job(permissions={}, with_={"password": password}))) == ["RG530"]


def test_a_token_needs_no_id_token() -> None:
    found = run(publish_job(permissions={}, with_={"password": "${{ secrets.PYPI_API_TOKEN }}"}))
    assert codes(found) == ["RG531"]


# ------------------------------------------------------------------ RG531 / RG532 the token


@pytest.mark.parametrize(("password", "named"), [
    ("${{ secrets.PYPI_API_TOKEN }}", "PYPI_API_TOKEN"),
    ("${{secrets.pypi_password}}", "pypi_password"),
    ("${{ secrets['UPLOAD'] }}", "UPLOAD"),
])
def test_rg531_names_the_secret_that_must_exist(password: str, named: str) -> None:
    [finding] = run(publish_job(with_={"password": password}))
    assert finding.code == "RG531"
    assert finding.severity == "info"
    assert finding.message == (f"job publish uploads with the token in secret {named}: it must exist in the "
                               "repository's (or the job's environment's) secrets")


def test_rg531_for_an_expression_without_a_secret() -> None:
    [finding] = run(publish_job(with_={"password": "${{ env.TOKEN }}"}))
    assert finding.code == "RG531"
    assert "names no secret" in finding.message


LITERAL = "pypi-AgEIcHlwaS5vcmcCJDAwMDAwMDAwLTAwMDAtMDAwMC0wMDAwLTAwMDAwMDAwMDAwMAACKlszLCJ"


def test_rg532_a_literal_password_is_shown_only_as_a_fingerprint(leak_guard: object) -> None:
    from conftest import LeakGuard

    assert isinstance(leak_guard, LeakGuard)
    leak_guard.register(LITERAL)
    [finding] = run(publish_job(with_={"password": LITERAL}))
    assert (finding.code, finding.severity) == ("RG532", "warning")
    assert w.fingerprint(LITERAL) in finding.message
    assert re.search(r"sha256 [0-9a-f]{8}\)", finding.message)
    for rendered in (render_text([finding]), render_json([finding]), render_github([finding]), repr(finding)):
        assert LITERAL not in rendered
        assert LITERAL[:20] not in rendered
        leak_guard.saw("a rendered finding", rendered)


def test_rg532_a_password_that_is_not_text_is_a_literal_too() -> None:
    [finding] = run(publish_job(with_={"password": 123456789}))
    assert finding.code == "RG532"
    assert "123456789" not in finding.message


def test_rg532_a_configuration_variable_is_not_secret() -> None:
    found = run(publish_job(with_={"password": "${{ vars.PYPI_TOKEN }}"}))
    assert codes(found) == ["RG531", "RG532"]
    assert "configuration variable" in found[1].message


# ------------------------------------------------------------------ RG533 token of the other index


@pytest.mark.parametrize(("url", "secret", "said"), [
    (INDEXES.test, "PYPI_API_TOKEN", "the main index"),
    (INDEXES.test, "pypi_password", "the main index"),
    (None, "TEST_PYPI_API_TOKEN", "the test index"),
    (INDEXES.main, "TESTPYPI_TOKEN", "the test index"),
    ("https://index.example/legacy/", "PYPI_TEST", "the test index"),  # the main index's site host
])
def test_rg533_a_secret_named_for_the_other_index(url: str | None, secret: str, said: str) -> None:
    inputs = {"password": f"${{{{ secrets.{secret} }}}}"}
    if url:
        inputs["repository-url"] = url
    found = run(publish_job(with_=inputs))
    assert codes(found) == ["RG531", "RG533"]
    assert found[1].severity == "warning"
    assert f"whose name says it holds a token of {said} (a guess from the name)" in found[1].message


@pytest.mark.parametrize(("url", "secret"), [
    (INDEXES.test, "TEST_PYPI_API_TOKEN"),
    (INDEXES.test, "UPLOAD_TOKEN"),  # the name says nothing
    (None, "PYPI_API_TOKEN"),
    ("https://upload.index.example/legacy/", "PYPI_TOKEN"),
    ("https://private.example/simple/", "TEST_PYPI_TOKEN"),  # another index: nothing to compare
    ("${{ vars.INDEX_URL }}", "TEST_PYPI_TOKEN"),
])
def test_rg533_not_for_a_fitting_or_unknowable_secret(url: str | None, secret: str) -> None:
    inputs = {"password": f"${{{{ secrets.{secret} }}}}"}
    if url:
        inputs["repository_url"] = url  # the old spelling of the input counts too
    assert codes(run(publish_job(with_=inputs))) == ["RG531"]


def test_rg533_not_when_the_expression_chooses_between_secrets() -> None:
    password = "${{ github.ref_type == 'tag' && secrets.PYPI_TOKEN || secrets.TEST_PYPI_TOKEN }}"
    assert codes(run(publish_job(with_={"password": password, "repository-url": INDEXES.test}))) == ["RG531"]


def test_secret_names_say_an_index_by_heuristic() -> None:
    assert [w.secret_index(n) for n in ("TEST_PYPI_API_TOKEN", "TestPyPI", "PYPI_TEST_TOKEN",
                                        "PYPI_API_TOKEN", "pypi", "TOKEN", "RELEASE")] == [
        "test", "test", "test", "main", "main", None, None]


# ------------------------------------------------------------------ RG534 skip-existing


@pytest.mark.parametrize("value", [True, "true", "True"])
def test_rg534_skip_existing_on_the_main_index(value: object) -> None:
    found = run(publish_job(with_={"skip-existing": value}))
    assert codes(found) == ["RG534"]
    assert found[0].severity == "warning"
    assert "skipped in silence" in found[0].message


@pytest.mark.parametrize("inputs", [
    {"skip-existing": True, "repository-url": INDEXES.test},  # rehearsals may re-run
    {"skip-existing": False},
    {"skip-existing": "${{ inputs.skip }}"},
    {"skip_existing": "false"},
])
def test_rg534_not_elsewhere_or_off(inputs: dict[str, object]) -> None:
    assert run(publish_job(with_=inputs)) == []


def test_rg534_with_the_old_spelling_and_an_explicit_main_url() -> None:
    found = run(publish_job(with_={"skip_existing": True, "repository-url": INDEXES.main}))
    assert codes(found) == ["RG534"]


# ------------------------------------------------------------------ RG539 user name


def test_rg539_a_user_name_and_password_on_the_index() -> None:
    found = run(publish_job(with_={"user": "maintainer", "password": "${{ secrets.PYPI_PASSWORD }}"}))
    assert codes(found) == ["RG531", "RG539"]
    assert "maintainer" not in found[1].message  # a pasted token would be shown otherwise


@pytest.mark.parametrize("inputs", [
    {"user": "__token__", "password": "${{ secrets.PYPI_API_TOKEN }}"},
    {"user": "${{ secrets.USER }}", "password": "${{ secrets.PASSWORD }}"},
    {"user": "maintainer", "password": "${{ secrets.PASSWORD }}",
     "repository-url": "https://private.example/legacy/"},  # another index may take passwords
])
def test_rg539_not_for_a_token_or_another_index(inputs: dict[str, object]) -> None:
    assert "RG539" not in codes(run(publish_job(with_=inputs)))


# ------------------------------------------------------------------ RG536 environment


def test_rg536_a_publishing_job_without_an_environment_is_info() -> None:
    document = publish_job()
    del document["jobs"]["publish"]["environment"]  # type: ignore[attr-defined]
    [finding] = run(document)
    assert (finding.code, finding.severity) == ("RG536", "info")
    assert "environment: pypi" in finding.hint


def test_rg536_an_environment_with_a_url_counts() -> None:
    assert run(publish_job(environment={"name": "pypi", "url": "https://example.invalid/p/demo"})) == []


# ------------------------------------------------------------------ RG535 tag triggers


def tagged(tags: object, key: str = "tags", **more_triggers: object) -> dict[str, object]:
    document = publish_job()
    document["on"] = {"push": {key: tags}, **more_triggers}
    return document


@pytest.mark.parametrize(("tags", "tag_format"), [
    (["v*"], "{version}"),
    (["release-*"], "v{version}"),
    (["v[0-9]+.[0-9]+.[0-9]+-final"], "v{version}"),
    (["v*", "!v*"], "v{version}"),  # the negation comes last: excluded
    (["V*"], "v{version}"),  # case matters
    ("release-*", "v{version}"),  # one pattern as a string
])
def test_rg535_tags_that_let_no_release_tag_through(tags: object, tag_format: str) -> None:
    [finding] = run(tagged(tags), tag_format)
    assert (finding.code, finding.severity) == ("RG535", "error")
    assert "lets no release tag through" in finding.message
    assert "tag-format" in finding.message


@pytest.mark.parametrize(("tags", "tag_format"), [
    (["v*"], "v{version}"),
    (["*"], "{version}"),
    (["**"], "v{version}"),
    (["[0-9]+.[0-9]+*"], "{version}"),
    (["v?[0-9]*"], "{version}"),  # `?`: zero or one `v`
    (["v[12].[0-9]+.[0-9]+"], "v{version}"),  # 1.0.0 passes, 1.0 does not: one is enough
    (["!v*", "v*"], "v{version}"),  # a later positive pattern takes it back
    (["v*", "!v*rc*"], "v{version}"),
    (["demo-v*"], "{name}-v{version}"),
])
def test_rg535_not_when_a_release_tag_passes(tags: object, tag_format: str) -> None:
    assert run(tagged(tags), tag_format) == []


def test_rg535_tags_ignore_that_ignores_every_release_tag() -> None:
    assert codes(run(tagged(["v*"], key="tags-ignore"))) == ["RG535"]
    assert run(tagged(["*rc*"], key="tags-ignore")) == []


def test_rg535_is_a_warning_when_another_trigger_may_publish() -> None:
    [finding] = run(tagged(["release-*"], workflow_dispatch=None))
    assert (finding.code, finding.severity) == ("RG535", "warning")


def test_rg535_for_a_monorepo_format_is_a_warning_and_needs_the_name() -> None:
    [finding] = run(tagged(["other-v*"]), "{name}-v{version}", "demo")
    assert (finding.code, finding.severity) == ("RG535", "warning")
    assert "demo-v1.0" in finding.message
    assert run(tagged(["other-v*"]), "{name}-v{version}", None) == []  # cannot tell


def test_rg535_an_invalid_pattern_is_named() -> None:
    [finding] = run(tagged(["v[]*"]))
    assert "invalid: 'v[]*'" in finding.message


def test_rg535_reads_the_on_key_that_yaml_makes_true() -> None:
    text = TRUSTED.replace('"v*"', '"release-*"')
    document = yaml.safe_load(text)
    assert True in document
    assert "on" not in document
    assert codes(run(document)) == ["RG535"]
    assert codes(run(yaml.safe_load(text.replace("on:", '"on":', 1)))) == ["RG535"]


@pytest.mark.parametrize("triggers", [
    "push", ["push", "workflow_dispatch"], {"push": None}, {"push": {"branches": ["main"]}},
    {"release": {"types": ["published"]}},
])
def test_rg535_not_without_tag_filters(triggers: object) -> None:
    document = publish_job()
    document["on"] = triggers
    assert run(document, "{version}") == []


def test_rg535_too_many_or_too_long_patterns_are_not_judged() -> None:
    assert run(tagged(["x" * (tf.MAX_PATTERN_LENGTH + 1)])) == []
    assert run(tagged(["nope-*"] * (tf.MAX_PATTERNS + 1))) == []


@pytest.mark.parametrize(("condition", "tag_format", "found"), [
    ("startsWith(github.ref, 'refs/tags/v')", "{version}", True),
    ("${{ startsWith(github.ref, 'refs/tags/v') }}", "v{version}", False),
    ("github.event_name == 'push' && startsWith(github.ref, 'refs/tags/release-')", "v{version}", True),
    ("startsWith(github.ref_name, 'v')", "{version}", True),
    ("startswith(github.ref, 'refs/tags')", "{version}", False),
    ("startsWith(github.ref, 'refs/tags/v') || github.event_name == 'workflow_dispatch'", "{version}", False),
    ("!startsWith(github.ref, 'refs/tags/v')", "{version}", False),
    ("github.repository == 'o/r'", "{version}", False),
])
def test_rg535_a_job_condition_no_release_tag_passes(condition: str, tag_format: str, found: bool) -> None:
    result = run(publish_job(**{"if": condition}), tag_format)
    assert codes(result) == (["RG535"] if found else [])
    if found:
        assert result[0].severity == "error"
        assert "runs only if startsWith(github." in result[0].message


# ------------------------------------------------------------------ GitHub's filter patterns


@pytest.mark.parametrize(("pattern", "text", "expected"), [
    ("feature/*", "feature/my-branch", True),
    ("feature/*", "feature/a/b", False),
    ("feature/**", "feature/a/b", True),
    ("**/README.md", "README.md", True),
    ("**/README.md", "docs/README.md", True),
    ("*", "v1.0", True),
    ("*", "a/b", False),
    ("**", "a/b", True),
    ("v1.*", "v1.10", True),
    ("v1.*", "v2.0", False),
    ("v[12].[0-9]+.[0-9]+", "v1.10.1", True),
    ("v[12].[0-9]+.[0-9]+", "v3.0.0", False),
    ("v[12].[0-9]+.[0-9]+", "v1..1", False),
    ("[CB]at", "Cat", True),
    ("[1-2]00", "200", True),
    ("[1-2]00", "300", False),
    ("v?1", "1", True),
    ("v?1", "vv1", False),
    ("ab+c", "abbbc", True),
    ("ab+c", "ac", False),
    ("+v", "+v", True),  # a quantifier first is literal
    (r"\*", "*", True),
    (r"\*", "x", False),
    ("v1.0", "v1x0", False),  # `.` is literal
    ("mona/octocat", "mona/octocat", True),
])
def test_filter_patterns_match_as_github_documents(pattern: str, text: str, expected: bool) -> None:
    compiled = tf.compile_pattern(pattern)
    assert compiled is not None
    assert tf.pattern_matches(compiled[1], text) is expected


@pytest.mark.parametrize("pattern", ["[]", "v[", "[!a]", "[a-9]", "[z-a]", "\\", "[.]"])
def test_invalid_filter_patterns(pattern: str) -> None:
    assert tf.compile_pattern(pattern) is None


def test_matching_is_linear_not_backtracking() -> None:
    compiled = tf.compile_pattern("*a" * 60 + "z")
    assert compiled is not None
    start = time.perf_counter()
    assert tf.pattern_matches(compiled[1], "a" * tf.MAX_TAG_LENGTH) is False
    assert time.perf_counter() - start < 1.0


# ------------------------------------------------------------------ lines, bounds, files not checked


def test_findings_point_at_the_nearest_known_line() -> None:
    document = publish_job(permissions={})
    lines = {("on",): 1, ("jobs", "publish"): 5, ("jobs", "publish", "steps", 0): 9}
    [finding] = w.check(w.Workflow(PATH, document, lines), "v{version}", "demo", INDEXES)
    assert (finding.code, finding.line) == ("RG530", 5)
    document = publish_job(with_={"password": "${{ secrets.PYPI_API_TOKEN }}"})
    lines[("jobs", "publish", "steps", 0, "with", "password")] = 11
    [finding] = w.check(w.Workflow(PATH, document, lines), "v{version}", "demo", INDEXES)
    assert (finding.code, finding.line) == ("RG531", 11)


def test_jobs_and_steps_are_bounded() -> None:
    job = publish_job(permissions={})["jobs"]["publish"]  # type: ignore[index]
    job["steps"] = job["steps"] * 1000
    document = {"on": "push", "jobs": {f"j{i}": job for i in range(1000)}}
    assert len(run(document)) == w.MAX_JOBS  # one RG530 a job, however many steps


def test_job_names_are_shortened() -> None:
    document = publish_job()
    document["jobs"] = {"x" * 500: document["jobs"]["publish"]}  # type: ignore[index]
    del document["jobs"]["x" * 500]["environment"]  # type: ignore[index]
    [finding] = run(document)
    assert len(finding.message) < 300


def test_rg537_masks_a_token_in_the_parsers_message() -> None:
    finding = w.not_parsed(PATH, 3, f"found undefined alias '{LITERAL}'")
    assert (finding.code, finding.severity, finding.line) == ("RG537", "warning", 3)
    assert LITERAL not in finding.message
    assert "(a token, sha256 " in finding.message


def test_rg538_names_what_was_not_read() -> None:
    finding = w.not_read(PATH, "a symlink leads outside the project", "replace it with a file")
    assert (finding.code, finding.severity, finding.path) == ("RG538", "warning", PATH)
