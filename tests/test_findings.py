"""Findings and their three renderings: text, JSON, GitHub workflow commands."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from conftest import GitRepo
from release_guard.findings import (
    Finding,
    choose_format,
    exit_code,
    render,
    render_github,
    render_json,
    render_text,
    use_color,
)

INVALID = Finding("RG101", "version 'x' is not valid PEP 440", "pyproject.toml", 3, "use '1.0'")
NO_LINE = Finding("RG104", "version '1' differs", "setup.cfg", None, "make both say '2'")
NO_PATH = Finding("RG999", "something general")
WARNING = Finding("RG300", "careful", "dist/a.whl", None, "", "warning")
INFO = Finding("RG100", "derived from VCS tags", "pyproject.toml", None, "tag it", "info")


def test_location() -> None:
    assert INVALID.location() == "pyproject.toml:3"
    assert NO_LINE.location() == "setup.cfg"
    assert NO_PATH.location() == ""


def test_text_exact() -> None:
    assert render_text([INVALID, NO_LINE, NO_PATH, WARNING, INFO]) == (
        "pyproject.toml:3: RG101 version 'x' is not valid PEP 440\n"
        "  hint: use '1.0'\n"
        "setup.cfg: RG104 version '1' differs\n"
        "  hint: make both say '2'\n"
        "RG999 something general\n"
        "dist/a.whl: RG300 warning: careful\n"
        "pyproject.toml: RG100 info: derived from VCS tags\n"
        "  hint: tag it\n"
    )
    assert render_text([]) == ""


def test_text_colour_marks_only_the_code() -> None:
    assert render_text([INVALID, INFO], color=True) == (
        "pyproject.toml:3: \033[31mRG101\033[0m version 'x' is not valid PEP 440\n"
        "  hint: use '1.0'\n"
        "pyproject.toml: \033[36mRG100\033[0m info: derived from VCS tags\n"
        "  hint: tag it\n"
    )
    assert "\033[33mRG300\033[0m" in render_text([WARNING], color=True)


def test_json_document() -> None:
    text = render_json([INVALID, INFO], project="demo")
    assert text.endswith("}\n")
    assert json.loads(text) == {
        "project": "demo",
        "exit_code": 1,
        "findings": [
            {"code": "RG101", "message": "version 'x' is not valid PEP 440", "path": "pyproject.toml",
             "line": 3, "hint": "use '1.0'", "severity": "error"},
            {"code": "RG100", "message": "derived from VCS tags", "path": "pyproject.toml", "line": None,
             "hint": "tag it", "severity": "info"},
        ],
    }
    assert json.loads(render_json([])) == {"exit_code": 0, "findings": []}
    assert json.loads(render_json([WARNING]))["exit_code"] == 0


def test_github_exact_and_escaped() -> None:
    nasty = Finding("RG101", "50% done\r\nnext: a,b", "dir,x/a:b%.py", 7, "use 'y'\nnow")
    assert render_github([INVALID, nasty, NO_PATH, WARNING, INFO]) == (
        "::error file=pyproject.toml,line=3,title=RG101::version 'x' is not valid PEP 440 "
        "(hint: use '1.0')\n"
        "::error file=dir%2Cx/a%3Ab%25.py,line=7,title=RG101::50%25 done%0D%0Anext: a,b "
        "(hint: use 'y'%0Anow)\n"
        "::error title=RG999::something general\n"
        "::warning file=dist/a.whl,title=RG300::careful\n"
        "::notice file=pyproject.toml,title=RG100::derived from VCS tags (hint: tag it)\n"
    )


def test_render_dispatch() -> None:
    findings = [INVALID]
    assert render(findings, "text") == render_text(findings)
    assert render(findings, "json") == render_json(findings)
    assert render(findings, "github") == render_github(findings)
    assert render(findings, "text", color=True) == render_text(findings, color=True)


def test_exit_code() -> None:
    assert exit_code([]) == 0
    assert exit_code([WARNING, INFO]) == 0
    assert exit_code([INFO, INVALID]) == 1
    assert exit_code(iter([INVALID])) == 1


@pytest.mark.parametrize(("requested", "environ", "expected"), [
    (None, {}, "text"),
    (None, {"GITHUB_ACTIONS": "true"}, "github"),
    (None, {"GITHUB_ACTIONS": "false"}, "text"),
    (None, {"GITHUB_ACTIONS": "1"}, "text"),
    ("json", {"GITHUB_ACTIONS": "true"}, "json"),
    ("text", {"GITHUB_ACTIONS": "true"}, "text"),
    ("github", {}, "github"),
])
def test_choose_format(requested: str | None, environ: dict[str, str], expected: str) -> None:
    assert choose_format(requested, environ) == expected


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_only_on_a_tty_and_never_with_no_color() -> None:
    assert use_color(Tty(), {}) is True
    assert use_color(io.StringIO(), {}) is False
    assert use_color(Tty(), {"NO_COLOR": "1"}) is False
    assert use_color(Tty(), {"NO_COLOR": ""}) is False  # set, even empty
    assert use_color(object(), {}) is False  # type: ignore[arg-type]


# --- through the CLI --------------------------------------------------------------------

@pytest.fixture
def unbumped(repo: GitRepo) -> GitRepo:
    repo.write("pyproject.toml", '[project]\nname = "demo"\nversion = "0.1.2"\n')
    repo.commit("release 0.1.2")
    repo.tag("v0.1.2")
    repo.write("src/demo/__init__.py", "x = 1\n")
    repo.stage()
    return repo


def test_cli_text(unbumped: GitRepo, cli: Any) -> None:
    result = cli("check-version", cwd=unbumped.path)
    assert result.code == 1
    assert result.out == (
        "pyproject.toml:3: RG106 0.1.2 is already released (tag v0.1.2), but release files change "
        "(src/demo/__init__.py); bump the version\n"
        "  hint: bump the version, e.g. to 0.1.3, 0.2.0, 1.0.0, 0.1.3.dev0\n"
    )


def test_cli_github_under_actions(unbumped: GitRepo, cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    result = cli("check-version", cwd=unbumped.path)
    assert result.code == 1
    assert result.out == (
        "::error file=pyproject.toml,line=3,title=RG106::0.1.2 is already released (tag v0.1.2), but "
        "release files change (src/demo/__init__.py); bump the version (hint: bump the version, e.g. "
        "to 0.1.3, 0.2.0, 1.0.0, 0.1.3.dev0)\n"
    )
    as_json = cli("check-version", "--format", "json", cwd=unbumped.path)
    assert json.loads(as_json.out)["findings"][0]["code"] == "RG106"


def test_cli_ok_line_only_in_text(repo: GitRepo, cli: Any) -> None:
    repo.write("pyproject.toml", '[project]\nname = "demo"\nversion = "0.2.0"\n')
    repo.commit()
    result = cli("check-version", "--ref", "HEAD", cwd=repo.path)
    assert (result.code, result.out) == (0, "release-guard: version 0.2.0 ok (pyproject.toml:3)\n")
    as_json = cli("check-version", "--ref", "HEAD", "--format", "json", cwd=repo.path)
    assert json.loads(as_json.out) == {"exit_code": 0, "findings": []}
    assert cli("check-version", "--ref", "HEAD", "--format", "github", cwd=repo.path).out == ""
