"""Input release-guard cannot work with: exit 2, one stderr line with a hint, never a traceback."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conftest import GitRepo, need

PREFIX = "release-guard: error: "


def assert_one_line_error(result: Any, *fragments: str) -> str:
    """Exit 2, nothing on stdout, exactly one stderr line with a hint; returns the line."""
    assert result.code == 2, (result.out, result.err)
    assert result.out == ""
    assert result.err.endswith("\n")
    assert result.err.count("\n") == 1, result.err
    line: str = result.err.rstrip("\n")
    assert line.startswith(PREFIX)
    assert "(hint: " in line
    assert line.endswith(")")
    assert "Traceback" not in line
    for fragment in fragments:
        assert fragment in line
    return line


def write(directory: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        target = directory / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content)
    return directory


STATIC = '[project]\nname = "demo"\nversion = "1.0.0"\n'


def test_toml_syntax_error_names_line_and_column(tmp_path: Path, cli: Any) -> None:
    write(tmp_path, {"pyproject.toml": '[project]\nname = "demo"\nversion = 1.0.0\n'})
    line = assert_one_line_error(cli("version", cwd=tmp_path), "pyproject.toml: invalid TOML: ")
    assert "(at line 3, column 14)" in line
    assert line.endswith("(hint: fix the syntax in pyproject.toml at the place given)")


def test_toml_error_in_a_committed_file(repo: GitRepo, cli: Any) -> None:
    repo.write("pyproject.toml", '[project\nname = "demo"\n')
    sha = repo.commit()
    repo.write("pyproject.toml", STATIC)
    line = assert_one_line_error(cli("version", "--ref", "HEAD", cwd=repo.path))
    assert line.startswith(f"{PREFIX}{sha}:pyproject.toml: invalid TOML: ")
    assert "line 1, column 9" in line


@pytest.mark.parametrize("text", [
    '[project]\nname = "demo"\n',  # a name, but no version and no dynamic source
    '[project]\nname = "demo"\ndynamic = ["version"]\n',  # dynamic, but from nowhere
], ids=["no-version", "dynamic-from-nowhere"])
def test_no_version_source(tmp_path: Path, cli: Any, text: str) -> None:
    write(tmp_path, {"pyproject.toml": text})
    line = assert_one_line_error(cli("version", cwd=tmp_path))
    assert line == (f"{PREFIX}pyproject.toml: declares no version ([project] version, [tool.poetry] version, "
                    "setup.cfg [metadata] version, or a dynamic source) (hint: add version = \"0.1.0\" to "
                    "[project] in pyproject.toml)")


def test_no_project_table(tmp_path: Path, cli: Any) -> None:
    """No name and no version (B4): never judged as setuptools' UNKNOWN 0.0.0."""
    write(tmp_path, {"pyproject.toml": '[tool.black]\nline-length = 100\n'})
    line = assert_one_line_error(cli("version", cwd=tmp_path))
    assert line == (f"{PREFIX}pyproject.toml: declares no name/version ([project] name and version, "
                    "[tool.poetry], setup.cfg [metadata] or setup.py) (hint: add [project] with "
                    "name = \"...\" and version = \"0.1.0\" to pyproject.toml)")


def test_no_project_files_at_all(tmp_path: Path, cli: Any) -> None:
    assert_one_line_error(cli("version", cwd=tmp_path), "no pyproject.toml, setup.cfg or setup.py in the "
                          "working tree", "(hint: run release-guard in the project's directory")


def test_unreadable_file_symlink_loop(tmp_path: Path, cli: Any) -> None:
    """A file that exists but cannot be read (ELOOP works as root too, unlike chmod 000)."""
    (tmp_path / "pyproject.toml").symlink_to("pyproject.toml")
    line = assert_one_line_error(cli("version", cwd=tmp_path), "pyproject.toml: cannot be read (")
    assert "check the file's permissions" in line


def test_unreadable_file_a_socket(tmp_path: Path, cli: Any) -> None:
    """Another errno through the same path, as root too (root reads a chmod 000 file, so
    EACCES itself is not exercised: README, "Run the tests")."""
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(tmp_path / "pyproject.toml"))
        line = assert_one_line_error(cli("version", cwd=tmp_path), "pyproject.toml: cannot be read (")
    assert "No such device or address" in line
    assert "check the file's permissions" in line


