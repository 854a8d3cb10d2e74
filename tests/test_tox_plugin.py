"""The tox plugin: the `release` environment as real tox configures, lists and creates it.

`tox config` shows what tox made of the configuration, the plugin's environment included,
in half a second and without creating anything; the tests marked slow create environments
(offline, from the wheelhouse: see tox_projects.py). `release-guard release` itself is
tested end to end in test_tox_release.py.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

from release_guard import __version__, tox_plugin
from release_guard.tox_plugin import (
    DESCRIPTION,
    MIN_TOX,
    NOT_BY_ALL,
    PASS_ENV,
    local_source,
    requirement,
    running_requirement,
)
from tox_projects import (
    CHECKOUT,
    env_python_bin,
    isolated_environ,
    offline_pip,
    output,
    require_local_release_guard,
    run_tox,
    tox_environ,
)

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

PLAIN_TOX_INI = '[tox]\nenv_list = py\n\n[testenv]\nskip_install = true\ncommands = python -c "print(1)"\n'
# Something tox would install if the release environment installed the project.
DEMO_PYPROJECT = ('[build-system]\nrequires = ["setuptools>=77"]\nbuild-backend = "setuptools.build_meta"\n\n'
                  '[project]\nname = "tox-plugin-demo"\nversion = "3.1.4"\n')


def config(cwd: Path, *args: str, **env: str) -> dict[str, dict[str, str]]:
    """`tox config ARGS` as {section: {key: value}}; a value that spans lines is joined by \\n."""
    proc = run_tox(cwd, "config", *args, env=tox_environ(**env))
    assert proc.returncode == 0, output(proc)
    return parse_config(proc.stdout)


def parse_config(text: str) -> dict[str, dict[str, str]]:
    sections: dict[str, dict[str, str]] = {}
    section: dict[str, str] = {}
    key = ""
    for line in text.splitlines():
        if line.startswith("[") and line.endswith("]"):
            section = sections.setdefault(line[1:-1], {})
        elif line.startswith("  ") and key:
            section[key] = f"{section[key]}\n{line.strip()}".strip()
        elif " = " in line or line.endswith(" ="):
            key, _, value = line.partition(" =")
            section[key] = value.strip()
    return sections


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project that configures tox but no release environment."""
    path = tmp_path / "project"
    path.mkdir()
    (path / "tox.ini").write_text(PLAIN_TOX_INI)
    (path / "pyproject.toml").write_text(DEMO_PYPROJECT)
    return path


# ------------------------------------------------------------- what it installs


def direct_url(url: str, **info: Any) -> str:
    return json.dumps({"url": url, **info})


@pytest.mark.parametrize(("text", "source"), [
    (direct_url("file:///work/rg", dir_info={"editable": True}), (Path("/work/rg"), True)),
    (direct_url("file:///work/rg", dir_info={}), (Path("/work/rg"), False)),
    (direct_url("file://localhost/work/rg", dir_info={"editable": False}), (Path("/work/rg"), False)),
    (direct_url("file:///w/my%20rg", dir_info={}), (Path("/w/my rg"), False)),
    (direct_url("file:///tmp/release_guard-0.1.0-py3-none-any.whl", archive_info={"hashes": {}}),
     (Path("/tmp/release_guard-0.1.0-py3-none-any.whl"), False)),
], ids=["editable-dir", "dir", "localhost", "quoted", "wheel-file"])
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX paths")
def test_a_local_directory_or_file_is_the_source(text: str, source: tuple[Path, bool]) -> None:
    assert local_source(text) == source


