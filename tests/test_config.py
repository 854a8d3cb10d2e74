"""config.load: defaults < [tool.release-guard] < RELEASE_GUARD_* < flags, and every refusal."""

from __future__ import annotations

import json
from typing import Any

import pytest

from conftest import GitRepo
from release_guard import config
from release_guard.config import Config
from release_guard.errors import ConfigError

WHERE = "pyproject.toml"


def test_defaults() -> None:
    assert config.load(None, {}) == Config()
    assert config.load({}, {}, {}) == Config(
        tag_format="v{version}", repository="pypi", index_url="", bump_policy="on-change",
        release_files=(), ignore_files=("tests/**", "docs/**", "*.md"), ignore=(), version_files=(),
        allow_older=False, allow_backend=False, projects=(), timeout=15.0)


def test_file_values_are_read_and_typed() -> None:
    table = {"tag-format": "{name}-v{version}", "bump-policy": "on-release", "allow-older": True,
             "version-files": ["docs/conf.py"], "projects": ["a", "b"], "index-url": "http://idx.invalid/simple/"}
    loaded = config.load(table, {})
    assert loaded.tag_format == "{name}-v{version}"
    assert loaded.bump_policy == "on-release"
    assert loaded.allow_older is True
    assert loaded.version_files == ("docs/conf.py",)
    assert loaded.projects == ("a", "b")
    assert loaded.index_url == "http://idx.invalid/simple/"
    assert loaded.repository == "pypi"


def test_precedence_file_environment_flags() -> None:
    table = {"tag-format": "file-{version}", "repository": "from-file", "bump-policy": "on-release"}
    environ = {"RELEASE_GUARD_TAG_FORMAT": "env-{version}", "RELEASE_GUARD_REPOSITORY": "from-env"}
    flags = {"tag_format": "flag-{version}"}
    loaded = config.load(table, environ, flags)
    assert loaded.tag_format == "flag-{version}"  # flag > environment > file
    assert loaded.repository == "from-env"  # environment > file
    assert loaded.bump_policy == "on-release"  # file > default
    assert config.load(table, environ, {"tag_format": None}).tag_format == "env-{version}"
    assert config.load(table, {}).tag_format == "file-{version}"


def test_environment_lists_and_booleans() -> None:
    environ = {"RELEASE_GUARD_RELEASE_FILES": "src/**, setup.py,, lib/*.py ",
               "RELEASE_GUARD_ALLOW_OLDER": "Yes", "RELEASE_GUARD_DEBUG": "1", "OTHER": "x"}
    loaded = config.load({"allow-older": False}, environ)
    assert loaded.release_files == ("src/**", "setup.py", "lib/*.py")
    assert loaded.allow_older is True
    for raw, expected in (("0", False), ("off", False), ("", False), ("TRUE", True), ("on", True)):
        assert config.load(None, {"RELEASE_GUARD_ALLOW_OLDER": raw}).allow_older is expected


def test_environment_boolean_refused() -> None:
    with pytest.raises(ConfigError) as info:
        config.load(None, {"RELEASE_GUARD_ALLOW_OLDER": "maybe"})
    assert info.value.message == "RELEASE_GUARD_ALLOW_OLDER: 'allow-older' must be true or false, got 'maybe'"
    assert info.value.hint == "write it as allow-older = true"


def test_unknown_key_names_the_nearest() -> None:
    with pytest.raises(ConfigError) as info:
        config.load({"tag_fromat": "v{version}"}, {})
    assert info.value.message == "pyproject.toml [tool.release-guard]: unknown key 'tag_fromat'"
    assert info.value.hint.startswith("did you mean 'tag-format'? valid keys: tag-format, repository, ")


@pytest.mark.parametrize(("key", "nearest"), [
    ("tag_format", "tag-format"), ("bump-polcy", "bump-policy"), ("version_file", "version-files"),
    ("allow-older-tags", "allow-older"), ("releasefiles", "release-files"),
])
def test_unknown_key_suggestions(key: str, nearest: str) -> None:
    with pytest.raises(ConfigError, match=f"unknown key '{key}'") as info:
        config.load({key: "x"}, {})
    assert info.value.hint.startswith(f"did you mean '{nearest}'? ")


def test_unknown_key_without_a_near_one() -> None:
    with pytest.raises(ConfigError) as info:
        config.load({"zzzzzz": 1}, {}, where="sub/pyproject.toml")
    assert info.value.message == "sub/pyproject.toml [tool.release-guard]: unknown key 'zzzzzz'"
    assert info.value.hint.startswith("valid keys: tag-format, ")


@pytest.mark.parametrize(("key", "value", "message", "hint"), [
    ("tag-format", 3, "'tag-format' must be a string, got 3", 'write it as tag-format = "..."'),
    ("release-files", "src/**", "'release-files' must be a list of strings, got 'src/**'",
     'write it as release-files = ["..."]'),
    ("projects", ["a", 1], "'projects' must be a list of strings, got ['a', 1]",
     'write it as projects = ["..."]'),
    ("allow-older", "yes", "'allow-older' must be true or false, got 'yes'",
     "write it as allow-older = true"),
    ("allow-older", 1, "'allow-older' must be true or false, got 1", "write it as allow-older = true"),
])
def test_wrong_types(key: str, value: Any, message: str, hint: str) -> None:
    with pytest.raises(ConfigError) as info:
        config.load({key: value}, {})
    assert info.value.message == f"pyproject.toml [tool.release-guard]: {message}"
    assert info.value.hint == hint