def test_non_utf8_pyproject(tmp_path: Path, cli: Any) -> None:
    write(tmp_path, {"pyproject.toml": '[project]\nname = "caf\xe9"\nversion = "1"\n'.encode("latin-1")})
    line = assert_one_line_error(cli("version", cwd=tmp_path))
    assert line == f"{PREFIX}pyproject.toml: not valid UTF-8 (byte 21) (hint: save pyproject.toml as UTF-8)"


def test_utf8_bom_in_pyproject_is_refused(tmp_path: Path, cli: Any) -> None:
    """pip, build and tomllib refuse a BOM in pyproject.toml (B5); other files may have one."""
    write(tmp_path, {"pyproject.toml": b"\xef\xbb\xbf" + STATIC.encode()})
    line = assert_one_line_error(cli("version", cwd=tmp_path))
    assert line == (f"{PREFIX}pyproject.toml: starts with a UTF-8 byte order mark, which pip and build "
                    "refuse (hint: save pyproject.toml as UTF-8 without a BOM)")


def test_non_utf8_version_module(tmp_path: Path, cli: Any) -> None:
    write(tmp_path, {"setup.cfg": "[metadata]\nname = demo\nversion = attr: demo.__version__\n",
                     "demo/__init__.py": b'# \xff\n__version__ = "1.0"\n'})
    assert_one_line_error(cli("version", cwd=tmp_path), "demo/__init__.py: not valid UTF-8 (byte 2)")


def test_invalid_setup_cfg(tmp_path: Path, cli: Any) -> None:
    write(tmp_path, {"setup.cfg": "[metadata]\nname = x\n[metadata]\nversion = 1\n"})
    assert_one_line_error(cli("version", cwd=tmp_path), "setup.cfg: invalid setup.cfg: ",
                          "section 'metadata' already exists")


def test_invalid_python_in_version_module(tmp_path: Path, cli: Any) -> None:
    write(tmp_path, {"setup.cfg": "[metadata]\nname = x\nversion = attr: x.__version__\n",
                     "x/__init__.py": '"""Doc."""\n\ndef broken(:\n'})
    assert_one_line_error(cli("version", cwd=tmp_path), "x/__init__.py:3: invalid Python: ")


def test_version_not_a_string(tmp_path: Path, cli: Any) -> None:
    write(tmp_path, {"pyproject.toml": '[project]\nname = "x"\nversion = 1\n'})
    line = assert_one_line_error(cli("version", cwd=tmp_path))
    assert line == (f"{PREFIX}pyproject.toml:3: [project] version must be a string, got 1 "
                    "(hint: write it as version = \"1.2.3\")")


@pytest.mark.parametrize(("files", "message"), [
    ({"pyproject.toml": '[project]\nname = "x"\ndynamic = ["version"]\n\n'
                        '[tool.hatch.version]\npath = "gone.py"\n'},
     "pyproject.toml:6: [tool.hatch.version] path gone.py does not exist "
     "(hint: create gone.py or fix the path)"),
    ({"setup.cfg": "[metadata]\nname = x\nversion = file: VERSION\n"},
     "setup.cfg:3: the version file VERSION does not exist "
     "(hint: create VERSION or fix the path in setup.cfg)"),
    ({"pyproject.toml": '[project]\nname = "x"\ndynamic = ["version"]\n\n'
                        '[tool.setuptools.dynamic]\nversion = {file = ["missing.txt"]}\n'},
     "pyproject.toml:6: the version file missing.txt does not exist"),
    ({"pyproject.toml": '[build-system]\nbuild-backend = "maturin"\n\n[project]\nname = "x"\n'
                        'dynamic = ["version"]\n', "Cargo.toml": "[package\n"},
     "Cargo.toml: invalid TOML: "),
], ids=["hatch-path", "setup-cfg-file", "setuptools-file", "cargo-toml"])
def test_missing_or_broken_version_file(tmp_path: Path, cli: Any, files: dict[str, str | bytes],
                                        message: str) -> None:
    write(tmp_path, files)
    assert_one_line_error(cli("version", cwd=tmp_path), PREFIX + message)


