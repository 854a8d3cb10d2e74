"""README "Which index", end to end: the console script `release-guard check-tag` against two
real pypiservers, one holding demo-pkg 1.0 (`held`: RG202, exit 1) and one empty (`empty`:
"first release", exit 0), so that the index each setting chooses shows in the exit code and
the line (issue 12). twine's default targets come from twine's constants at run time; the
proxies the suite sets lead to a closed local port, so reading them is "could not reach".
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import twine.utils

from conftest import GitRepo
from index_servers import LocalIndex
from test_tag_guard import pyproject, rg202

pytestmark = pytest.mark.slow

RELEASE_GUARD = str(Path(sys.executable).parent / "release-guard")
TIMEOUT = 120


def read_url(upload_url: str) -> str:
    """README: "Warehouse `upload.<host>/legacy/` → `<host>/simple/`"."""
    parts = urlsplit(upload_url)
    return f"{parts.scheme}://{parts.netloc.removeprefix('upload.')}/simple/"


@dataclass
class Targets:
    repo: GitRepo
    held: LocalIndex
    empty: LocalIndex
    home: Path

    def check_tag(self, *args: str, **env: str) -> tuple[int, str]:
        """`release-guard check-tag v1.0 ARGS` with `env` added; its exit code and first line."""
        proc = subprocess.run([RELEASE_GUARD, "check-tag", "v1.0", "--timeout", "5", *args],
                              cwd=self.repo.path, capture_output=True, text=True, timeout=TIMEOUT,
                              check=False, env={**os.environ, **env})
        shown = proc.stdout if proc.returncode != 2 else proc.stderr
        return proc.returncode, (shown.splitlines() or [""])[0]

    @property
    def is_held(self) -> tuple[int, str]:
        return 1, rg202(self.held, "v1.0", "1.0")

    @property
    def is_empty(self) -> tuple[int, str]:
        return 0, f"release-guard: v1.0 ok: first release of demo-pkg on {self.empty.simple_url}"

    def project(self, **config: object) -> None:
        self.repo.write("pyproject.toml", pyproject("demo-pkg", "1.0", **config))


def unreachable(upload_url: str) -> tuple[int, str]:
    return 2, f"release-guard: error: could not reach {read_url(upload_url)}demo-pkg/: "


@pytest.fixture
def targets(repo: GitRepo, pypiserver_index: LocalIndex, pypiserver_fresh: LocalIndex) -> Targets:
    """demo-pkg 1.0 tagged v1.0; ~/.pypirc (HOME is the test's own) names both servers."""
    home = Path(os.environ["HOME"])
    (home / ".pypirc").write_text(
        "[distutils]\nindex-servers =\n    held\n    empty\n\n"
        f"[held]\nrepository = {pypiserver_index.upload_url}\n\n"
        f"[empty]\nrepository = {pypiserver_fresh.upload_url}\n")
    found = Targets(repo, pypiserver_index, pypiserver_fresh, home)
    found.project()
    repo.commit("1.0")
    repo.tag("v1.0")
    return found


def first(result: tuple[int, str], expected: tuple[int, str]) -> bool:
    """An exact line, or for exit 2 the line's start (the reason after it is the OS's)."""
    code, line = result
    return code == expected[0] and (line == expected[1] or (code == 2 and line.startswith(expected[1])))


def test_the_documented_order_of_targets(targets: Targets) -> None:
    """README "Which index": "`-r/--repository NAME` from `.pypirc` ..., or `--repository-url
    URL`. Without a flag: `RELEASE_GUARD_REPOSITORY`, then twine's
    `TWINE_REPOSITORY_URL`/`TWINE_REPOSITORY`, then the `repository` config key, then `pypi`".
    Each step adds the next layer up, which must win over everything below it."""
    t = targets
    assert first(t.check_tag(), unreachable(twine.utils.DEFAULT_REPOSITORY))  # pypi, twine's constant
    t.project(repository=t.empty.upload_url)  # the config key (the working tree's pyproject.toml)
    assert first(t.check_tag(), t.is_empty)
    t.project(repository="held")  # a .pypirc name in the config key
    assert first(t.check_tag(), t.is_held)
    env = {"TWINE_REPOSITORY": "empty"}
    assert first(t.check_tag(**env), t.is_empty)
    env["TWINE_REPOSITORY_URL"] = t.held.upload_url  # twine: the URL beats the name
    assert first(t.check_tag(**env), t.is_held)
    env["RELEASE_GUARD_REPOSITORY"] = t.empty.upload_url
    assert first(t.check_tag(**env), t.is_empty)
    assert first(t.check_tag("--repository-url", t.held.upload_url, **env), t.is_held)
    del env["TWINE_REPOSITORY_URL"]
    env["RELEASE_GUARD_REPOSITORY"] = "empty"  # a name, looked up in .pypirc
    assert first(t.check_tag(**env), t.is_empty)
    assert first(t.check_tag("-r", "held", **env), t.is_held)
    assert first(t.check_tag("--repository", "held", **env), t.is_held)


def test_a_name_yields_to_twine_repository_url_as_in_twine(targets: Targets) -> None:
    """README "Which index": a name (`-r NAME`, `RELEASE_GUARD_REPOSITORY=NAME`) yields to
    `TWINE_REPOSITORY_URL`, as in twine, where that variable is `--repository-url`'s default and
    overrides `--repository`: check-tag reads the index `twine upload -r NAME` would upload to."""
    t = targets
    env = {"TWINE_REPOSITORY_URL": t.empty.upload_url}
    assert first(t.check_tag("-r", "held", **env), t.is_empty)
    assert first(t.check_tag(**env, RELEASE_GUARD_REPOSITORY="held"), t.is_empty)
    assert first(t.check_tag(**env, RELEASE_GUARD_REPOSITORY=t.held.upload_url), t.is_held)  # a URL wins


def test_repository_name_from_pypirc_in_home_or_config_file(targets: Targets, tmp_path: Path) -> None:
    """README: "`-r/--repository NAME` from `.pypirc` (`--config-file`, default `~/.pypirc`)"."""
    t = targets
    assert first(t.check_tag("-r", "held"), t.is_held)
    other = tmp_path / "other.pypirc"
    other.write_text(f"[distutils]\nindex-servers =\n    held\n\n[held]\nrepository = {t.empty.upload_url}\n")
    assert first(t.check_tag("-r", "held", "--config-file", str(other)), t.is_empty)
    missing = subprocess.run([RELEASE_GUARD, "check-tag", "v1.0", "-r", "nowhere"], cwd=t.repo.path,
                             capture_output=True, text=True, timeout=TIMEOUT, check=False)
    assert (missing.returncode, missing.stdout) == (2, "")
    assert missing.stderr.startswith("release-guard: error: "), missing.stderr
    assert "nowhere" in missing.stderr


def test_testpypi_is_twines_constant_unless_pypirc_names_it(targets: Targets) -> None:
    """README: "the built-in `pypi` and `testpypi` taken from twine's own constants"; the table:
    "every command takes `--repository testpypi`". A `[testpypi]` section of `.pypirc` with its
    own URL is used, as twine uses it; a `.pypirc` whose index-servers leave it out does not
    define it, as for twine ("Missing 'testpypi' section")."""
    t = targets
    pypirc = t.home / ".pypirc"
    servers = pypirc.read_text()
    pypirc.unlink()
    assert first(t.check_tag("--repository", "testpypi"), unreachable(twine.utils.TEST_REPOSITORY))
    assert first(t.check_tag("-r", "pypi"), unreachable(twine.utils.DEFAULT_REPOSITORY))
    pypirc.write_text(servers)
    assert t.check_tag("--repository", "testpypi") == (2, (
        "release-guard: error: repository 'testpypi' is not defined in ~/.pypirc (it defines: pypi, held, "
        "empty) (hint: use one of those names, add [testpypi] to [distutils] index-servers with its own "
        "section, or pass --repository-url)"))
    pypirc.write_text(pypirc.read_text().replace("    empty\n", "    empty\n    testpypi\n")
                      + f"\n[testpypi]\nrepository = {t.held.upload_url}\n")
    assert first(t.check_tag("--repository", "testpypi"), t.is_held)