@pytest.mark.parametrize("text", [
    None,
    "",
    "not json",
    "[" * 100_000,  # nested past the recursion limit, or past the size bound
    json.dumps(["file:///work/rg"]),
    direct_url("file:///work/rg", dir_info={}) + " " * tox_plugin.DIRECT_URL_LIMIT,
    direct_url("https://files.example.invalid/release_guard-0.1.0.tar.gz", archive_info={}),
    direct_url("git+https://example.invalid/rg.git", vcs_info={"vcs": "git", "commit_id": "a" * 40}),
    direct_url("file:///work/rg", vcs_info={"vcs": "git", "commit_id": "a" * 40}),
    direct_url("file://build-host/work/rg", dir_info={}),
    direct_url("file:work/rg", dir_info={}),
    direct_url("file:///work/rg%0A--index-url%20http://evil.invalid/", dir_info={}),
    direct_url("file:///work/rg%00x", dir_info={}),
    direct_url("file:///work/rg?x=1", dir_info={}),
    direct_url("file:///work/rg", dir_info={}, subdirectory="sub"),
    direct_url("file:///work/rg"),
    direct_url("file:///work/rg", dir_info={}, archive_info={}),
    direct_url("file:///work/rg", dir_info={"editable": "yes"}),
    direct_url("file:///work/rg", dir_info=[]),
    json.dumps({"url": ["file:///work/rg"], "dir_info": {}}),
    json.dumps({"url": None, "dir_info": {}}),
], ids=["missing", "empty", "not-json", "deep", "a-list", "too-large", "https", "vcs", "file-vcs",
        "other-host", "relative", "newline", "nul", "query", "subdirectory", "no-info", "both-infos",
        "editable-not-bool", "dir-info-not-table", "url-not-text", "url-null"])
def test_anything_else_is_not_a_source(text: str | None) -> None:
    assert local_source(text) is None


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX paths")
def test_the_requirement_pins_the_version_or_names_the_source() -> None:
    assert requirement("1.2.3", None) == "release-guard[release]==1.2.3"
    assert requirement("1.2.3", (Path("/w/rg"), True)) == "-e file:///w/rg[release]"
    assert requirement("1.2.3", (Path("/w/my rg#1"), False)) == "release-guard[release] @ file:///w/my%20rg%231"
    wheel = Path("/w/release_guard-1.2.3-py3-none-any.whl")
    assert requirement("1.2.3", (wheel, False)) == f"release-guard[release] @ {wheel.as_uri()}"


class FakeDistribution:
    def __init__(self, version: str, direct_url: str | None) -> None:
        self.version, self._direct_url = version, direct_url

    def read_text(self, name: str) -> str | None:
        return self._direct_url if name == "direct_url.json" else None