# --- git --------------------------------------------------------------------------------

def test_check_version_ref_head_without_commits(repo: GitRepo, cli: Any) -> None:
    repo.write("pyproject.toml", STATIC)
    for command in ("check-version", "version"):
        line = assert_one_line_error(cli(command, "--ref", "HEAD", cwd=repo.path))
        assert line == (f"{PREFIX}{repo.path} has no commits yet (hint: make a first commit (git commit), "
                        "or read the files on disk with --worktree)")


@pytest.fixture
def no_git_above(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """git must not find a repository in a directory above the temporary one."""
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))


@pytest.mark.usefixtures("no_git_above")
def test_check_version_outside_a_git_repository(tmp_path: Path, cli: Any) -> None:
    write(tmp_path, {"pyproject.toml": STATIC})
    line = assert_one_line_error(cli("check-version", cwd=tmp_path))
    assert line == (f"{PREFIX}. is not inside a git repository (hint: run release-guard inside your "
                    "project's git checkout (or `git init` first))")
    assert_one_line_error(cli("version", "--staged", cwd=tmp_path), "is not inside a git repository")


def test_ref_that_does_not_exist(repo: GitRepo, cli: Any) -> None:
    repo.write("pyproject.toml", STATIC)
    repo.commit()
    for command in ("version", "check-version"):
        line = assert_one_line_error(cli(command, "--ref", "no-such-branch", cwd=repo.path))
        assert line == (f"{PREFIX}'no-such-branch' is not a commit in {repo.path} (hint: give a branch, tag "
                        "or commit that exists (git log --oneline))")
    assert_one_line_error(cli("version", "--ref", "HEAD:pyproject.toml", cwd=repo.path), "is not a commit")


def test_project_file_missing_at_ref(repo: GitRepo, cli: Any) -> None:
    repo.write("README.md", "no project yet\n")
    repo.commit()
    repo.write("pyproject.toml", STATIC)
    assert_one_line_error(cli("version", "--ref", "HEAD", cwd=repo.path),
                          "no pyproject.toml, setup.cfg or setup.py")


def test_base_that_does_not_exist(repo: GitRepo, cli: Any) -> None:
    repo.write("pyproject.toml", STATIC)
    repo.commit()
    assert_one_line_error(cli("check-version", "--ref", "HEAD", "--base", "no-such-base", cwd=repo.path),
                          "'no-such-base'")


# --- configuration ----------------------------------------------------------------------

def committed(repo: GitRepo, text: str) -> GitRepo:
    repo.write("pyproject.toml", text)
    repo.commit()
    return repo


def test_unknown_config_key(repo: GitRepo, cli: Any) -> None:
    committed(repo, STATIC + '\n[tool.release-guard]\ntag_fromat = "v{version}"\n')
    line = assert_one_line_error(cli("check-version", "--ref", "HEAD", cwd=repo.path))
    assert line.startswith(f"{PREFIX}pyproject.toml [tool.release-guard]: unknown key 'tag_fromat' "
                           "(hint: did you mean 'tag-format'? valid keys: tag-format, ")


def test_wrong_config_type(repo: GitRepo, cli: Any) -> None:
    committed(repo, STATIC + "\n[tool.release-guard]\ntag-format = 3\n")
    line = assert_one_line_error(cli("check-version", "--ref", "HEAD", cwd=repo.path))
    assert line == (f"{PREFIX}pyproject.toml [tool.release-guard]: 'tag-format' must be a string, got 3 "
                    "(hint: write it as tag-format = \"...\")")


def test_config_not_a_table(repo: GitRepo, cli: Any) -> None:
    committed(repo, STATIC + '\n[tool]\nrelease-guard = "v{version}"\n')
    assert_one_line_error(cli("check-version", "--ref", "HEAD", cwd=repo.path),
                          "pyproject.toml: [tool.release-guard] must be a table")


def test_config_error_in_subdirectory_names_the_file(repo: GitRepo, cli: Any) -> None:
    repo.write("sub/pyproject.toml", STATIC + "\n[tool.release-guard]\nbump-policy = \"daily\"\n")
    repo.commit()
    assert_one_line_error(cli("check-version", "-C", "sub", "--ref", "HEAD", cwd=repo.path),
                          "sub/pyproject.toml: bump-policy 'daily' is not one of on-change, on-release")


