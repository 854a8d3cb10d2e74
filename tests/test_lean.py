"""Lean installs (issue 10): the core is what the commit and push hooks import; the rest is
the `release` extra, and a command that needs it says so in one line without it.

The environments here are real: pre-commit builds the version-bump hook's environment as
it does for a user, and a venv holds release-guard's core alone — both installed with pip
from the wheelhouse the README's test command downloads (`.wheelhouse/`), offline.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from conftest import GitRepo
from release_guard import extra
from release_guard.index import pypirc

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - tomli is a core dependency there
    import tomli as tomllib

CHECKOUT = Path(__file__).resolve().parents[1]
WHEELHOUSE = Path(os.environ.get("RELEASE_GUARD_WHEELHOUSE", CHECKOUT / ".wheelhouse"))
WHEELHOUSE_MISSING = (f"no wheelhouse at {WHEELHOUSE}: run `python -m pip download -d .wheelhouse "
                      "'.[release]' 'setuptools>=77'` first (the README's test command does)")
PYPROJECT = tomllib.loads((CHECKOUT / "pyproject.toml").read_text())
HOOKS = {hook["id"]: hook for hook in yaml.safe_load((CHECKOUT / ".pre-commit-hooks.yaml").read_text())}
SEED = {"pip", "setuptools", "wheel"}  # what virtualenv (pre-commit) and venv put into every environment
HINT = "(hint: pip install 'release-guard[release]')"
TIMEOUT = 600


def _names(requirements: list[str]) -> list[str]:
    return [canonicalize_name(Requirement(r).name) for r in requirements]


# ------------------------------------------------------------------ the declarations agree


def test_the_core_is_what_the_hooks_import() -> None:
    assert [Requirement(r).name for r in PYPROJECT["project"]["dependencies"]] == ["packaging", "tomli"]
    tomli = Requirement(PYPROJECT["project"]["dependencies"][1])
    assert tomli.marker is not None
    assert not tomli.marker.evaluate({"python_version": "3.11"})


def test_the_extra_the_hooks_and_the_module_list_agree() -> None:
    release = PYPROJECT["project"]["optional-dependencies"]["release"]
    assert _names(release) == list(extra.MODULES)
    for hook in ("twine-check", "release-preflight"):
        assert HOOKS[hook]["additional_dependencies"] == release, hook
    for hook in ("version-bump", "pypi-tag-guard"):
        assert "additional_dependencies" not in HOOKS[hook], hook
    assert "release-guard[release]" in PYPROJECT["project"]["optional-dependencies"]["test"]


def test_twines_default_targets_read_from_pips_source_are_twines_own() -> None:
    """The fallback without twine gives what twine's own constants say (both installed here)."""
    import twine.utils

    assert pypirc._pip_default_urls() == {"pypi": twine.utils.DEFAULT_REPOSITORY,
                                          "testpypi": twine.utils.TEST_REPOSITORY}


def test_a_projects_own_pip_or_twine_never_names_the_default_targets(tmp_path: Path) -> None:
    """`python -m release_guard` puts the current directory (the project) first on sys.path:
    a `pip/` or `twine/` folder there is the project's text, not the installed package's."""
    import twine.utils

    (tmp_path / "pip" / "_internal" / "models").mkdir(parents=True)
    (tmp_path / "pip" / "__init__.py").write_text("")
    (tmp_path / "pip" / "_internal" / "models" / "index.py").write_text(
        'PyPI = PackageIndex("https://attacker.invalid/")\n'
        'TestPyPI = PackageIndex("https://attacker.invalid/")\n')
    (tmp_path / "twine").mkdir()
    (tmp_path / "twine" / "__init__.py").write_text("")
    (tmp_path / "twine" / "utils.py").write_text(
        'DEFAULT_REPOSITORY = "https://attacker.invalid/legacy/"\n'
        'TEST_REPOSITORY = "https://attacker.invalid/legacy/"\n')
    script = ("import json; from release_guard.index import pypirc; "
              "print(json.dumps([pypirc._twine_default_urls(), pypirc._pip_default_urls()]))")
    proc = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True,
                          text=True, check=True)
    twines = {"pypi": twine.utils.DEFAULT_REPOSITORY, "testpypi": twine.utils.TEST_REPOSITORY}
    assert json.loads(proc.stdout) == [twines, twines]


