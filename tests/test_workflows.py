"""The publish-workflow lint on real files: workflow files in real git repositories, found,
read within bounds, parsed and checked."""

from __future__ import annotations

import os
import re
import textwrap
from pathlib import Path

import pytest

from conftest import GitRepo, LeakGuard
from release_guard import workflows
from release_guard.findings import Finding, render_text
from release_guard.index.pypirc import _twine_default_urls

ROOT = Path(__file__).resolve().parents[1]
RECOMMENDED = ROOT / "tests" / "data" / "publish-workflow.yml"
WORKFLOW = ".github/workflows/publish.yml"

TRUSTED = textwrap.dedent("""\
    name: publish
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
    """)

TOKEN = textwrap.dedent("""\
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
    """)


def write(repo: GitRepo, text: str, rel: str = WORKFLOW) -> Path:
    return repo.write(rel, text)


def lint(repo: GitRepo, monkeypatch: pytest.MonkeyPatch, tag_format: str = "v{version}",
         name: str | None = "demo", project: str = ".") -> list[Finding]:
    monkeypatch.chdir(repo.path)
    return workflows.findings(project, tag_format, name)


def codes(findings: list[Finding]) -> list[str]:
    return [f.code for f in findings]


def test_a_clean_trusted_publishing_workflow_passes(repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    write(repo, TRUSTED)
    assert lint(repo, monkeypatch) == []


def test_a_clean_token_workflow_names_only_its_secret(repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    write(repo, TOKEN, ".github/workflows/release.yaml")
    [finding] = lint(repo, monkeypatch)
    assert (finding.code, finding.severity) == ("RG531", "info")
    assert (finding.path, finding.line) == (".github/workflows/release.yaml", 11)
    assert "secret PYPI_API_TOKEN" in finding.message


def test_no_workflows_no_findings(repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    assert lint(repo, monkeypatch) == []
    repo.write(".github/workflows/README.md", "not a workflow\n")
    repo.write(".github/workflows/tests.yml", "on: push\njobs:\n  test:\n    steps:\n      - run: pytest\n")
    assert lint(repo, monkeypatch) == []


# ------------------------------------------------------------------ each finding from a real file


def test_rg530_trusted_publishing_without_id_token(repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    write(repo, TRUSTED.replace("id-token: write", "contents: read"))
    [finding] = lint(repo, monkeypatch)
    assert (finding.code, finding.severity) == ("RG530", "error")
    assert (finding.path, finding.line) == (WORKFLOW, 9)  # the job's permissions
    assert render_text([finding]).startswith(f"{WORKFLOW}:9: RG530 job publish publishes with trusted "
                                             "publishing (no password), but the job's permissions")


def test_rg530_workflow_level_permissions_count(repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    text = TRUSTED.replace("    permissions:\n      id-token: write\n", "")
    write(repo, "permissions:\n  id-token: write\n" + text)
    assert lint(repo, monkeypatch) == []
    write(repo, "permissions: read-all\n" + text)
    [finding] = lint(repo, monkeypatch)
    assert finding.code == "RG530"
    assert finding.line == 7  # no permissions in the job: the job's line


def test_rg532_a_token_in_the_file_is_only_fingerprinted(repo: GitRepo, monkeypatch: pytest.MonkeyPatch,
                                                         leak_guard: LeakGuard) -> None:
    literal = "pypi-AgEIcHlwaS5vcmcCJGE5ZTg0YWQ0LTk4YjAtNGUxNi1iMjMxLTk1OGQ5YjJmZDJlNgACKlszLCJ"
    leak_guard.register(literal)
    path = write(repo, TOKEN.replace("${{ secrets.PYPI_API_TOKEN }}", literal))
    leak_guard.allow_file(path)  # the test's own file: it is the finding
    [finding] = lint(repo, monkeypatch)
    assert (finding.code, finding.severity, finding.line) == ("RG532", "warning", 11)
    assert re.search(r"\(a token, sha256 [0-9a-f]{8}\)", finding.message)
    leak_guard.saw("the finding", render_text([finding]))


def test_rg533_the_test_index_with_a_main_index_secret(repo: GitRepo,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    test_url = _twine_default_urls()["testpypi"]  # twine's own constant: no index host in this file
    write(repo, TOKEN + f"          repository-url: {test_url}\n")
    found = lint(repo, monkeypatch)
    assert codes(found) == ["RG531", "RG533"]
    assert "uploads to the test index with secret PYPI_API_TOKEN" in found[1].message
    write(repo, TOKEN.replace("PYPI_API_TOKEN", "TEST_PYPI_API_TOKEN")
          + f"          repository-url: {test_url}\n")
    assert codes(lint(repo, monkeypatch)) == ["RG531"]


def test_rg533_the_main_index_with_a_test_index_secret(repo: GitRepo,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    main_url = _twine_default_urls()["pypi"]
    write(repo, TOKEN.replace("PYPI_API_TOKEN", "TEST_PYPI_API_TOKEN")
          + f"          repository-url: {main_url}\n")
    found = lint(repo, monkeypatch)
    assert codes(found) == ["RG531", "RG533"]
    assert "uploads to the main index with secret TEST_PYPI_API_TOKEN" in found[1].message


def test_rg534_skip_existing_on_the_main_index(repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    write(repo, TRUSTED + "        with:\n          skip-existing: true\n")
    [finding] = lint(repo, monkeypatch)
    assert (finding.code, finding.severity, finding.line) == ("RG534", "warning", 15)
    test_url = _twine_default_urls()["testpypi"]
    write(repo, TRUSTED + "        with:\n          skip-existing: true\n"
          + f"          repository-url: {test_url}\n")
    assert lint(repo, monkeypatch) == []


@pytest.mark.parametrize(("tags", "tag_format"), [('["v*"]', "{version}"), ('["release-*"]', "v{version}")])
def test_rg535_a_tag_trigger_that_misses_the_tag_format(repo: GitRepo, monkeypatch: pytest.MonkeyPatch,
                                                        tags: str, tag_format: str) -> None:
    write(repo, TRUSTED.replace('["v*"]', tags))
    [finding] = lint(repo, monkeypatch, tag_format)
    assert (finding.code, finding.severity, finding.line) == ("RG535", "error", 2)  # the `on:` line


def test_rg535_a_job_condition_that_misses_the_tag_format(repo: GitRepo,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    write(repo, TRUSTED.replace('tags: ["v*"]', "branches: [main]").replace(
        "    environment: pypi\n", "    environment: pypi\n    if: startsWith(github.ref, 'refs/tags/v')\n"))
    [finding] = lint(repo, monkeypatch, "{version}")
    assert (finding.code, finding.line) == ("RG535", 9)


def test_rg536_no_environment(repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    write(repo, TRUSTED.replace("    environment: pypi\n", ""))
    [finding] = lint(repo, monkeypatch)
    assert (finding.code, finding.severity, finding.line) == ("RG536", "info", 6)


def test_rg539_a_user_name(repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    write(repo, TOKEN + "          user: maintainer\n")
    found = lint(repo, monkeypatch)
    assert codes(found) == ["RG531", "RG539"]
    assert found[1].line == 12


# ------------------------------------------------------------------ files that are not checked


@pytest.mark.parametrize(("text", "line"), [
    ("on: push\njobs:\n  publish: [unclosed\n", 4),
    ("on: push\n\tjobs: {}\n", 2),
    ("a: 1\n---\nb: 2\n", 2),
    ("jobs: !!python/object:os.system {}\n", 1),
])
def test_rg537_malformed_yaml_is_a_warning_with_its_line(repo: GitRepo, monkeypatch: pytest.MonkeyPatch,
                                                         text: str, line: int) -> None:
    repo.write(WORKFLOW, text)
    [finding] = lint(repo, monkeypatch)
    assert (finding.code, finding.severity, finding.path) == ("RG537", "warning", WORKFLOW)
    assert finding.line == line
    assert "not valid YAML" in finding.message


def test_rg537_not_utf8_and_deep_nesting(repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    (repo.path / ".github/workflows").mkdir(parents=True)
    (repo.path / WORKFLOW).write_bytes(b"on: push\nname: \xff\n")
    [finding] = lint(repo, monkeypatch)
    assert (finding.code, finding.line) == ("RG537", 2)
    assert "not UTF-8" in finding.message
    (repo.path / WORKFLOW).write_text("a: " + "[" * 100_000 + "]" * 100_000 + "\n")
    assert codes(lint(repo, monkeypatch)) == ["RG537"]


def test_a_broken_file_does_not_hide_the_others(repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    repo.write(".github/workflows/a-broken.yml", "on: [push\n")
    write(repo, TRUSTED.replace("    environment: pypi\n", ""))
    assert codes(lint(repo, monkeypatch)) == ["RG537", "RG536"]


def test_rg538_a_symlink_out_of_the_repository_is_not_followed(repo: GitRepo, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    outside = tmp_path / "outside.yml"
    outside.write_text(TRUSTED.replace("id-token: write", "contents: read"))
    (repo.path / ".github/workflows").mkdir(parents=True)
    (repo.path / WORKFLOW).symlink_to(outside)
    [finding] = lint(repo, monkeypatch)
    assert (finding.code, finding.severity, finding.path) == ("RG538", "warning", WORKFLOW)
    assert "outside the repository" in finding.message


def test_a_symlink_inside_the_repository_is_followed(repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    write(repo, TRUSTED.replace("    environment: pypi\n", ""), "ci/publish.yml")
    (repo.path / ".github/workflows").mkdir(parents=True)
    (repo.path / WORKFLOW).symlink_to("../../ci/publish.yml")
    [finding] = lint(repo, monkeypatch)
    assert (finding.code, finding.path) == ("RG536", WORKFLOW)


def test_rg538_a_workflows_folder_linked_out_of_the_repository(repo: GitRepo, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "publish.yml").write_text(TRUSTED)
    (repo.path / ".github").mkdir()
    (repo.path / ".github/workflows").symlink_to(elsewhere)
    [finding] = lint(repo, monkeypatch)
    assert (finding.code, finding.path) == ("RG538", ".github/workflows")


def test_rg538_an_oversized_file_is_not_read(repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    write(repo, TRUSTED.replace("id-token: write", "contents: read") + "#" * workflows.MAX_FILE_SIZE + "\n")
    [finding] = lint(repo, monkeypatch)
    assert (finding.code, finding.path) == ("RG538", WORKFLOW)
    assert "over 1 MiB" in finding.message


def test_rg538_a_fifo_is_not_opened_for_long(repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    (repo.path / ".github/workflows").mkdir(parents=True)
    fifo = repo.path / WORKFLOW
    os.mkfifo(fifo)
    try:
        [finding] = lint(repo, monkeypatch)
    finally:
        fifo.unlink()  # the suite's leak check reads every file the test leaves
    assert (finding.code, finding.path) == ("RG538", WORKFLOW)
    assert "not a regular file" in finding.message


def test_rg538_at_most_max_files_are_read(repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    for i in range(workflows.MAX_FILES + 2):
        repo.write(f".github/workflows/w{i:03}.yml", "on: push\n")
    write(repo, TRUSTED.replace("    environment: pypi\n", ""), ".github/workflows/zz-publish.yml")
    [finding] = lint(repo, monkeypatch)
    assert (finding.code, finding.path) == ("RG538", ".github/workflows")
    assert "3 workflow files after the first 64" in finding.message


# ------------------------------------------------------------------ where the workflows are found


def test_the_workflows_at_the_git_top_of_a_project_in_a_subfolder(repo: GitRepo,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    repo.write("pkgs/a/pyproject.toml", "[project]\nname = 'a'\nversion = '1.0'\n")
    write(repo, TRUSTED.replace("    environment: pypi\n", ""))
    [finding] = lint(repo, monkeypatch, project="pkgs/a")
    assert finding.path == WORKFLOW  # named from where release-guard runs, as every other file
    monkeypatch.chdir(repo.path / "pkgs/a")
    [finding] = workflows.findings(".", "v{version}", "demo")
    assert finding.path == "../../" + WORKFLOW


def test_outside_git_the_project_folder_itself(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "plain"
    (project / ".github/workflows").mkdir(parents=True)
    (project / WORKFLOW).write_text(TRUSTED.replace("    environment: pypi\n", ""))
    monkeypatch.chdir(project)
    assert codes(workflows.findings(".", "v{version}", "demo")) == ["RG536"]


# ------------------------------------------------------------------ the recommended workflow


def readme_workflow() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## A publish workflow\n", 1)[1]
    match = re.search(r"```yaml\n(.*?)```", section, re.DOTALL)
    assert match is not None
    return match.group(1)


def test_the_readme_workflow_is_the_tested_file_and_passes(repo: GitRepo,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    text = RECOMMENDED.read_text()
    assert readme_workflow() == text
    assert ('      - uses: <this repository>@<a release tag of release-guard>   # see "GitHub Action"\n'
            '      - uses: pypa/gh-action-pypi-publish@') in text  # release-guard's action checks first
    repo.write(WORKFLOW, text)
    assert lint(repo, monkeypatch) == []
    parsed = workflows.parse(WORKFLOW, text.encode())
    assert not isinstance(parsed, Finding)
    assert parsed.lines[("jobs", "publish")] == 25
