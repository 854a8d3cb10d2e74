"""README "Which index", end to end: the console script `release-guard check-tag` against two
real pypiservers, one holding demo-pkg 1.0 (`held`: RG202, exit 1) and one empty (`empty`:
"first release", exit 0), so that the index each setting chooses shows in the exit code and
the line (issue 12). twine's default targets come from twine's constants at run time; the
proxies the suite sets lead to a closed local port, so reading them is "could not reach".
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import twine.utils

from conftest import GitRepo
from index_servers import (
    PASSWORD,
    START_TIMEOUT,
    USERNAME,
    FaultServers,
    LocalIndex,
    _devpi_put,
    clean_env,
    free_port,
    start,
    stop,
)
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


# --- yanked releases on a real devpi ------------------------------------------------------------


@pytest.fixture
def devpi_mirror(tmp_path: Path, fault_server: FaultServers) -> Iterator[str]:
    """A devpi-server of this test's own (not in offline mode, no root/pypi) with the mirror
    index guard/mirror of the fault server's Simple index, on loopback: devpi reads the
    `yanked-release` page (1.0 and 2.0 yanked) and serves it as devpi does, PEP 691 JSON included. devpi
    yanks no file of its own indexes (devpi-server 6: "PEP 592 isn't supported for private
    stages yet"); a mirror carries the upstream's yanks."""
    server_dir = tmp_path / "devpi-server"
    bindir = Path(sys.executable).parent
    init = [str(bindir / "devpi-init"), "--serverdir", str(server_dir), "--no-root-pypi",
            "--root-passwd", "r00t"]
    subprocess.run(init, capture_output=True, env=clean_env(), check=True, timeout=START_TIMEOUT)
    port = free_port()
    args = [str(bindir / "devpi-server"), "--serverdir", str(server_dir), "--host", "127.0.0.1",
            "--port", str(port), "--argon2-time-cost", "1", "--argon2-memory-cost", "8",
            "--argon2-parallelism", "1"]
    root = f"http://127.0.0.1:{port}/"
    proc = start(args, tmp_path / "devpi.log", root + "+api")
    try:
        _devpi_put(root + USERNAME, {"password": PASSWORD, "email": "guard@example.invalid"}, auth=False)
        _devpi_put(root + f"{USERNAME}/mirror", {"type": "mirror", "mirror_url": fault_server.simple_url},
                   auth=True)
        yield f"{root}{USERNAME}/mirror/"
    finally:
        stop(proc)


def check_tag_on(repo: GitRepo, tag: str, upload_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([RELEASE_GUARD, "check-tag", tag, "--repository-url", upload_url], cwd=repo.path,
                          capture_output=True, text=True, timeout=TIMEOUT, check=False)


SERVED_YANKS = """\
import json, sys, urllib.request
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
request = urllib.request.Request(sys.argv[1], headers={"Accept": "application/vnd.pypi.simple.v1+json"})
page = json.load(opener.open(request, timeout=30))
print(json.dumps(sorted([f["filename"], f.get("yanked", False)] for f in page["files"])))
"""


def test_a_yanked_release_on_devpi_still_counts(repo: GitRepo, devpi_mirror: str) -> None:
    """README: RG202 "the tag's version is already on the index (yanked releases count ...)",
    and the `pypi-tag-guard` row: "yanked releases count". The read URL is derived from devpi's
    upload URL: "devpi `<user>/<index>/` → `<user>/<index>/+simple/`".

    Not in the README, and the code's choice: a yanked release is not "the newest release" of
    RG203 (2.0 below is yanked, so a tag 1.5 is not older than the newest, 1.1, is)."""
    simple = devpi_mirror + "+simple/"
    served = subprocess.run([sys.executable, "-c", SERVED_YANKS, simple + "yanked-release/"],
                            capture_output=True, text=True, timeout=TIMEOUT, check=True)
    assert json.loads(served.stdout) == [  # devpi itself serves the yanks, as PEP 691 JSON
        ["yanked_release-1.0-py3-none-any.whl", "broken"], ["yanked_release-1.0.tar.gz", "broken"],
        ["yanked_release-1.1.tar.gz", False], ["yanked_release-2.0.tar.gz", "not ours"]]
    repo.write("pyproject.toml", pyproject("yanked-release", "1.0"))
    repo.commit("1.0")
    repo.tag("v1.0")
    yanked = check_tag_on(repo, "v1.0", devpi_mirror)
    assert (yanked.returncode, yanked.stderr) == (1, ""), yanked
    assert yanked.stdout.splitlines() == [
        f"pyproject.toml:3: RG202 tag v1.0: 1.0 is already on {simple} (yanked, which still counts); "
        "the upload would answer '400 File already exists'",
        "  hint: bump to a free version: 2.0.1, 2.1.0, 3.0.0, 2.0.1.dev0"]
    for version, code, first_line in (
            ("1.5", 0, f"release-guard: v1.5 ok: not on {simple}"),
            ("1.0.5", 1, f"pyproject.toml:3: RG203 tag v1.0.5: 1.0.5 is older than 1.1, the newest release "
                         f"on {simple}")):
        repo.write("pyproject.toml", pyproject("yanked-release", version))
        repo.commit(version)
        repo.tag(f"v{version}")
        proc = check_tag_on(repo, f"v{version}", devpi_mirror)
        assert (proc.returncode, proc.stdout.splitlines()[0], proc.stderr) == (code, first_line, ""), proc


def test_check_reads_the_index_the_project_names_and_skips_auth_without_credentials(
        targets: Targets) -> None:
    """README "Commands": `check` runs `auth` "when twine would find credentials, or with
    `--auth`"; the index a project's `repository` names is read (reads send no credential).
    Without credentials, that URL must not stop the run (it stopped it with exit 2: the auth row
    resolved the upload target, which a project may not choose, before asking for credentials)."""
    t = targets
    t.project(repository=t.held.upload_url)
    t.repo.commit("the index in pyproject.toml")
    proc = subprocess.run([RELEASE_GUARD, "check"], cwd=t.repo.path, capture_output=True, text=True,
                          timeout=TIMEOUT, check=False)
    assert (proc.returncode, proc.stderr) == (1, ""), proc  # 1.0 is on `held`: the index row fails
    rows = {line.split()[0]: line for line in proc.stdout.splitlines() if line.startswith("  ")}
    assert rows["auth"].endswith("skipped (twine would find no credentials; --auth checks all the same)")
    assert "RG401 demo-pkg 1.0 is already on " + t.held.simple_url in proc.stdout
    t.project(repository=t.empty.upload_url)
    t.repo.commit("the empty index")
    new = subprocess.run([RELEASE_GUARD, "check"], cwd=t.repo.path, capture_output=True, text=True,
                         timeout=TIMEOUT, check=False)
    assert (new.returncode, new.stderr) == (0, ""), new