def test_the_running_install_decides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A source that still exists is installed; one that is gone, or none, gives the version pin."""
    wheel = tmp_path / "release_guard-9.8.7-py3-none-any.whl"
    wheel.write_bytes(b"")
    cases = {
        direct_url(tmp_path.as_uri(), dir_info={"editable": True}): f"-e {tmp_path.as_uri()}[release]",
        direct_url(wheel.as_uri(), archive_info={}): f"release-guard[release] @ {wheel.as_uri()}",
        direct_url((tmp_path / "gone").as_uri(), dir_info={}): "release-guard[release]==9.8.7",
        direct_url("https://example.invalid/rg.tar.gz", archive_info={}): "release-guard[release]==9.8.7",
    }
    for text, expected in cases.items():
        fake = FakeDistribution("9.8.7", text)
        monkeypatch.setattr(metadata, "distribution", lambda _, fake=fake: fake)
        assert running_requirement() == expected

    def not_installed(name: str) -> None:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "distribution", not_installed)
    assert running_requirement() == f"release-guard[release]=={__version__}"


# ------------------------------------------------------------- loading the plugin

LIGHT_IMPORT = """
import json, sys
import release_guard.tox_plugin
print(json.dumps(sorted(sys.modules)))
"""

# tox itself imports urllib.request and http.client, so inside tox only release-guard's own
# modules can show what the plugin loaded.
TOX_IN_PROCESS = """
import json, sys
from tox.run import main
code = main(["config", "-e", "release", "-k", "commands"])
print(json.dumps([code, sorted(m for m in sys.modules if m.split(".")[0] == "release_guard")]))
"""

HEAVY = ("urllib.request", "http.client", "requests", "subprocess", "ssl", "tox")  # (socket: email.utils)


def test_importing_the_plugin_loads_no_git_http_or_subprocess(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-c", LIGHT_IMPORT], cwd=tmp_path, capture_output=True, text=True,
                          check=True)
    modules = set(json.loads(proc.stdout))
    assert {m for m in modules if m.split(".")[0] == "release_guard"} == {"release_guard",
                                                                       "release_guard.tox_plugin"}
    assert modules.isdisjoint(HEAVY)


def test_tox_loads_nothing_more_of_release_guard(project: Path) -> None:
    proc = subprocess.run([sys.executable, "-c", TOX_IN_PROCESS], cwd=project, capture_output=True, text=True,
                          check=True, env=tox_environ())
    code, modules = json.loads(proc.stdout.splitlines()[-1])
    assert code == 0, output(proc)
    assert "commands = release-guard release" in proc.stdout  # the plugin did run
    assert modules == ["release_guard", "release_guard.tox_plugin"]


OLD_TOX = """
import tox
tox.__version__ = "4.28.4"
from tox.run import run
run(["list"])
"""


def test_an_older_tox_fails_in_one_line(project: Path) -> None:
    """tox < 4.29 has no tox_extend_envs: it would fail on the unknown hook with a traceback.
    (The real tox 4.28.4 gives the same line; the suite installs no old tox.)"""
    proc = subprocess.run([sys.executable, "-c", OLD_TOX], cwd=project, capture_output=True, text=True,
                          check=False, env=tox_environ())
    lines = [line for line in output(proc).splitlines() if "release-guard" in line]
    assert proc.returncode == 254, output(proc)  # tox's -2 for a handled error
    assert lines == [f"ROOT: HandledError| release-guard's tox plugin needs tox>={MIN_TOX}, this is tox "
                     f"4.28.4; hint: pip install 'tox>={MIN_TOX}', or require 'release-guard[tox]'"]
    assert "Traceback" not in output(proc)


# ------------------------------------------------------------- the environment


def test_the_injected_environment(project: Path) -> None:
    keys = ("description", "base", "skip_install", "deps", "commands", "pass_env", "platform", "commands_pre")
    release = config(project, "-e", "release", "-k", *keys)["testenv:release"]
    assert release["description"] == DESCRIPTION
    assert release["base"] == ""  # nothing of [testenv]
    assert release["skip_install"] == "True"
    assert release["deps"] == running_requirement()
    assert release["commands"] == "release-guard release"
    assert release["platform"] == ""
    assert release["commands_pre"] == ""
    passed = release["pass_env"].splitlines()
    assert set(PASS_ENV) <= set(passed)
    # what the release needs and tox passes already (matched regardless of case)
    assert {"HOME", "NETRC", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "https_proxy", "http_proxy", "no_proxy",
            "PIP_*"} <= set(passed)


def test_it_is_not_a_default_environment(project: Path) -> None:
    listed = run_tox(project, "list")
    assert listed.returncode == 0, output(listed)
    additional = listed.stdout.split("additional environments:")[1]
    assert additional.split() == ["release", "->", *DESCRIPTION.split()]
    assert "testenv:release" not in config(project, "-k", "commands")  # `tox` alone does not release


@pytest.mark.parametrize(("posargs", "command"), [
    ((), "release-guard release"),
    (("--dry-run",), "release-guard release --dry-run"),
    (("-r", "testpypi"), "release-guard release -r testpypi"),
    (("--repository-url", "http://127.0.0.1:9/legacy/", "--config-file", "my pypirc"),
     "release-guard release --repository-url http://127.0.0.1:9/legacy/ --config-file 'my pypirc'"),
])
def test_positional_arguments_reach_the_command(project: Path, posargs: tuple[str, ...],
                                                command: str) -> None:
    release = config(project, "-e", "release", "-k", "commands", "--", *posargs)["testenv:release"]
    assert release["commands"] == command


def test_positional_arguments_are_what_posargs_gives(project: Path) -> None:
    """From a subdirectory, tox makes a path argument relative to where the command runs (the
    project): the injected command gets exactly what `{posargs}` in the user's own file gets."""
    with (project / "tox.ini").open("a") as ini:
        ini.write("\n[testenv:mine]\ncommands = release-guard release {posargs}\n")
    sub = project / "sub"
    sub.mkdir()
    (sub / "my.pypirc").write_text("[distutils]\n")
    args = ("-c", str(project / "tox.ini"), "-e", "release,mine", "-k", "commands", "--")
    shown = config(sub, *args, "--config-file", "my.pypirc", "-r", "testpypi")
    expected = f"release-guard release --config-file {Path('sub', 'my.pypirc')} -r testpypi"
    assert shown["testenv:release"]["commands"] == shown["testenv:mine"]["commands"] == expected


