"""The git plumbing release-guard needs, each a small function over `git` subprocesses."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Sequence
from typing import Any

from release_guard.errors import GitError
from release_guard.record import Record

NULL_SHA = "0" * 40


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("GIT_TERMINAL_PROMPT", "0")
    env["LC_ALL"] = "C"
    return env


def _guard() -> Any:
    """release_guard.interrupt when its handlers are installed (see there), else None."""
    module = sys.modules.get("release_guard.interrupt")
    return module.registry() if module is not None else None


# A process group of its own: setpgid (`process_group=0`, Python 3.11+), not a new session:
# setsid() cost 3 ms a process on the 2-core VM (2.4 ms a git process without, 5.4 ms with).
OWN_GROUP: dict[str, Any] = ({"process_group": 0} if sys.version_info >= (3, 11)
                              else {"start_new_session": True})


def popen(args: Sequence[str], cwd: str, **kwargs: Any) -> subprocess.Popen[Any]:
    """`git ARGS` started in a process group of its own, registered with the interrupt handler
    (release-guard forwards a signal to it: the terminal's Ctrl-C no longer reaches it)."""
    try:
        proc = subprocess.Popen(["git", *args], cwd=cwd, env=_env(), **OWN_GROUP, **kwargs)
    except FileNotFoundError:
        raise GitError("git is not installed or not on PATH", hint="install git") from None
    guard = _guard()
    if guard is not None:
        guard.register(proc)
    return proc


def _done(proc: subprocess.Popen[Any]) -> None:
    guard = _guard()
    if guard is not None:
        guard.unregister(proc)


def run(args: Sequence[str], cwd: str, *, check: bool = True,
        stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run `git ARGS` in `cwd`; a failure becomes a GitError quoting git's own first line."""
    with popen(args, cwd, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
               errors="surrogateescape") as started:
        out, err = started.communicate(stdin)
    _done(started)
    proc = subprocess.CompletedProcess(started.args, started.returncode, out, err)
    if check and proc.returncode != 0:
        first = (proc.stderr.strip().splitlines() or [f"exit code {proc.returncode}"])[0]
        raise GitError(f"git {' '.join(args)} failed in {cwd}: {first}",
                       hint="check the repository state (git status)")
    return proc


class Repo(Record):
    """A git work tree: its top-level directory and the project's path inside it."""

    _fields = ("top", "prefix", "has_commits", "head", "shallow")
    __slots__ = _fields
    top: str
    prefix: str  # "" or "sub/dir/" — where the project directory sits in the repository
    has_commits: bool
    head: str  # HEAD's commit ("" before the first commit)
    shallow: bool  # a shallow clone: older history (and the tags on it) is missing

    def __init__(self, top: str, prefix: str, has_commits: bool, head: str = "",
                 shallow: bool = False) -> None:
        self._set(top, prefix, has_commits, head, shallow)


class NoRepository(GitError):
    """Raised when the directory is in no git repository at all (the checks that need
    no git can still run on the files on disk)."""


SHALLOW_HINT = ("fetch the history and the tags: git fetch --tags --unshallow (GitHub Actions: "
                "actions/checkout with fetch-depth: 0)")


def open_repo(directory: str) -> Repo:
    """The repository `directory` is in; a missing directory or no repository is a GitError."""
    return _open_repo(directory, with_tags=False)[0]


def open_repo_and_tags(directory: str) -> tuple[Repo, list[str]]:
    """open_repo, and the name of every tag (none before the first commit), from the same git
    process: the commit hook saves a `for-each-ref` (a process: 2 ms of CPU)."""
    return _open_repo(directory, with_tags=True)


def _open_repo(directory: str, with_tags: bool) -> tuple[Repo, list[str]]:
    if not os.path.isdir(directory):
        raise GitError(f"{directory}: no such directory",
                       hint="pass the project's directory with --project DIR")
    # one process for all four facts: --is-shallow-repository only tests for $GIT_DIR/shallow.
    # With the tags, HEAD cannot be --verify'd (one argument only): `--` ends the arguments
    # (and is echoed last), and an unborn HEAD fails the same way. `--symbolic --tags` gives
    # each tag's name below refs/tags/, as `for-each-ref --format=%(refname:strip=2)` does
    # (`--symbolic-full-name` would look every name up again: 2.4 ms of CPU for 50 tags).
    args = ["rev-parse", "--show-toplevel", "--show-prefix", "--is-shallow-repository"]
    args += ["HEAD", "--symbolic", "--tags", "--"] if with_tags else ["--verify", "-q", "HEAD"]
    proc = run(args, directory, check=False)
    lines = proc.stdout.splitlines()
    if proc.returncode == 0 and (len(lines) >= 5 and lines[-1] == "--" if with_tags else len(lines) == 4):
        return Repo(lines[0], lines[1], True, lines[3], lines[2] == "true"), lines[4:-1]
    probe = run(["rev-parse", "--show-toplevel", "--show-prefix"], directory, check=False)
    if probe.returncode != 0:
        bare = run(["rev-parse", "--is-bare-repository"], directory, check=False).stdout.strip()
        if bare == "true":
            raise GitError(f"{directory} is a bare repository: it has no files to check",
                           hint="run release-guard in a clone with a work tree")
        raise NoRepository(
            f"{directory} is not inside a git repository",
            hint="run release-guard inside your project's git checkout (or `git init` first)",
        )
    top, *rest = probe.stdout.splitlines()
    return Repo(top, rest[0] if rest else "", False), []


def require_commits(repo: Repo, hint: str = "make a first commit (git commit)") -> None:
    if not repo.has_commits:
        raise GitError(f"{repo.top} has no commits yet", hint=hint)


EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


class Background:
    """A git command started now and read later: the hook's git calls overlap each other
    and the Python work in between (measured with the five calls of 2026-11-26: 7.8 ms one
    after another, 5.4 ms at once)."""

    def __init__(self, args: Sequence[str], cwd: str, hint: str) -> None:
        self._args, self._cwd, self._hint = args, cwd, hint
        self._done: tuple[str, str] | None = None
        self._proc = popen(args, cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           errors="surrogateescape")

    def wait(self) -> tuple[str, str]:
        """Reap the process (once) whether or not its output is wanted."""
        if self._done is None:
            self._done = self._proc.communicate()
            _done(self._proc)
        return self._done

    def output(self) -> str:
        out, err = self.wait()
        if self._proc.returncode != 0:
            first = (err.strip().splitlines() or [f"exit code {self._proc.returncode}"])[0]
            raise GitError(f"git {' '.join(self._args)} failed in {self._cwd}: {first}", hint=self._hint)
        return out


def start_changed_files(repo: Repo, state: str, since: str | None = None) -> Background:
    """Repository-relative paths that differ between `since` and a state (see `paths`).

    `state` is "staged" (the index), "worktree", or a revision. Without `since`, the
    comparison is with HEAD (or the revision's first parent; the empty tree for a root).
    """
    args = ["diff", "--name-only", "-z", "--no-renames"]
    if state == "staged":
        args += ["--cached", since or ("HEAD" if repo.has_commits else EMPTY_TREE)]
    elif state == "worktree":
        args.append(since or ("HEAD" if repo.has_commits else EMPTY_TREE))
    else:
        parent = rev_parse(repo, f"{state}^")
        args += [since or parent or EMPTY_TREE, state]
    return Background(args, repo.top, "check the repository state (git status)")


def paths(output: str) -> list[str]:
    return [p for p in output.split("\0") if p]


def start_reachable_tags(repo: Repo, merged: str) -> Background:
    """The tags reachable from `merged`, one a line. git walks the history for it: 4 ms of
    CPU on 500 commits, so the commit hook asks only when the answer can matter."""
    return Background(["for-each-ref", "--format=%(refname:strip=2)", f"--merged={merged}", "refs/tags"],
                      repo.top, f"check that {merged!r} names a commit")


def rev_parse(repo: Repo, rev: str) -> str | None:
    proc = run(["rev-parse", "--verify", "-q", f"{rev}^{{commit}}"], repo.top, check=False)
    return proc.stdout.strip() if proc.returncode == 0 else None


def resolve_commit(repo: Repo, rev: str) -> str:
    sha = rev_parse(repo, rev) if rev.strip() else None
    if sha is None:
        raise GitError(f"{rev!r} is not a commit in {repo.top}",
                       hint="give a branch, tag or commit that exists (git log --oneline)")
    return sha


def peel_commits(repo: Repo, revs: Sequence[str]) -> dict[str, str | None]:
    """{rev: the commit it names, or None}, for many revisions in one git process."""
    specs = [f"{rev}^{{commit}}" for rev in revs if "\n" not in rev]
    proc = run(["cat-file", "--batch-check"], repo.top, stdin="\n".join(specs) + "\n")
    found: dict[str, str | None] = dict.fromkeys(revs)
    answers = proc.stdout.splitlines()  # one line a spec, in order; fewer if git failed
    for rev, line in zip([r for r in revs if "\n" not in r], answers, strict=False):
        parts = line.split()
        found[rev] = parts[0] if len(parts) == 3 and parts[1] == "commit" else None
    return found


def merge_base(repo: Repo, a: str, b: str = "HEAD", names: tuple[str, str] | None = None) -> str:
    """The merge-base of `a` and `b`; `names` are how the message calls them (`--base main`)."""
    proc = run(["merge-base", a, b], repo.top, check=False)
    if proc.returncode != 0:
        shown_a, shown_b = names or (repr(a), repr(b))
        if repo.shallow:
            raise GitError(f"{shown_a} and {shown_b} have no common ancestor in this shallow clone "
                           f"({repo.top}): the history between them was not fetched", hint=SHALLOW_HINT)
        raise GitError(f"{shown_a} and {shown_b} have no common ancestor in {repo.top}",
                       hint="fetch the base branch first (git fetch origin main)")
    return proc.stdout.strip()


def start_unmerged(repo: Repo) -> Background:
    """The paths with unresolved merge conflicts (see `unmerged_paths`)."""
    return Background(["ls-files", "-u", "-z", "--full-name"], repo.top,
                      "check the repository state (git status)")


def unmerged_paths(output: str) -> list[str]:
    """Repository-relative paths from `git ls-files -u -z`, each once, in order."""
    found: dict[str, None] = {}
    for entry in output.split("\0"):
        if "\t" in entry:
            found[entry.split("\t", 1)[1]] = None
    return list(found)


class BlobReader:
    """Reads many `REV:path` blobs through one `git cat-file --batch` process."""

    def __init__(self, top: str) -> None:
        self._top = top
        self._proc: subprocess.Popen[bytes] | None = None

    def _start(self) -> subprocess.Popen[bytes]:
        if self._proc is None:
            self._proc = popen(["cat-file", "--batch"], self._top, stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        return self._proc

    def read(self, spec: str) -> bytes | None:
        """The blob named `spec` (e.g. `HEAD:pyproject.toml`, `:setup.cfg`), None if absent."""
        found = self._object(spec)
        return found[2] if found is not None and found[1] == b"blob" else None

    def tag_target(self, tag: str) -> str | None:
        """What the tag names, as `for-each-ref`'s `%(*objectname)` or else `%(objectname)`
        gives it: the object an annotated tag points at, a lightweight tag's own object
        (the commit, for a release tag); None when there is no such tag."""
        found = self._object(f"refs/tags/{tag}")
        if found is None:
            return None
        sha, kind, data = found
        first = data.split(b"\n", 1)[0]  # a tag object starts with `object <name>`
        return (first[7:] if kind == b"tag" and first.startswith(b"object ") else sha).decode("ascii")

    def _object(self, spec: str) -> tuple[bytes, bytes, bytes] | None:
        """(object name, type, content) of the object `spec` names, None if there is none."""
        if "\n" in spec:
            return None
        proc = self._start()
        assert proc.stdin is not None
        assert proc.stdout is not None
        proc.stdin.write(os.fsencode(spec) + b"\n")
        proc.stdin.flush()
        header = proc.stdout.readline().split()
        if len(header) < 3 or header[-1] in (b"missing", b"ambiguous"):
            return None
        size = int(header[2])
        data = proc.stdout.read(size)
        proc.stdout.read(1)  # the newline after each object
        return header[0], header[1], data

    def close(self) -> None:
        """End the cat-file process (it exits when its input closes) and close its pipes."""
        proc, self._proc = self._proc, None
        if proc is not None:
            if proc.stdin is not None:
                proc.stdin.close()
            proc.wait()
            _done(proc)
            if proc.stdout is not None:
                proc.stdout.close()

    def __del__(self) -> None:
        # a tree that made its own reader has no one to close it: without this, each such
        # reader left two pipes open until exit (1024 of them broke select() in a long run)
        with contextlib.suppress(OSError, ValueError):
            self.close()


def entry_mode(repo: Repo, rev: str, path: str) -> str | None:
    """The mode git records for repository-relative `path` (`100644`, `120000` for a
    symlink, ...) at revision `rev`, or in the index when `rev` is ``""``; None if absent."""
    args = ["ls-tree", "-z", rev, "--", path] if rev else ["ls-files", "-s", "-z", "--", path]
    proc = run(["--literal-pathspecs", *args], repo.top, check=False)
    entry = proc.stdout.split("\0", 1)[0]
    return entry.split(" ", 1)[0] if proc.returncode == 0 and "\t" in entry else None