def test_a_broken_twine_is_one_error_line_not_an_internal_error(tmp_path: Path) -> None:
    """A twine folder without utils.py (a half-removed install), in an environment without
    pip: twine's default targets are unknown, said as a RepositoryError."""
    import packaging

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site_dir = Path(subprocess.run([str(python), "-c", "import site; print(site.getsitepackages()[0])"],
                                   capture_output=True, text=True, check=True).stdout.strip())
    (site_dir / "twine").mkdir()
    (site_dir / "twine" / "__init__.py").write_text("")
    source = Path(pypirc.__file__).parents[2]  # release_guard's own, and packaging's, from here
    (site_dir / "rg.pth").write_text(f"{source}\n{Path(packaging.__file__).parents[1]}\n")
    script = ("from release_guard.index import pypirc\n"
              "try:\n    pypirc._twine_default_urls()\n"
              "except Exception as exc:\n    print(type(exc).__name__, exc.message)\n")
    proc = subprocess.run([str(python), "-c", script], cwd=tmp_path, capture_output=True, text=True,
                          check=True)
    assert proc.stdout.startswith("RepositoryError neither twine nor pip's list of indexes"), proc.stdout


# ------------------------------------------------------------------ environments, offline


def _offline_pip() -> dict[str, str]:
    if not any(WHEELHOUSE.glob("*.whl")):
        if os.environ.get("CI"):
            pytest.fail(WHEELHOUSE_MISSING)
        pytest.skip(WHEELHOUSE_MISSING)
    return {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(WHEELHOUSE),
            "PIP_INDEX_URL": "http://127.0.0.1:9/simple/",  # were it asked, it would fail
            "PIP_DISABLE_PIP_VERSION_CHECK": "1", "VIRTUALENV_NO_PERIODIC_UPDATE": "1"}


def _distributions(python: Path) -> set[str]:
    """The canonical names of every distribution the environment of `python` holds."""
    script = ("import importlib.metadata as m, json; "
              "print(json.dumps([d.metadata['Name'] for d in m.distributions()]))")
    proc = subprocess.run([str(python), "-I", "-c", script], capture_output=True, text=True, check=True,
                          timeout=TIMEOUT)
    return {canonicalize_name(name) for name in json.loads(proc.stdout)}


def _core_expected() -> set[str]:
    return {"release-guard", "packaging"} | ({"tomli"} if sys.version_info < (3, 11) else set())


def _copy_checkout(target: Path) -> Path:
    """The checkout's files (tracked and untracked, not ignored): pip builds a local folder in
    place, and must neither write into the checkout nor pick up a stale build/."""
    listed = subprocess.run(["git", "-C", str(CHECKOUT), "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"], capture_output=True, check=True).stdout
    for rel in filter(None, listed.decode().split("\0")):
        source = CHECKOUT / rel
        if source.is_file():
            (target / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / rel)
    return target


@pytest.fixture(scope="session")
def core_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv with release-guard's core alone (`pip install <checkout>`, no extra), built once."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "UV_"))}
    env.update(_offline_pip())
    root = tmp_path_factory.mktemp("core")
    source = _copy_checkout(root / "checkout")
    subprocess.run([sys.executable, "-m", "venv", str(root / "venv")], check=True, timeout=TIMEOUT)
    python = root / "venv" / "bin" / "python"
    proc = subprocess.run([str(python), "-m", "pip", "install", "--quiet", str(source)], env=env,
                          capture_output=True, text=True, check=False, timeout=TIMEOUT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return python


def _guard(python: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(python.with_name("release-guard")), *args], cwd=cwd, capture_output=True,
                          text=True, check=False, timeout=TIMEOUT)


@pytest.mark.slow
def test_the_core_venv_holds_the_core_alone(core_venv: Path) -> None:
    assert _distributions(core_venv) - SEED == _core_expected()


@pytest.mark.slow
def test_twines_default_targets_without_twine(core_venv: Path) -> None:
    """check-tag's default target (the public index) is found without twine, from pip's source."""
    import twine.utils

    script = ("import json; from release_guard.index import pypirc; "
              "print(json.dumps(pypirc._twine_default_urls()))")
    proc = subprocess.run([str(core_venv), "-c", script], capture_output=True, text=True, check=True)
    assert json.loads(proc.stdout) == {"pypi": twine.utils.DEFAULT_REPOSITORY,
                                       "testpypi": twine.utils.TEST_REPOSITORY}


def _project(repo: GitRepo) -> Path:
    repo.write("pyproject.toml", '[project]\nname = "demo-lean"\nversion = "1.0"\n')
    repo.write("src/demo_lean/__init__.py", "")
    repo.commit("1.0")
    return repo.path


EXTRA_ONLY = {
    "check-dist": (["check-dist"], "check-dist needs twine, trove-classifiers, build"),
    "check-dist --dist-dir": (["check-dist", "--dist-dir", "dist"],
                              "check-dist needs twine, trove-classifiers, from"),
    "check-auth": (["check-auth", "--offline"], "check-auth needs pyyaml"),
    "check-name": (["check-name", "--offline"], "check-name needs stdlib-list"),
    "release": (["release", "--dry-run"], "release needs build, twine, trove-classifiers"),
}