# ------------------------------------------------------------- the user's own release environment

USERS_OWN_INI = """
description = users own release
deps = pytest
skip_install = true
commands = python -c "print('users own release')"
"""
USERS_OWN_TOML = """
description = "users own release"
deps = ["pytest"]
skip_install = true
commands = [["python", "-c", "print('users own release')"]]
"""
OWN_RELEASE = {
    "tox.ini": ("tox.ini", "[tox]\nenv_list = py\n\n[testenv:release]" + USERS_OWN_INI),
    "tox.ini-factors": ("tox.ini", "[tox]\nenv_list = py\n\n[testenv:{release,docs}]" + USERS_OWN_INI),
    "setup.cfg": ("setup.cfg", "[tox:tox]\nenv_list = py\n\n[testenv:release]" + USERS_OWN_INI),
    "tox.toml": ("tox.toml", 'env_list = ["py"]\n\n[env.release]' + USERS_OWN_TOML),
    "pyproject": ("pyproject.toml", DEMO_PYPROJECT + '\n[tool.tox]\nenv_list = ["py"]\n\n'
                  "[tool.tox.env.release]" + USERS_OWN_TOML),
    "pyproject-legacy": ("pyproject.toml", DEMO_PYPROJECT + '\n[tool.tox]\nlegacy_tox_ini = """\n[tox]\n'
                         'env_list = py\n\n[testenv:release]' + USERS_OWN_INI + '"""\n'),
}


@pytest.mark.parametrize("name", OWN_RELEASE)
def test_the_users_own_release_environment_is_kept_exactly(tmp_path: Path, name: str) -> None:
    """A MemoryLoader would override the user's keys one by one: the plugin injects nothing,
    and tox shows the same environment as with the plugin disabled."""
    filename, text = OWN_RELEASE[name]
    (tmp_path / filename).write_text(text)
    keys = ("commands", "deps", "description", "skip_install", "pass_env")
    args = ("config", "-e", "release", "-k", *keys, "--", "-r", "x")
    with_plugin = run_tox(tmp_path, *args)
    without = run_tox(tmp_path, *args, env=tox_environ(TOX_DISABLED_EXTERNAL_PLUGINS="release-guard"))
    assert with_plugin.returncode == without.returncode == 0, output(with_plugin) + output(without)
    assert with_plugin.stdout == without.stdout
    release = parse_config(with_plugin.stdout)["testenv:release"]
    assert release["commands"] == "python -c 'print('\"'\"'users own release'\"'\"')'"
    assert (release["deps"], release["description"]) == ("pytest", "users own release")


