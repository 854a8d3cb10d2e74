"""`release-guard check-auth` end to end: the credentials found as twine finds them (compared
with twine's own resolver), tokens minted as the index mints them, the first-release check
against real pypiservers, and never a secret in any output (the leak guard sees every token:
each is set in the environment or written to a .pypirc)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import twine.utils

from conftest import Result
from index_servers import LocalIndex
from release_guard.index.credentials import upload_credentials
from release_guard.token import fingerprint
from upload_tokens import account_wide, index_host, project_scoped

Cli = Callable[..., Result]
LOOPBACK = "127.0.0.1"  # a token "issued" by a local index names it as its location


def project(tmp_path: Path, name: str = "demo-auth", tool: str = "") -> Path:
    root = tmp_path / "project"
    root.mkdir(exist_ok=True)
    (root / "pyproject.toml").write_text(f'[project]\nname = "{name}"\nversion = "1.0"\n{tool}')
    return root


def pypirc(sections: str, mode: int = 0o600) -> Path:
    """~/.pypirc (HOME is the test's own) with these sections, readable by its owner only."""
    path = Path(os.environ["HOME"]) / ".pypirc"
    path.write_text(sections)
    path.chmod(mode)
    return path


def legacy(index: LocalIndex) -> str:
    """A Warehouse-shaped upload URL on the local index: reads go to its /simple/."""
    return index.url + "legacy/"


def no_secret(result: Result, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in result.out + result.err
        assert secret[5:25] not in result.out + result.err


# ------------------------------------------------------------------ the first release


@pytest.mark.slow
def test_a_first_release_with_a_project_scoped_token(cli: Cli, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     pypiserver_empty: LocalIndex) -> None:
    token = project_scoped("demo-auth", location=LOOPBACK)
    monkeypatch.setenv("TWINE_PASSWORD", token)
    result = cli("check-auth", "--repository-url", legacy(pypiserver_empty), cwd=project(tmp_path))
    assert result.code == 1, result.err
    assert result.out.startswith(f"RG501 no username for {legacy(pypiserver_empty)}: twine finds none")
    assert "\nRG514 demo-auth is not on " in result.out  # twine's __token__ default is for its own targets
    monkeypatch.setenv("TWINE_USERNAME", "__token__")
    result = cli("check-auth", "--repository-url", legacy(pypiserver_empty), cwd=project(tmp_path))
    assert result.code == 1, result.err
    assert result.out.startswith("RG514 demo-auth is not on ")
    assert f"the token (sha256 {fingerprint(token)}) is scoped to project demo-auth" in result.out
    assert "hint: for the first release use an account-wide token" in result.out
    no_secret(result, token)


@pytest.mark.slow
def test_a_first_release_with_an_account_wide_token(cli: Cli, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    pypiserver_empty: LocalIndex) -> None:
    token = account_wide(location=LOOPBACK)
    monkeypatch.setenv("TWINE_PASSWORD", token)
    monkeypatch.setenv("TWINE_USERNAME", "__token__")
    result = cli("check-auth", "--repository-url", legacy(pypiserver_empty), cwd=project(tmp_path))
    assert result.code == 0, result.out + result.err
    assert result.out == (f"release-guard: check-auth: {legacy(pypiserver_empty)}: username '__token__' "
                          f"(TWINE_USERNAME) and the token sha256 {fingerprint(token)} "
                          f"from TWINE_PASSWORD, issued by {LOOPBACK}; scope: account-wide; no expiry date\n")


@pytest.mark.slow
def test_the_project_on_the_index_takes_its_scoped_token(cli: Cli, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         pypiserver_index: LocalIndex) -> None:
    token = project_scoped("demo-pkg", location=LOOPBACK)
    monkeypatch.setenv("TWINE_PASSWORD", token)
    monkeypatch.setenv("TWINE_USERNAME", "__token__")
    root = project(tmp_path, "Demo_Pkg")
    result = cli("check-auth", "-C", str(root), "--repository-url", legacy(pypiserver_index))
    assert result.code == 0, result.out + result.err
    assert "RG514" not in result.out
    assert "username '__token__' (TWINE_USERNAME)" in result.out
    assert "scope: project demo-pkg" in result.out
    monkeypatch.setenv("TWINE_PASSWORD", account_wide(location=LOOPBACK))
    result = cli("check-auth", "-C", str(root), "--repository-url", legacy(pypiserver_index))
    assert result.code == 0
    assert result.out.startswith("RG515 info: the token (sha256 ")


@pytest.mark.slow
def test_pypirc_credentials_are_reported_by_source(cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   pypiserver_index: LocalIndex) -> None:
    token = project_scoped("demo-pkg", location=LOOPBACK)
    monkeypatch.setenv("PYPIRC_TOKEN", token)  # for the leak guard: the token is a secret
    path = pypirc(f"[distutils]\nindex-servers = local\n\n[local]\nrepository = {legacy(pypiserver_index)}\n"
                  f"username = __token__\npassword = {token}\n")
    root = project(tmp_path, "demo-pkg")
    result = cli("check-auth", "-r", "local", cwd=root)
    assert result.code == 0, result.out + result.err
    assert f"username '__token__' (.pypirc [local]) and the token sha256 {fingerprint(token)} from " \
           ".pypirc [local]" in result.out
    result = cli("check-auth", "-r", "local", "--config-file", str(path), "--format", "json", cwd=root)
    assert json.loads(result.out) == {"exit_code": 0, "findings": []}
    path.chmod(0o644)
    result = cli("check-auth", "-r", "local", "--config-file", str(path), cwd=root)
    assert result.code == 0
    assert result.out.startswith(f"RG519 warning: {path} (mode 0644) holds the password")
    assert f"from {path} [local]" in result.out
    no_secret(result, token)


# ------------------------------------------------------------------ the index, offline


def test_a_test_instance_token_for_the_main_index(cli: Cli, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    token = account_wide(location=index_host("testpypi"))
    monkeypatch.setenv("TWINE_PASSWORD", token)
    result = cli("check-auth", "-r", "pypi", "--offline", cwd=project(tmp_path))
    assert result.code == 1
    assert result.out.startswith(f"RG509 the token (sha256 {fingerprint(token)}) was issued by testpypi "
                                 f"({index_host('testpypi')}), not by pypi "
                                 f"({twine.utils.DEFAULT_REPOSITORY})")
    no_secret(result, token)


def test_a_main_index_token_in_pypirc_for_the_test_instance(cli: Cli, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    token = project_scoped("demo-auth")
    monkeypatch.setenv("PYPIRC_TOKEN", token)  # for the leak guard: the token is a secret
    pypirc(f"[distutils]\nindex-servers =\n    pypi\n    testpypi\n\n[testpypi]\npassword = {token}\n")
    result = cli("check-auth", "-r", "testpypi", "--offline", cwd=project(tmp_path))
    assert result.code == 1
    assert result.out.startswith(f"RG509 the token (sha256 {fingerprint(token)}) was issued by pypi")
    assert "not by testpypi" in result.out


def test_offline_says_what_it_skipped(cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWINE_PASSWORD", project_scoped("demo-auth"))
    result = cli("check-auth", "--offline", cwd=project(tmp_path))
    assert result.code == 0
    assert "RG516 info: whether demo-auth is on pypi" in result.out
    assert "was not read (--offline)" in result.out


def test_an_unreachable_index_is_exit_2_naming_offline(cli: Cli, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWINE_PASSWORD", account_wide())
    result = cli("check-auth", "--timeout", "5", cwd=project(tmp_path))  # every proxy is a closed port
    assert result.code == 2
    assert result.err.startswith("release-guard: error: ")
    assert "--offline skips this read" in result.err
    assert "Traceback" not in result.err


# ------------------------------------------------------------------ no or wrong credentials


def test_no_credentials_name_the_variable_twine_does_not_read(cli: Cli, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    token = account_wide()
    monkeypatch.setenv("PYPI_API_TOKEN", token)
    result = cli("check-auth", "--offline", cwd=project(tmp_path))
    assert result.code == 1
    assert result.out.startswith("RG501 no credentials for pypi (")
    assert "PYPI_API_TOKEN is set, but twine does not read it" in result.out
    assert "keyring was not asked: --keyring asks it, as twine would" in result.out
    no_secret(result, token)


def test_a_trailing_newline_and_a_username(cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    token = account_wide()
    monkeypatch.setenv("TWINE_PASSWORD", token + "\n")
    monkeypatch.setenv("TWINE_USERNAME", "alice")
    result = cli("check-auth", "--offline", "--format", "github", cwd=project(tmp_path))
    assert result.code == 1
    assert [line.split("::")[1] for line in result.out.splitlines()] == [
        "error title=RG504", "error title=RG507", "notice title=RG516"]
    no_secret(result, token)


def test_a_github_actions_job_with_trusted_publishing(cli: Cli, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_URL", "http://127.0.0.1:9/token")
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "request-secret-value")
    result = cli("check-auth", "--offline", "--format", "text", cwd=project(tmp_path))
    assert result.code == 0
    assert result.out.startswith("RG502 info: no token for pypi")
    monkeypatch.delenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
    result = cli("check-auth", "--offline", "--format", "text", cwd=project(tmp_path))
    assert result.code == 1
    assert "permissions: id-token: write" in result.out


def test_a_repository_url_from_the_project_is_refused(cli: Cli, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWINE_PASSWORD", account_wide())
    root = project(tmp_path, tool='[tool.release-guard]\nrepository = "https://evil.invalid/legacy/"\n')
    result = cli("check-auth", "--offline", cwd=root)
    assert result.code == 2
    assert "comes from pyproject.toml" in result.err


# ------------------------------------------------------------------ keyring


def test_keyring_is_asked_only_with_the_flag(cli: Cli, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import keyring

    token = account_wide()
    monkeypatch.setenv("KEYRING_HELD_TOKEN", token)
    asked: list[tuple[str, str]] = []

    def get_password(system: str, username: str) -> str:
        asked.append((system, username))
        return token

    monkeypatch.setattr(keyring, "get_password", get_password)
    result = cli("check-auth", "--offline", cwd=project(tmp_path))
    assert (result.code, asked) == (1, [])
    assert "keyring was not asked" in result.out
    result = cli("check-auth", "--offline", "--keyring", cwd=project(tmp_path))
    assert asked == [(twine.utils.DEFAULT_REPOSITORY, "__token__")]
    assert result.code == 0, result.out
    assert f"the token sha256 {fingerprint(token)} from keyring" in result.out
    monkeypatch.setitem(sys.modules, "keyring", None)  # not installed
    result = cli("check-auth", "--offline", "--keyring", cwd=project(tmp_path))
    assert result.code == 1
    assert "--keyring: keyring is not installed, so it was not asked" in result.out


# ------------------------------------------------------------------ twine's own order


def _twine(argv: list[str]) -> tuple[str | None, str | None]:
    """What twine itself resolves (its argparse reads TWINE_* when the parser is built)."""
    import argparse

    from twine.settings import Settings

    parser = argparse.ArgumentParser()
    Settings.register_argparse_arguments(parser)
    from twine.exceptions import NonInteractive

    settings = Settings.from_argparse(parser.parse_args([*argv, "--non-interactive"]))
    try:
        username = settings.username
    except NonInteractive:  # found nowhere: without a terminal, twine stops
        username = None
    return username, settings.password


@pytest.mark.parametrize(("env", "section", "argv"), [
    ({"TWINE_PASSWORD": "env-pass"}, "", ["-r", "local"]),
    ({"TWINE_PASSWORD": "env-pass", "TWINE_USERNAME": "env-user"}, "username = file-user\n", ["-r", "local"]),
    ({}, "username = file-user\npassword = file-pass\n", ["-r", "local"]),
    ({"TWINE_USERNAME": "env-user"}, "username = file-user\npassword = file-pass\n", ["-r", "local"]),
    ({}, "username = file-user\npassword = file-pass\n", ["-r", "pypi"]),
    ({"TWINE_PASSWORD": ""}, "username = file-user\npassword = file-pass\n", ["-r", "local"]),
    ({}, "", ["--repository-url", "https://url-user:url-pass@packages.example.invalid/legacy/"]),
    ({"TWINE_REPOSITORY_URL": "https://u2:p2@packages.example.invalid/"}, "", []),
], ids=["env-password", "env-beats-file", "file", "env-user-file-password", "default-target-token-user",
        "empty-env-password", "url-userinfo", "twine-repository-url"])
def test_the_credentials_are_twines_own(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                        env: dict[str, str], section: str, argv: list[str]) -> None:
    path = pypirc(f"[distutils]\nindex-servers =\n    pypi\n    local\n\n[local]\n"
                  f"repository = https://packages.example.invalid/\n{section}\n[pypi]\n{section}")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    argv = [*argv, "--config-file", str(path)]
    theirs = _twine(argv)
    repository = argv[argv.index("-r") + 1] if "-r" in argv else None
    url = argv[argv.index("--repository-url") + 1] if "--repository-url" in argv else None
    ours = upload_credentials(repository, url, str(path), os.environ)
    assert (ours.username.value, ours.password.value) == theirs


def test_the_publish_workflows_are_linted_too(cli: Cli, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """check-auth reads .github/workflows: trusted publishing without `id-token: write` is RG530."""
    root = project(tmp_path)
    recommended = (Path(__file__).parent / "data" / "publish-workflow.yml").read_text()
    (root / ".github" / "workflows").mkdir(parents=True)
    (root / ".github" / "workflows" / "publish.yml").write_text(recommended)
    monkeypatch.setenv("TWINE_USERNAME", "__token__")
    monkeypatch.setenv("TWINE_PASSWORD", "pypi-not-a-real-token")
    result = cli("check-auth", "--offline", cwd=root)
    assert "RG53" not in result.out  # the README's workflow passes its own lint
    (root / ".github" / "workflows" / "publish.yml").write_text(
        recommended.replace("    permissions:\n      id-token: write\n", ""))
    result = cli("check-auth", "--offline", cwd=root)
    assert result.code == 1
    assert ".github/workflows/publish.yml" in result.out
    assert "RG530" in result.out