def test_bad_bump_policy_from_each_layer() -> None:
    for table, environ, flags, where in (({"bump-policy": "always"}, {}, {}, "pyproject.toml"),
                                         ({}, {"RELEASE_GUARD_BUMP_POLICY": "always"}, {},
                                          "RELEASE_GUARD_BUMP_POLICY"),
                                         ({}, {}, {"bump_policy": "always"}, "--bump-policy")):
        with pytest.raises(ConfigError) as info:
            config.load(table, environ, flags)
        assert info.value.message == (  # the message names the layer that gave the value
            f"{where}: bump-policy 'always' is not one of on-change, on-release")
        assert info.value.hint == 'set bump-policy = "on-change" (the default) or "on-release"'


@pytest.mark.parametrize("tag_format", ["v{ver}", "v", "{name}-v", ""])
def test_tag_format_without_version(tag_format: str) -> None:
    with pytest.raises(ConfigError) as info:
        config.load({"tag-format": tag_format}, {})
    assert info.value.message == (f"pyproject.toml: tag-format {tag_format!r} needs exactly one {{version}}, "
                                  "at most one {name}, and no other placeholder")
    assert "v{version}" in info.value.hint


def test_table_must_be_a_table() -> None:
    with pytest.raises(ConfigError, match=r"\[tool.release-guard\] must be a table"):
        config.load("v{version}", {})  # type: ignore[arg-type]


def test_names() -> None:
    assert config.env_name("tag_format") == "RELEASE_GUARD_TAG_FORMAT"
    assert config.key_of("allow_older") == "allow-older"
    assert config.KEYS == ("tag-format", "repository", "index-url", "bump-policy", "release-files",
                           "ignore-files", "ignore", "version-files", "allow-older", "allow-backend",
                           "projects", "timeout", "strict", "require-tag")


# --- the same precedence through `release-guard check-version` ---------------------------

@pytest.fixture
def tagged(repo: GitRepo) -> GitRepo:
    """Version 1.0.0 committed after tags that each tag format sees differently."""
    repo.write("pyproject.toml", '[project]\nname = "demo"\nversion = "0.5.0"\n\n'
               '[tool.release-guard]\ntag-format = "file-{version}"\nbump-policy = "on-release"\n')
    repo.commit()
    for tag in ("file-2.0.0", "env-3.0.0", "flag-4.0.0"):
        repo.tag(tag)
    repo.write("pyproject.toml", (repo.path / "pyproject.toml").read_text().replace("0.5.0", "1.0.0"))
    repo.commit()
    return repo


def newest_tag_in_rg105(cli: Any, repo: GitRepo, *flags: str) -> str:
    result = cli("check-version", "--ref", "HEAD", "--format", "json", *flags, cwd=repo.path)
    assert result.code == 1, result.err
    (finding,) = json.loads(result.out)["findings"]
    assert finding["code"] == "RG105"
    return str(finding["message"].split("newest release tag ")[1].split(" ")[0])


def test_cli_precedence(tagged: GitRepo, cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    assert newest_tag_in_rg105(cli, tagged) == "file-2.0.0"
    monkeypatch.setenv("RELEASE_GUARD_TAG_FORMAT", "env-{version}")
    assert newest_tag_in_rg105(cli, tagged) == "env-3.0.0"
    assert newest_tag_in_rg105(cli, tagged, "--tag-format", "flag-{version}") == "flag-4.0.0"


def test_cli_config_error_is_exit_2(tagged: GitRepo, cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELEASE_GUARD_BUMP_POLICY", "sometimes")
    result = cli("check-version", "--ref", "HEAD", cwd=tagged.path)
    assert (result.code, result.out) == (2, "")
    assert result.err == ("release-guard: error: RELEASE_GUARD_BUMP_POLICY: bump-policy 'sometimes' is "
                          'not one of on-change, on-release (hint: set bump-policy = "on-change" '
                          '(the default) or "on-release")\n')


def test_the_projects_own_file_cannot_shorten_the_deadline_to_nothing() -> None:
    """security review: `timeout = 0.0001` in pyproject.toml with RELEASE_GUARD_ALLOW_OFFLINE=1 set
    made every index read time out, which --allow-offline forgives: every tag passed."""
    with pytest.raises(ConfigError) as info:
        config.load({"timeout": 0.0001}, {})
    assert info.value.message == ("pyproject.toml: timeout 0.0001 is below 5 seconds, the least a project's "
                                  "own file may set")
    assert config.load({"timeout": 5}, {}).timeout == 5.0
    assert config.load({"timeout": 60}, {"RELEASE_GUARD_TIMEOUT": "0.5"}).timeout == 0.5  # the user's choice
    assert config.load({}, {}, {"timeout": 0.3}).timeout == 0.3