@pytest.mark.slow
@pytest.mark.parametrize("command", list(EXTRA_ONLY))
def test_an_extra_only_command_without_the_extra_is_one_line_and_exit_2(core_venv: Path, repo: GitRepo,
                                                                         command: str) -> None:
    args, needs = EXTRA_ONLY[command]
    project = _project(repo)
    (project / "dist").mkdir()
    proc = _guard(core_venv, project, *args)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("release-guard: error:")]
    assert len(errors) == 1, proc.stderr
    assert proc.stderr.endswith(errors[0] + "\n")  # release's step line may come first, nothing after
    assert errors[0].startswith(f"release-guard: error: {needs}"), proc.stderr
    assert errors[0].endswith(f"from release-guard's `release` extra, which is not installed {HINT}")


@pytest.mark.slow
def test_the_backend_without_the_extra_is_one_line_and_exit_2(core_venv: Path, repo: GitRepo) -> None:
    """A version only code can compute, asked of the build backend (--backend), needs build."""
    repo.write("setup.py", "import time\nfrom setuptools import setup\n"
                           "setup(name='demo-lean', version=str(int(time.time()) * 0 + 1))\n")
    repo.commit("setup.py")
    proc = _guard(core_venv, repo.path, "version", "--backend")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr == ("release-guard: error: asking the build backend for the version needs build, from "
                           f"release-guard's `release` extra, which is not installed {HINT}\n")


@pytest.mark.slow
def test_check_without_the_extra_runs_the_core_rows_and_skips_others(core_venv: Path, repo: GitRepo) -> None:
    project = _project(repo)
    proc = _guard(core_venv, project, "check", "--offline")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    rows = {line.split()[0]: line for line in proc.stdout.splitlines()[1:]}
    assert list(rows) == ["version", "tags", "index", "name", "auth", "dist"], proc.stdout
    assert " ok" in rows["version"]
    assert "ok: no release tag on HEAD" in rows["tags"]
    assert rows["index"].endswith("skipped (--offline)")
    for row in ("name", "auth"):
        assert rows[row].endswith("skipped (needs release-guard[release])"), rows[row]
    assert rows["dist"].endswith("skipped (--build to build and check the sdist and wheel)"), rows["dist"]


@pytest.mark.slow
@pytest.mark.parametrize(("flag", "needs"),
                         [("--build", "twine, trove-classifiers, build"), ("--auth", "pyyaml")])
def test_check_asked_by_name_for_an_extra_row_is_exit_2(core_venv: Path, repo: GitRepo, flag: str,
                                                          needs: str) -> None:
    """`check --build` / `--auth` without the extra: not a skipped row and exit 0, which a CI
    gate would read as passed."""
    proc = _guard(core_venv, _project(repo), "check", "--offline", flag)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stdout == ""
    assert proc.stderr == (f"release-guard: error: check {flag} needs {needs}, from release-guard's "
                           f"`release` extra, which is not installed {HINT}\n")


@pytest.mark.slow
def test_the_commit_hook_runs_in_the_core(core_venv: Path, repo: GitRepo) -> None:
    project = _project(repo)
    proc = _guard(core_venv, project, "check-version")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout == "release-guard: version 1.0 ok (pyproject.toml:3)\n"


# ------------------------------------------------------------------ pre-commit's own hook environment


@pytest.mark.slow
def test_pre_commits_version_bump_environment_holds_release_guard_and_packaging_alone(
        repo: GitRepo, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """`pre-commit install-hooks` for version-bump (this checkout's HEAD), in a store of its own:
    the environment holds release-guard, packaging (tomli before 3.11) and the seed, nothing else."""
    head = subprocess.run(["git", "-C", str(CHECKOUT), "rev-parse", "HEAD"], capture_output=True, text=True,
                          check=False)
    if head.returncode != 0:
        pytest.skip(f"{CHECKOUT} is not a git checkout")
    for key, value in _offline_pip().items():
        monkeypatch.setenv(key, value)
    store = tmp_path_factory.mktemp("pre-commit-home")  # outside tmp_path: the clone holds test secrets
    monkeypatch.setenv("PRE_COMMIT_HOME", str(store))
    monkeypatch.setenv("PRE_COMMIT_COLOR", "never")
    project = _project(repo)
    repo.write(".pre-commit-config.yaml", f"repos:\n  - repo: {CHECKOUT}\n    rev: {head.stdout.strip()}\n"
                                          "    hooks:\n      - id: version-bump\n")
    repo.commit("pre-commit config")
    proc = subprocess.run([sys.executable, "-m", "pre_commit", "install-hooks"], cwd=project,
                          capture_output=True, text=True, check=False, timeout=TIMEOUT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    pythons = list(store.glob("repo*/py_env-*/bin/python"))
    assert len(pythons) == 1, pythons
    found = _distributions(pythons[0])
    assert found - SEED == _core_expected(), sorted(found)
    assert "pip" in found
    proc = subprocess.run([sys.executable, "-m", "pre_commit", "run", "version-bump", "--all-files"],
                          cwd=project, capture_output=True, text=True, check=False, timeout=TIMEOUT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
