"""The GitHub Action (action.yml): its composite steps run for real, with bash, against a real
pypiserver, the way a runner runs them — only the install step is replaced by a venv whose
release-guard is this checkout's."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import GitRepo
from index_servers import LocalIndex, clean_env

ACTION = Path(__file__).resolve().parents[1] / "action.yml"
PYPROJECT = ('[project]\nname = "demo-pkg"\nversion = "{version}"\n\n'
             '[tool.release-guard]\nrepository = "{url}"\nstrict = false  # the demo files have no README\n')


def action() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(ACTION.read_text())
    return loaded


def test_the_action_is_a_composite_whose_scripts_take_inputs_as_data() -> None:
    spec = action()
    assert spec["runs"]["using"] == "composite"
    assert set(spec["inputs"]) == {"commands", "repository", "dist-dir", "project"}
    for step in spec["runs"]["steps"]:
        assert step["shell"] == "bash"
        assert "${{" not in step["run"], "an input pasted into a script is code, not data"


def run_check_step(tmp_path: Path, project: Path, ref: str, extra_env: dict[str, str] | None = None,
                   **inputs: str) -> subprocess.CompletedProcess[str]:
    """The second step, as a runner runs it: `bash --noprofile --norc -eo pipefail script`."""
    runner_temp = tmp_path / "runner"
    installed = runner_temp / "release-guard" / "bin" / "release-guard"
    if not installed.exists():
        installed.parent.mkdir(parents=True)
        installed.symlink_to(Path(sys.executable).with_name("release-guard"))
    script = tmp_path / "step.sh"
    script.write_text(action()["runs"]["steps"][1]["run"])
    env = clean_env(RUNNER_TEMP=str(runner_temp), GITHUB_REF_NAME=ref, GITHUB_ACTIONS="true",
                    RG_COMMANDS=inputs.get("commands", "check-tag check-dist"),
                    RG_REPOSITORY=inputs.get("repository", ""), RG_DIST_DIR=inputs.get("dist_dir", "dist"),
                    RG_PROJECT=".", **(extra_env or {}))
    return subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)], cwd=project,
                          env=env, capture_output=True, text=True, check=False)


def released(repo: GitRepo, version: str, index: LocalIndex, demo_dists: list[Path]) -> Path:
    repo.write("pyproject.toml", PYPROJECT.format(version=version, url=index.upload_url))
    repo.commit(f"release {version}")
    repo.tag(f"v{version}")
    dist = repo.path / "dist"
    dist.mkdir()
    for path in demo_dists:
        if f"-{version}" in path.name:
            (dist / path.name).write_bytes(path.read_bytes())
    return repo.path


@pytest.mark.slow
def test_a_released_tag_is_an_error_annotation(tmp_path: Path, repo: GitRepo, pypiserver_index: LocalIndex,
                                               demo_dists: list[Path]) -> None:
    project = released(repo, "1.0", pypiserver_index, demo_dists)
    proc = run_check_step(tmp_path, project, "v1.0")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "::error file=pyproject.toml,line=3,title=RG202::" in proc.stdout


@pytest.mark.slow
def test_a_new_tag_and_its_files_pass(tmp_path: Path, repo: GitRepo, pypiserver_empty: LocalIndex,
                                      demo_dists: list[Path]) -> None:
    project = released(repo, "1.1", pypiserver_empty, demo_dists)
    proc = run_check_step(tmp_path, project, "v1.1")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "::error" not in proc.stdout


def test_a_hostile_tag_name_stays_data(tmp_path: Path, repo: GitRepo) -> None:
    repo.write("pyproject.toml", '[project]\nname = "demo-pkg"\nversion = "1.0"\n')
    repo.commit()
    proc = run_check_step(tmp_path, repo.path, "$(touch pwned)", commands="check-tag")
    assert not (repo.path / "pwned").exists()
    assert not Path("pwned").exists()
    assert proc.returncode in (0, 1, 2)


def test_an_unknown_command_is_exit_2(tmp_path: Path, repo: GitRepo) -> None:
    proc = run_check_step(tmp_path, repo.path, "v1.0", commands="check-everything")
    assert proc.returncode == 2
    assert proc.stdout.strip() == ("::error::release-guard action: unknown command 'check-everything' "
                                   "(check-tag, check-auth, check-dist)")
    assert os.environ.get("GITHUB_ACTIONS") is None  # the runner's variables stayed in the child


@pytest.mark.slow
def test_the_default_commands_with_credentials(tmp_path: Path, repo: GitRepo, pypiserver_empty: LocalIndex,
                                               demo_dists: list[Path]) -> None:
    """check-tag, check-auth and check-dist, as the action runs them by default."""
    project = released(repo, "1.1", pypiserver_empty, demo_dists)
    credentials = {"TWINE_USERNAME": pypiserver_empty.username, "TWINE_PASSWORD": pypiserver_empty.password}
    proc = run_check_step(tmp_path, project, "v1.1", credentials,  # the workflow names the target:
                          commands=action()["inputs"]["commands"]["default"],  # the project's own is
                          repository=pypiserver_empty.upload_url)  # never sent credentials
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert pypiserver_empty.password not in proc.stdout + proc.stderr
    proc = run_check_step(tmp_path, project, "v1.1", commands="check-auth",
                          repository=pypiserver_empty.upload_url)
    assert proc.returncode == 1
    assert "title=RG501::" in proc.stdout
