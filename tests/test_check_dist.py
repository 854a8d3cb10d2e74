"""`release-guard check-dist`: real builds of sample projects, hand-written archives with
exactly the bad metadata, the real files of ten public projects, and the error paths."""

from __future__ import annotations

import io
import json
import shutil
import tarfile
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import pytest

from conftest import GitRepo, need

README_MD = "# Demo\n\nA demo project.\n"


def _shared_dir() -> Path | None:
    candidate = Path(__file__).resolve().parents[2] / "shared" / "realdist"
    return candidate if candidate.is_dir() else None


REALDIST = _shared_dir()
REAL_PROJECTS = sorted({p.name.split("-")[0] for p in REALDIST.glob("*.tar.gz")}) if REALDIST else []


# ------------------------------------------------------------------ writing projects and archives


def project(folder: Path, name: str = "demo-pkg", version: str = "1.0", extra: str = "") -> Path:
    """A project directory with a static pyproject (no build needed for --dist-dir)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pyproject.toml").write_text(f'[project]\nname = "{name}"\nversion = "{version}"\n{extra}')
    return folder


def metadata(name: str = "demo-pkg", version: str = "1.0", *extra: str, metadata_version: str = "2.1",
             content_type: str | None = "text/markdown", description: str = README_MD,
             summary: str = "A demo") -> str:
    headers = [f"Metadata-Version: {metadata_version}", f"Name: {name}", f"Version: {version}",
               f"Summary: {summary}", *extra]
    if content_type:
        headers.append(f"Description-Content-Type: {content_type}")
    return "\n".join(headers) + "\n\n" + description


def write_wheel(folder: Path, filename: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    name, version = filename.split("-")[:2]
    info = f"{name}-{version}.dist-info"
    with zipfile.ZipFile(folder / filename, "w") as archive:
        archive.writestr(f"{info}/METADATA", text)
        archive.writestr(f"{info}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
                         "Tag: py3-none-any\n")
        archive.writestr(f"{info}/RECORD", "")
    return folder / filename


def write_sdist(folder: Path, filename: str, text: str, *, link: bool = False) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    root = filename.removesuffix(".tar.gz").removesuffix(".zip")
    if filename.endswith(".zip"):
        with zipfile.ZipFile(folder / filename, "w") as archive:
            archive.writestr(f"{root}/PKG-INFO", text)
        return folder / filename
    with tarfile.open(folder / filename, "w:gz") as archive:
        data = text.encode()
        member = tarfile.TarInfo(f"{root}/PKG-INFO")
        if link:
            member.type, member.linkname = tarfile.SYMTYPE, "/etc/passwd"
            archive.addfile(member)
        else:
            member.size = len(data)
            archive.addfile(member, io.BytesIO(data))
        setup = tarfile.TarInfo(f"{root}/pyproject.toml")
        archive.addfile(setup, io.BytesIO(b""))
    return folder / filename


def pair(dist: Path, *extra: str, name: str = "demo-pkg", version: str = "1.0", **kwargs: Any) -> None:
    prefix = name.replace("-", "_")
    write_sdist(dist, f"{prefix}-{version}.tar.gz", metadata(name, version, *extra, **kwargs))
    write_wheel(dist, f"{prefix}-{version}-py3-none-any.whl", metadata(name, version, *extra, **kwargs))


def codes(out: str) -> list[str]:
    return [f["code"] for f in json.loads(out)["findings"]]


# ------------------------------------------------------------------ --dist-dir: each finding


def test_clean_files_pass(tmp_path: Path, cli: Any) -> None:
    root = project(tmp_path / "p")
    pair(root / "dist")
    result = cli("check-dist", "--dist-dir", "dist", cwd=root)
    assert result.code == 0, result.out
    assert result.out == ("release-guard: demo-pkg 1.0: the files in dist pass twine check --strict and "
                          "the index's rules\n")


BAD: list[tuple[str, tuple[str, ...], dict[str, Any], str]] = [
    ("local version", (), {"version": "1.0+abc"}, "RG307"),
    ("unknown classifier", ("Classifier: Programming Language :: Pyton",), {}, "RG308"),
    ("deprecated classifier", ("Classifier: Framework :: Django CMS :: 4.2",), {}, "RG309"),
    ("private classifier", ("Classifier: Private :: Do Not Upload",), {}, "RG310"),
    ("summary over 512", (), {"summary": "x" * 513}, "RG311"),
    ("bad license expression", ("License-Expression: MIT OR",), {"metadata_version": "2.4"}, "RG312"),
    ("metadata version 3.0", (), {"metadata_version": "3.0"}, "RG317"),
    ("README does not render", (), {"content_type": "text/x-rst", "description": "Text `broken link <\n"},
     "RG301"),
    ("content type missing", (), {"content_type": None}, "RG302"),
]


@pytest.mark.parametrize(("extra", "kwargs", "code"), [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_each_metadata_finding(tmp_path: Path, cli: Any, extra: tuple[str, ...], kwargs: dict[str, Any],
                               code: str) -> None:
    version = kwargs.pop("version", "1.0")
    root = project(tmp_path / "p", version=version)
    pair(root / "dist", *extra, version=version, **kwargs)
    result = cli("check-dist", "--dist-dir", "dist", "--format", "json", cwd=root)
    assert result.code == 1, result.out
    found = codes(result.out)
    assert found.count(code) == 2, found  # the sdist and the wheel


def test_summary_with_a_line_break(tmp_path: Path, cli: Any) -> None:
    root = project(tmp_path / "p")
    write_wheel(root / "dist", "demo_pkg-1.0-py3-none-any.whl",
                metadata(summary="A demo\n        on two lines"))
    result = cli("check-dist", "--dist-dir", "dist", cwd=root)
    assert result.code == 1
    assert "RG311 the summary (description) holds a line break" in result.out


def test_content_type_missing_is_twines_and_strict_can_be_turned_off(
        tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    root = project(tmp_path / "p")
    pair(root / "dist", content_type=None)
    strict = cli("check-dist", "--dist-dir", "dist", cwd=root)
    assert strict.code == 1
    assert "dist/demo_pkg-1.0.tar.gz: RG302 twine check --strict: `long_description_content_type` " \
        "missing" in strict.out
    relaxed = cli("check-dist", "--dist-dir", "dist", "--no-strict", cwd=root)
    assert relaxed.code == 0
    assert "RG302 warning: twine check --strict" in relaxed.out
    assert "pass twine check and the index's rules" in relaxed.out
    project(root, extra="[tool.release-guard]\nstrict = false\n")
    assert cli("check-dist", "--dist-dir", "dist", cwd=root).code == 0
    assert cli("check-dist", "--dist-dir", "dist", "--strict", cwd=root).code == 1  # the flag wins
    project(root)
    monkeypatch.setenv("RELEASE_GUARD_STRICT", "0")
    assert cli("check-dist", "--dist-dir", "dist", cwd=root).code == 0


def test_ignore_silences_a_code(tmp_path: Path, cli: Any) -> None:
    root = project(tmp_path / "p", extra='[tool.release-guard]\nignore = ["RG302"]\n')
    pair(root / "dist", content_type=None)
    assert cli("check-dist", "--dist-dir", "dist", cwd=root).code == 0


def test_sdist_file_name_not_normalized(tmp_path: Path, cli: Any) -> None:
    root = project(tmp_path / "p", name="Demo.Pkg")
    write_sdist(root / "dist", "Demo.Pkg-1.0.tar.gz", metadata("Demo.Pkg"))
    result = cli("check-dist", "--dist-dir", "dist", cwd=root)
    assert result.code == 1
    assert "RG313 sdist Demo.Pkg-1.0.tar.gz does not start with demo_pkg-: the index answers " \
        "'Start filename for 'Demo.Pkg' with 'demo_pkg''" in result.out
    assert "hint: name it demo_pkg-1.0.tar.gz" in result.out


def test_two_sdists_for_one_version(tmp_path: Path, cli: Any) -> None:
    root = project(tmp_path / "p")
    pair(root / "dist")
    write_sdist(root / "dist", "demo_pkg-1.0.zip", metadata())
    found = codes(cli("check-dist", "--dist-dir", "dist", "--format", "json", cwd=root).out)
    assert "RG314" in found
    assert "RG313" in found  # a warning: PEP 625 wants .tar.gz


def test_wheel_name_disagrees_with_metadata(tmp_path: Path, cli: Any) -> None:
    root = project(tmp_path / "p")
    write_wheel(root / "dist", "demo_pkg-1.0-py3-none-any.whl", metadata())
    renamed = root / "dist" / "demo_pkg-1.0.1-py3-none-any.whl"
    write_wheel(tmp_path / "w", "demo_pkg-1.0-py3-none-any.whl", metadata()).rename(renamed)
    result = cli("check-dist", "--dist-dir", "dist", cwd=root)
    # its metadata says 1.0: it belongs to the release, and its name is wrong
    assert "dist/demo_pkg-1.0.1-py3-none-any.whl: RG315 wheel demo_pkg-1.0.1-py3-none-any.whl names " \
        "demo-pkg 1.0.1, but its METADATA says demo-pkg 1.0" in result.out
    assert result.code == 1


def test_file_over_100_mib(tmp_path: Path, cli: Any) -> None:
    root = project(tmp_path / "p")
    path = write_sdist(root / "dist", "demo_pkg-1.0.tar.gz", metadata())
    with path.open("r+b") as handle:  # sparse trailing zeros after the gzip stream: no disk used
        handle.truncate(100 * 1024 * 1024 + 1)
    found = codes(cli("check-dist", "--dist-dir", "dist", "--format", "json", cwd=root).out)
    assert "RG316" in found


@pytest.mark.parametrize("case", ["garbage", "symlink", "huge", "no-metadata", "not-utf8"])
def test_unreadable_files(tmp_path: Path, cli: Any, case: str) -> None:
    root = project(tmp_path / "p")
    dist = root / "dist"
    if case == "garbage":
        dist.mkdir(parents=True)
        (dist / "demo_pkg-1.0-py3-none-any.whl").write_bytes(b"not a zip")
    elif case == "symlink":
        write_sdist(dist, "demo_pkg-1.0.tar.gz", metadata(), link=True)
    elif case == "huge":
        write_sdist(dist, "demo_pkg-1.0.tar.gz", metadata(description="x" * (11 * 1024 * 1024)))
    elif case == "no-metadata":
        dist.mkdir(parents=True)
        with zipfile.ZipFile(dist / "demo_pkg-1.0-py3-none-any.whl", "w") as archive:
            archive.writestr("demo_pkg/__init__.py", "")
    else:
        write_wheel(dist, "demo_pkg-1.0-py3-none-any.whl", "")
        with zipfile.ZipFile(dist / "demo_pkg-1.0-py3-none-any.whl", "w") as archive:
            archive.writestr("demo_pkg-1.0.dist-info/METADATA", b"Name: d\xe9mo\n")
    result = cli("check-dist", "--dist-dir", "dist", "--format", "json", cwd=root)
    assert result.code == 1
    assert codes(result.out) == ["RG304"]


# ------------------------------------------------------------------ stale files, tags, releases


def test_stale_files_of_another_version_and_project(tmp_path: Path, cli: Any) -> None:
    root = project(tmp_path / "p", version="1.1")
    pair(root / "dist", version="1.0")
    pair(root / "dist", version="1.1")
    pair(root / "dist", name="other", version="1.1")
    result = cli("check-dist", "--dist-dir", "dist", cwd=root)
    assert result.code == 1
    assert result.out.startswith(
        "dist: RG318 dist holds 4 file(s) that are not demo-pkg 1.1: demo_pkg-1.0-py3-none-any.whl, "
        "demo_pkg-1.0.tar.gz, other-1.1-py3-none-any.whl, other-1.1.tar.gz; `twine upload dist/*` would "
        "send them too, and the index would answer '400 File already exists'")
    assert result.out.count("RG") == 1  # the stale files are not checked as the release


def test_no_file_of_the_release(tmp_path: Path, cli: Any) -> None:
    root = project(tmp_path / "p", version="1.1")
    pair(root / "dist", version="1.0")
    found = codes(cli("check-dist", "--dist-dir", "dist", "--format", "json", cwd=root).out)
    assert found == ["RG319", "RG318"]


def test_release_tag_on_head_must_match(tmp_path: Path, cli: Any, repo: GitRepo) -> None:
    project(repo.path)
    pair(repo.path / "dist")
    repo.write(".gitignore", "dist/\n")
    repo.commit("release")
    repo.tag("v1.0.0")
    assert cli("check-dist", "--dist-dir", "dist", cwd=repo.path).code == 0
    repo.tag("v1.1")
    result = cli("check-dist", "--dist-dir", "dist", cwd=repo.path)
    assert result.code == 1
    assert "RG306 version 1.0 differs from 1.1, the version of the release tag v1.1 on HEAD" in result.out


def test_vcs_version_takes_the_tag(tmp_path: Path, cli: Any, repo: GitRepo) -> None:
    repo.write("pyproject.toml", '[build-system]\nrequires = ["setuptools", "setuptools-scm"]\n'
               'build-backend = "setuptools.build_meta"\n[project]\nname = "demo-pkg"\n'
               'dynamic = ["version"]\n[tool.setuptools_scm]\n')
    repo.commit("release")
    repo.tag("v1.0")
    pair(repo.path / "dist", version="1.0")
    pair(repo.path / "dist", version="0.9")
    result = cli("check-dist", "--dist-dir", "dist", "--format", "json", cwd=repo.path)
    assert codes(result.out) == ["RG318"]
    assert "not demo-pkg 1.0" in json.loads(result.out)["findings"][0]["message"]


# ------------------------------------------------------------------ the real files of ten projects

# Under .ci/run a missing realdist fails with one line (conftest.need); elsewhere it skips.
_MISSING = "realdist not found: ../shared/realdist beside the checkout"


@pytest.mark.parametrize("name", REAL_PROJECTS or ["no-realdist"])
def test_no_false_alarm_on_real_distributions(tmp_path: Path, cli: Any, name: str) -> None:
    need(REALDIST, _MISSING)
    assert REALDIST is not None
    files = sorted(REALDIST.glob(f"{name}-*"))
    assert len(files) == 2, files
    version = files[0].name[len(name) + 1:].split("-")[0].removesuffix(".tar.gz")
    root = project(tmp_path / name, name=name, version=version)
    (root / "dist").mkdir()
    for path in files:
        shutil.copyfile(path, root / "dist" / path.name)
    result = cli("check-dist", "--dist-dir", "dist", "--format", "json", cwd=root)
    errors = [f for f in json.loads(result.out)["findings"] if f["severity"] == "error"]
    if name == "six":  # twine's strict warning, reported as twine's: no refusal by the index
        shown = {(f["code"], f["message"].split(":")[0]) for f in errors}
        assert shown == {("RG302", "twine check --strict")}
        assert len(errors) == 2
    else:
        assert errors == [], result.out
        assert result.code == 0


def test_realdist_holds_ten_projects() -> None:
    need(REALDIST, _MISSING)
    assert len(REAL_PROJECTS) == 10


# ------------------------------------------------------------------ errors: exit 2, one line


def test_dist_dir_missing_or_empty(tmp_path: Path, cli: Any) -> None:
    root = project(tmp_path / "p")
    missing = cli("check-dist", "--dist-dir", "dist", cwd=root)
    assert missing.code == 2
    assert missing.err == ("release-guard: error: --dist-dir dist: no such directory (hint: build first "
                           "(python -m build), or drop --dist-dir to build in a temporary one)\n")
    (root / "dist").mkdir()
    (root / "dist" / "notes.txt").write_text("")
    empty = cli("check-dist", "--dist-dir", "dist", cwd=root)
    assert empty.code == 2
    assert "no sdist (.tar.gz) or wheel (.whl) in it (hint: build them: python -m build --outdir dist)" \
        in empty.err


def test_dist_dir_runs_no_project_code_unless_allowed(tmp_path: Path, cli: Any) -> None:
    root = tmp_path / "p"
    root.mkdir()
    (root / "setup.py").write_text("from setuptools import setup\n"
                                   "setup(name='demo-pkg', version=compute())\n")
    pair(root / "dist")
    result = cli("check-dist", "--dist-dir", "dist", cwd=root)
    assert result.code == 2
    assert "--backend" in result.err


def test_installer_uv_needs_uv(tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    root = project(tmp_path / "p")
    monkeypatch.setattr(shutil, "which", lambda name: None)
    result = cli("check-dist", "--installer", "uv", cwd=root)
    assert result.code == 2
    assert result.err == ("release-guard: error: --installer uv: uv is not on PATH (hint: install it (pip "
                          "install uv), or drop --installer uv to build with pip)\n")


def _fake_build(source: Path) -> Any:
    def build(project_dir: str, outdir: str, isolation: bool, installer: str | None) -> None:
        for path in source.iterdir():
            shutil.copyfile(path, Path(outdir) / path.name)

    return build


def test_built_files_must_match_the_project(tmp_path: Path, cli: Any,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from release_guard import dist_guard

    root = project(tmp_path / "p")
    pair(tmp_path / "built", name="demo-pkg", version="1.0.post1")
    monkeypatch.setattr(dist_guard, "build", _fake_build(tmp_path / "built"))
    result = cli("check-dist", "--format", "json", cwd=root)
    assert codes(result.out) == ["RG306", "RG306"]
    project(root, name="demo")
    assert codes(cli("check-dist", "--format", "json", cwd=root).out) == ["RG305", "RG306"] * 2


def test_temporary_folder_is_removed_even_on_error(tmp_path: Path, cli: Any,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from release_guard import dist_guard
    from release_guard.errors import BuildError

    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))

    def failing(project_dir: str, outdir: str, isolation: bool, installer: str | None) -> None:
        (Path(outdir) / "half.whl").write_text("")
        raise BuildError("the build failed: boom", hint="python -m build")

    monkeypatch.setattr(dist_guard, "build", failing)
    root = project(tmp_path / "p")
    assert cli("check-dist", cwd=root).code == 2
    assert list(scratch.iterdir()) == []


# ------------------------------------------------------------------ real builds


SETUPTOOLS = ('[build-system]\nrequires = ["setuptools>=77"]\nbuild-backend = "setuptools.build_meta"\n'
              "[tool.setuptools.packages.find]\nwhere = [\"src\"]\n")
HATCHLING = ('[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
             '[tool.hatch.build.targets.wheel]\npackages = ["src/demo_pkg"]\n')
FLIT = '[build-system]\nrequires = ["flit_core>=3.9"]\nbuild-backend = "flit_core.buildapi"\n'
POETRY = ('[build-system]\nrequires = ["poetry-core>=2"]\nbuild-backend = "poetry.core.masonry.api"\n'
          '[tool.poetry]\npackages = [{ include = "demo_pkg", from = "src" }]\n')


def sample(root: Path, backend: str, project_table: str = "") -> Path:
    root.mkdir(parents=True)
    table = project_table or ('[project]\nname = "demo-pkg"\nversion = "1.0"\ndescription = "A demo"\n'
                              'readme = "README.md"\nlicense = "MIT"\n'
                              'classifiers = ["Programming Language :: Python :: 3"]\n')
    (root / "pyproject.toml").write_text(backend + table)
    (root / "README.md").write_text(README_MD)
    package = root / "src" / "demo_pkg" if backend != FLIT else root / "demo_pkg"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text('"""A demo."""\n')
    (root / "LICENSE").write_text("MIT\n")
    return root


@pytest.mark.slow
@pytest.mark.parametrize("backend", [SETUPTOOLS, HATCHLING, FLIT, POETRY],
                         ids=["setuptools", "hatchling", "flit-core", "poetry-core"])
def test_clean_build_passes(tmp_path: Path, cli: Any, backend: str) -> None:
    root = sample(tmp_path / "demo", backend)
    result = cli("check-dist", "--no-isolation", cwd=root)
    assert result.code == 0, result.out + result.err
    assert result.out == ("release-guard: demo-pkg 1.0: the built sdist and wheel pass twine check --strict "
                          "and the index's rules\n")
    assert not (root / "dist").exists()  # built into a temporary folder, not the project's dist/


@pytest.mark.slow
def test_build_finds_stale_files_and_bad_metadata(tmp_path: Path, cli: Any) -> None:
    table = ('[project]\nname = "demo-pkg"\nversion = "1.0"\ndescription = "A demo"\nreadme = "README.md"\n'
             'classifiers = ["Private :: Do Not Upload"]\n')
    root = sample(tmp_path / "demo", SETUPTOOLS, table)
    pair(root / "dist", version="0.9")
    result = cli("check-dist", "--no-isolation", "--format", "json", cwd=root)
    assert result.code == 1
    assert codes(result.out) == ["RG310", "RG310", "RG318"]
    stale = json.loads(result.out)["findings"][-1]
    assert stale["path"] == "dist"
    assert "demo_pkg-0.9-py3-none-any.whl, demo_pkg-0.9.tar.gz" in stale["message"]


@pytest.mark.slow
def test_build_failure_is_one_line_and_exit_2(tmp_path: Path, cli: Any) -> None:
    root = sample(tmp_path / "demo", SETUPTOOLS)
    (root / "setup.py").write_text("raise SystemExit('setup.py refuses to build')\n")
    result = cli("check-dist", "--no-isolation", cwd=root)
    assert result.code == 2
    assert result.out == ""
    assert result.err.startswith("release-guard: error: the build failed: ")
    assert result.err.count("\n") == 1
    assert "the build failed: setup.py refuses to build (hint: run `python -m build --no-isolation " \
        in result.err


@pytest.mark.slow
def test_isolated_build_from_the_wheelhouse(tmp_path: Path, cli: Any,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The default, isolated build, with pip's index switched off: only the local wheelhouse."""
    wheelhouse = Path(__file__).resolve().parents[1] / ".wheelhouse"
    need(any(wheelhouse.glob("setuptools-*.whl")),
         "no .wheelhouse with setuptools (the README's test command fills it)")
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(wheelhouse))
    root = sample(tmp_path / "demo", SETUPTOOLS)
    result = cli("check-dist", cwd=root)
    assert result.code == 0, result.out + result.err


@pytest.mark.slow
def test_installer_uv_from_the_wheelhouse(tmp_path: Path, cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """--installer uv: build's isolated environment made by uv, with uv's index switched off."""
    wheelhouse = Path(__file__).resolve().parents[1] / ".wheelhouse"
    need(any(wheelhouse.glob("setuptools-*.whl")),
         "no .wheelhouse with setuptools (the README's test command fills it)")
    need(shutil.which("uv"), "uv is not on PATH (the test extras install it into the venv: activate it)")
    monkeypatch.setenv("UV_OFFLINE", "1")  # uv has no UV_NO_INDEX; offline, find-links still serve
    monkeypatch.setenv("UV_FIND_LINKS", str(wheelhouse))
    root = sample(tmp_path / "demo", SETUPTOOLS)
    result = cli("check-dist", "--installer", "uv", cwd=root)
    assert result.code == 0, result.out + result.err
    assert result.out.startswith("release-guard: demo-pkg 1.0: the built sdist and wheel pass")