def test_this_repository_releases_itself(tmp_path: Path) -> None:
    """This checkout's tox.ini defines the environment: release-guard from the checkout, with its
    `release` extra (build, twine)."""
    keys = ("skip_install", "deps", "commands", "commands_pre", "pass_env")
    args = ("-c", str(CHECKOUT / "tox.ini"), "--workdir", str(tmp_path), "-e", "release", "-k", *keys)
    release = config(tmp_path, *args, "--", "--dry-run")["testenv:release"]
    assert release["skip_install"] == "True"
    assert release["deps"] == f"{CHECKOUT}[release]"
    assert release["commands"] == "release-guard release --dry-run"
    assert release["commands_pre"] == ""  # not the test environments' wheelhouse download
    assert set(PASS_ENV) <= set(release["pass_env"].splitlines())


def test_the_package_declares_the_plugin_and_the_tox_it_needs() -> None:
    pyproject = tomllib.loads((CHECKOUT / "pyproject.toml").read_text())["project"]
    assert pyproject["entry-points"]["tox"] == {"release-guard": "release_guard.tox_plugin"}
    assert pyproject["optional-dependencies"]["tox"] == [f"tox>={MIN_TOX}"]
    assert "tox" not in " ".join(pyproject["dependencies"])  # hooks and CI need no tox


# ------------------------------------------------------------- tox -e ALL


def test_all_does_not_select_the_injected_release(project: Path) -> None:
    assert config(project, "-e", "ALL", "-k", "platform")["testenv:release"]["platform"] == NOT_BY_ALL
    assert config(project, "-e", "release", "-k", "platform")["testenv:release"]["platform"] == ""


@pytest.mark.slow
def test_tox_run_all_skips_the_release(project: Path) -> None:
    proc = run_tox(project, "run", "-e", "ALL", env=tox_environ(**offline_pip()))
    assert proc.returncode == 0, output(proc)
    assert f"release: skipped because platform {sys.platform} does not match {NOT_BY_ALL}" in proc.stdout
    assert re.search(r"^  release: SKIP ", proc.stdout, re.MULTILINE), proc.stdout
    assert not (project / ".tox" / "release").exists()


# ------------------------------------------------------------- a created environment


@pytest.fixture(scope="module")
def release_env(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`tox run -e release --notest` in a project with the plugin's environment, once per module."""
    require_local_release_guard()
    base = tmp_path_factory.mktemp("tox-release-env")
    project = base / "project"
    project.mkdir()
    (project / "tox.ini").write_text(PLAIN_TOX_INI)
    (project / "pyproject.toml").write_text(DEMO_PYPROJECT)
    (base / "home").mkdir()
    env = isolated_environ(base / "home", **offline_pip())
    proc = run_tox(project, "run", "-e", "release", "--notest", env=env)
    assert proc.returncode == 0, output(proc)
    return project / ".tox" / "release"


@pytest.mark.slow
def test_the_environment_holds_the_running_release_guard_and_not_the_project(release_env: Path) -> None:
    script = env_python_bin(release_env) / "release-guard"
    version = subprocess.run([script, "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.strip() == f"release-guard {__version__}"
    installed = {p.name: p for p in release_env.glob("lib/python*/site-packages/*.dist-info")}
    assert not [name for name in installed if name.startswith("tox_plugin_demo")]  # skip_install
    record = json.loads((installed[f"release_guard-{__version__}.dist-info"] / "direct_url.json").read_text())
    assert record["url"] == CHECKOUT.as_uri()  # this checkout, not an index
    assert "dir_info" in record


@pytest.mark.slow
def test_positional_arguments_reach_release_guard_in_a_real_run(release_env: Path) -> None:
    """tox runs the injected command with the arguments after `--`. `--help` keeps the run
    harmless whether or not `release-guard release` exists yet."""
    proc = run_tox(release_env.parents[1], "run", "-e", "release", "--", "-r", "testpypi", "--help",
                   env=tox_environ(**offline_pip()))
    assert "release: commands[0]> release-guard release -r testpypi --help" in proc.stdout, output(proc)
    assert "install_deps" not in proc.stdout  # the environment was reused as created
