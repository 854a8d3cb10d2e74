"""What the commit hook's start-up savings must not change (benchmarks/README.md lists them)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import GitRepo
from release_guard import cli, git
from release_guard.errors import ProjectError, ReleaseGuardError
from release_guard.tree import WorkTree, decode

BOM = b"\xef\xbb\xbf"


@pytest.mark.parametrize("data", [b"", b"a = 1\n", BOM, BOM + b"x", BOM + BOM + b"y",
                                  "v = '\u00e9'\n".encode(), BOM + "\u20ac".encode()])
def test_decode_is_the_utf_8_sig_codec(data: bytes) -> None:
    assert decode(WorkTree("."), "f.txt", data) == data.decode("utf-8-sig")


@pytest.mark.parametrize("data", [b"ab\xff", BOM + b"ab\xff", BOM + BOM + b"x\xff", b"\xef\xbb"])
def test_decode_reports_the_byte_the_utf_8_sig_codec_reports(data: bytes) -> None:
    with pytest.raises(UnicodeDecodeError) as codec:
        data.decode("utf-8-sig")
    with pytest.raises(ProjectError, match=rf"f\.txt: not valid UTF-8 \(byte {codec.value.start}\)"):
        decode(WorkTree("."), "f.txt", data)


def _project(repo: GitRepo, version: str) -> None:
    repo.write("pyproject.toml", f'[project]\nname = "demo"\nversion = "{version}"\n')
    repo.write("src/demo/__init__.py", f'__version__ = "{version}"\n')


def _git_calls(trace: Path) -> list[str]:
    marker = "trace: built-in: git "
    return [line.split(marker, 1)[1] for line in trace.read_text().splitlines() if marker in line]


def test_open_repo_and_tags_is_open_repo_and_every_tag(repo: GitRepo) -> None:
    with pytest.raises(git.NoRepository):
        git.open_repo_and_tags(str(repo.path.parent))
    assert git.open_repo_and_tags(str(repo.path)) == (git.open_repo(str(repo.path)), [])  # unborn
    _project(repo, "1.0.0")
    repo.commit()
    repo.tag("v1.0.0")
    repo.tag("a/b", annotated=True)
    (repo.path / "sub").mkdir()
    (repo.path / "HEAD").write_text("a file named HEAD\n")
    opened, tags = git.open_repo_and_tags(str(repo.path / "sub"))
    assert opened == git.open_repo(str(repo.path / "sub"))
    assert (opened.prefix, opened.has_commits, len(opened.head)) == ("sub/", True, 40)
    assert tags == repo.git("for-each-ref", "--format=%(refname:strip=2)", "refs/tags").split()
    repo.git("update-ref", "refs/tags/HEAD", "HEAD")  # a tag named like a revision is a name too
    opened, tags = git.open_repo_and_tags(str(repo.path))
    assert (opened.has_commits, tags) == (True, ["HEAD", "a/b", "v1.0.0"])


def test_tag_target_is_what_for_each_ref_peels_to(repo: GitRepo) -> None:
    _project(repo, "1.0.0")
    repo.commit()
    repo.tag("light")
    repo.tag("annotated", annotated=True)
    repo.git("tag", "-a", "tag-of-tag", "-m", "nested", "annotated")
    repo.git("tag", "light-to-tag", "annotated")
    repo.git("tag", "tree", "HEAD^{tree}")
    listed = dict(line.split(" ", 1) for line in repo.git(
        "for-each-ref", "--format=%(refname:strip=2) %(if)%(*objectname)%(then)%(*objectname)%(else)"
        "%(objectname)%(end)", "refs/tags").splitlines())
    reader = git.BlobReader(str(repo.path))
    try:
        assert {tag: reader.tag_target(tag) for tag in listed} == listed
        assert reader.tag_target("missing") is None
    finally:
        reader.close()


def test_reachable_tags_are_asked_of_git_only_when_a_tag_is_greater(
        repo: GitRepo, cli: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    _project(repo, "1.0.0")
    repo.commit("1.0.0")
    repo.tag("v1.0.0")
    repo.git("checkout", "-q", "-b", "next")
    _project(repo, "2.0.0")
    repo.commit("2.0.0")
    repo.tag("v2.0.0", annotated=True)
    repo.git("checkout", "-q", "main")
    trace = tmp_path / "trace.txt"

    def check(version: str) -> tuple[Any, list[str]]:
        _project(repo, version)
        repo.stage()
        trace.unlink(missing_ok=True)
        with monkeypatch.context() as traced:
            traced.setenv("GIT_TRACE", str(trace))
            return cli("check-version", cwd=repo.path), _git_calls(trace)

    result, calls = check("3.0.0")  # above every tag: RG105 holds whatever is reachable
    assert (result.code, result.out) == (0, "release-guard: version 3.0.0 ok (pyproject.toml:3)\n")
    # the tags come with rev-parse; no tag has this version, so none is read through cat-file
    assert sorted(c.split()[0] for c in calls) == ["cat-file", "diff", "rev-parse"], calls

    result, calls = check("1.0.1")  # v2.0.0 is greater but not reachable from HEAD: no RG105 either
    assert (result.code, result.out) == (0, "release-guard: version 1.0.1 ok (pyproject.toml:3)\n")
    assert len([c for c in calls if "--merged=HEAD" in c]) == 1

    result, _ = check("0.9.0")  # below the reachable v1.0.0: named, not the unreachable v2.0.0
    assert result.code == 1
    assert "RG105 version 0.9.0 is lower than the newest release tag v1.0.0 (1.0.0)" in result.out


def test_the_hook_command_line_is_read_as_argparse_reads_it() -> None:
    from release_guard import arguments

    fast = cli.parse_args(cli.HOOK_COMMAND_LINE)
    assert cli.HOOK_COMMAND_LINE == ["check-version"]  # .pre-commit-hooks.yaml's entry, no file names
    for only in (None, "check-version"):
        assert vars(fast) == vars(arguments.build_parser(only).parse_args(["check-version"]))
    assert vars(cli.parse_args(["check-version", "--staged"]))["staged"] is True  # through argparse
    with pytest.raises(ReleaseGuardError, match=r"unrecognized arguments: file\.py"):
        cli.parse_args(["check-version", "file.py"])


# What the hook's start-up does not import (benchmarks/README.md): each was measured on its path.
NOT_ON_THE_HOOK_PATH = ("argparse", "gettext", "importlib", "dataclasses", "pathlib", "json",
                        "configparser", "difflib", "ast", "packaging.utils", "encodings.utf_8_sig",
                        "release_guard.arguments", "release_guard.project.hatch",
                        "release_guard.project.pdm", "release_guard.project.vcs")


def test_the_hook_imports_only_what_it_needs(repo: GitRepo) -> None:
    _project(repo, "1.0.0")
    repo.commit()
    repo.tag("v1.0.0")
    repo.write("src/demo/core.py", "x = 1\n")
    _project(repo, "1.0.1")
    repo.stage()
    probe = ("import sys; before = set(sys.modules); from release_guard import cli; "
             "code = cli.main(['check-version']); "
             "print(code, sorted(set(sys.modules) - before))")
    out = subprocess.run([sys.executable, "-c", probe], cwd=repo.path, capture_output=True, text=True,
                         check=True).stdout
    code, _, imported = out.splitlines()[-1].partition(" ")
    assert code == "0", out
    assert [m for m in NOT_ON_THE_HOOK_PATH if f"'{m}'" in imported] == []