def test_bad_tag_format_flag(repo: GitRepo, cli: Any) -> None:
    committed(repo, STATIC)
    assert_one_line_error(cli("check-version", "--ref", "HEAD", "--tag-format", "release", cwd=repo.path),
                          "tag-format 'release' needs exactly one {version}")


# --- the command line itself ------------------------------------------------------------

@pytest.mark.parametrize(("args", "fragment"), [
    (("frobnicate",), "invalid choice: 'frobnicate'"),
    ((), "the following arguments are required: COMMAND"),
    (("version", "--bogus"), "unrecognized arguments: --bogus"),
    (("version", "--ref"), "argument --ref: expected one argument"),
    (("version", "--ref", "HEAD", "--staged"), "not allowed with argument"),
    (("version", "--format", "xml"), "argument --format: invalid choice: 'xml'"),
    (("check-version", "--bump-policy", "never"), "argument --bump-policy: invalid choice: 'never'"),
], ids=["unknown-subcommand", "no-subcommand", "bad-flag", "missing-value", "exclusive", "bad-format",
        "bad-policy"])
def test_usage_errors_are_one_line(tmp_path: Path, cli: Any, args: tuple[str, ...], fragment: str) -> None:
    line = assert_one_line_error(cli(*args, cwd=tmp_path), fragment)
    assert "(hint: see `release-guard" in line


@pytest.mark.parametrize("command", ["version", "check-version"])
def test_project_directory_missing(tmp_path: Path, cli: Any, command: str) -> None:
    line = assert_one_line_error(cli(command, "--project", "nowhere", cwd=tmp_path))
    assert line == (f"{PREFIX}nowhere: no such directory "
                    "(hint: pass the project's directory with --project DIR)")
    write(tmp_path, {"pyproject.toml": STATIC})
    assert_one_line_error(cli(command, "-C", "pyproject.toml", cwd=tmp_path), "no such directory")


# --- the installed console script -------------------------------------------------------

def console_script() -> str:
    beside_python = str(Path(sys.executable).parent)
    found = shutil.which("release-guard", path=beside_python) or shutil.which("release-guard")
    need(found, "the release-guard console script is not installed")
    return found


@pytest.mark.parametrize(("args", "files", "fragment"), [
    (("version",), {"pyproject.toml": '[project]\nname = "demo"\nversion = 1.0.0\n'}, "invalid TOML"),
    (("frobnicate",), {}, "invalid choice: 'frobnicate'"),
    (("check-version",), {"pyproject.toml": STATIC}, "is not inside a git repository"),
    (("version",), {"pyproject.toml": b'[project]\nname = "\xff"\nversion = "1"\n'}, "not valid UTF-8"),
], ids=["toml", "subcommand", "no-git", "non-utf8"])
@pytest.mark.usefixtures("no_git_above")
def test_console_script_prints_no_traceback(tmp_path: Path, args: tuple[str, ...],
                                            files: dict[str, str | bytes], fragment: str) -> None:
    write(tmp_path, files)
    proc = subprocess.run([console_script(), *args], cwd=tmp_path, capture_output=True, text=True,
                          check=False, timeout=60)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    (line,) = proc.stderr.splitlines()
    assert line.startswith(PREFIX)
    assert fragment in line
    assert "(hint: " in line


# --- found in review: each of these once crashed or misled --------------------------------


def test_a_bug_is_one_line_and_exit_2_not_1(repo: GitRepo, cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Exit 1 means "a check failed": an unexpected exception must never look like one."""
    from release_guard import version_guard

    committed(repo, STATIC)

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("token pypi-SECRET must not be printed")

    monkeypatch.setattr(version_guard, "read_project", broken)
    result = cli("check-version", cwd=repo.path)
    assert_one_line_error(result, f"{PREFIX}internal error: RuntimeError at test_cli_errors.py:")
    assert "RELEASE_GUARD_DEBUG=1" in result.err
    assert "SECRET" not in result.err


def test_non_utf8_file_name_in_the_commit(repo: GitRepo, cli: Any) -> None:
    committed(repo, STATIC)
    repo.tag("v1.0.0")
    (repo.path / "src").mkdir()
    (repo.path / os.fsdecode(b"src/caf\xe9.py")).write_text("x = 1\n")
    repo.stage()
    result = cli("check-version", cwd=repo.path)
    assert result.code == 1, result
    assert result.out.startswith("pyproject.toml:3: RG106 1.0.0 is already released (tag v1.0.0)")


def test_project_option_naming_a_file(tmp_path: Path, cli: Any) -> None:
    (tmp_path / "file.txt").write_text("x")
    for command in ("check-version", "check-tag", "install-hook"):
        assert_one_line_error(cli(command, "-C", str(tmp_path / "file.txt"), cwd=tmp_path),
                              "file.txt: no such directory")


@pytest.mark.parametrize("tag_format", ["{version}-{version}", "{name}{name}-{version}", "v{version}{x}"])
def test_tag_format_with_repeated_or_unknown_placeholders(repo: GitRepo, cli: Any, tag_format: str) -> None:
    committed(repo, STATIC)
    result = cli("check-version", "--tag-format", tag_format, cwd=repo.path)
    assert_one_line_error(result, "needs exactly one {version}, at most one {name}")


def test_hooks_path_pointing_at_a_file(repo: GitRepo, cli: Any) -> None:
    committed(repo, STATIC)
    repo.write("not-a-folder", "x")
    repo.git("config", "core.hooksPath", "not-a-folder")
    assert_one_line_error(cli("install-hook", cwd=repo.path), "not-a-folder",
                          "hint: check core.hooksPath")


def test_bare_repository_is_named_as_such(tmp_path: Path, cli: Any) -> None:
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "init", "-q", "--bare", str(bare)], check=True)
    assert_one_line_error(cli("check-version", cwd=bare), "is a bare repository")


def test_deeply_nested_toml(tmp_path: Path, cli: Any) -> None:
    (tmp_path / "pyproject.toml").write_text("a = " + "[" * 5000 + "]" * 5000 + "\n")
    assert_one_line_error(cli("version", cwd=tmp_path), "nested too deeply")


CONTROL = ("\r", "\x1b", "\x07", "\x9b")


def test_control_characters_from_the_project_are_shown_escaped(tmp_path: Path, cli: Any) -> None:
    """A project's value with a CR or a terminal escape (TOML allows both) cannot rewrite the
    line the user reads, nor drive the terminal: the one error line shows it escaped."""
    write(tmp_path, {"pyproject.toml": '[project]\nname = "demo"\ndynamic = ["version"]\n'
                     '[tool.hatch.version]\npath = "a\\rrelease-guard: ok\\u001b[2K"\n'})
    line = assert_one_line_error(cli("version", cwd=tmp_path),
                                 "path a\\rrelease-guard: ok\\x1b[2K does not exist")
    assert not any(c in line for c in CONTROL)


def test_control_characters_in_file_names_stay_on_the_findings_line(repo: GitRepo, cli: Any) -> None:
    """git keeps a file name with a line break or an escape; an RG106 finding that lists it
    is still one line, with the characters escaped."""
    repo.write("pyproject.toml", '[project]\nname = "demo"\nversion = "1.0"\n')
    repo.write("src/demo/__init__.py", "")
    repo.commit()
    repo.tag("v1.0")
    repo.write("src/demo/a\nRG000 all good\x1b[2K.py", "")
    repo.stage()
    result = cli("check-version", cwd=repo.path)
    assert result.code == 1, result
    head, hint = result.out.splitlines()
    assert "src/demo/a\\nRG000 all good\\x1b[2K.py" in head
    assert hint.startswith("  hint: ")
    assert not any(c in result.out for c in CONTROL)


def test_control_characters_in_the_version_command(tmp_path: Path, cli: Any) -> None:
    write(tmp_path, {"pyproject.toml": '[project]\nname = "demo\\u001b[31m"\nversion = "1.0\\r"\n'})
    result = cli("version", cwd=tmp_path)
    assert result.code == 0, result
    assert "demo\\x1b[31m" in result.out
    assert not any(c in result.out for c in CONTROL)
