"""The git plumbing release-guard needs, each a small function over `git` subprocesses."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass

from release_guard.errors import GitError

NULL_SHA = "0" * 40


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("GIT_TERMINAL_PROMPT", "0")
    env["LC_ALL"] = "C"
    return env


def run(args: Sequence[str], cwd: str, *, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run `git ARGS` in `cwd`; a failure becomes a GitError quoting git's own first line."""
    try:
        proc = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, env=_env(), check=False
        )
    except FileNotFoundError:
        raise GitError("git is not installed or not on PATH", hint="install git") from None
    if check and proc.returncode != 0:
        first = (proc.stderr.strip().splitlines() or [f"exit code {proc.returncode}"])[0]
        raise GitError(f"git {' '.join(args)} failed in {cwd}: {first}",
                       hint="check the repository state (git status)")
    return proc


@dataclass(frozen=True)
class Repo:
    """A git work tree: its top-level directory and the project's path inside it."""

    top: str
    prefix: str  # "" or "sub/dir/" — where the project directory sits in the repository
    has_commits: bool


def open_repo(directory: str) -> Repo:
    proc = run(["rev-parse", "--show-toplevel", "--show-prefix", "--verify", "-q", "HEAD"],
               directory, check=False)
    lines = proc.stdout.splitlines()
    if proc.returncode == 0 and len(lines) >= 2:
        return Repo(lines[0], lines[1] if len(lines) > 2 else "", True)
    probe = run(["rev-parse", "--show-toplevel", "--show-prefix"], directory, check=False)
    if probe.returncode != 0:
        raise GitError(
            f"{directory} is not inside a git repository",
            hint="run release-guard inside your project's git checkout (or `git init` first)",
        )
    top, *rest = probe.stdout.splitlines()
    return Repo(top, rest[0] if rest else "", False)


def require_commits(repo: Repo) -> None:
    if not repo.has_commits:
        raise GitError(
            f"{repo.top} has no commits yet",
            hint="make a first commit (git commit), or read the working tree with --worktree",
        )


EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


def changed_files(repo: Repo, state: str, since: str | None = None) -> list[str]:
    """Repository-relative paths that differ between `since` and a state.

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
    out = run(args, repo.top).stdout
    return [p for p in out.split("\0") if p]


def tags_pair(repo: Repo, merged: str) -> tuple[dict[str, str], list[str]]:
    """({every tag: its commit}, tags reachable from `merged`), two git calls side by side."""
    base = ["git", "for-each-ref", "--format=%(refname:strip=2) %(objectname) %(*objectname)"]
    procs = [
        subprocess.Popen([*base, "refs/tags"], cwd=repo.top, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=_env()),
        subprocess.Popen([*base, f"--merged={merged}", "refs/tags"], cwd=repo.top,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env()),
    ]
    outs = []
    for proc in procs:
        out, err = proc.communicate()
        if proc.returncode != 0:
            raise GitError(f"git for-each-ref failed in {repo.top}: {err.strip()}",
                           hint=f"check that {merged!r} names a commit")
        outs.append(out.splitlines())
    commits = {}
    for line in outs[0]:
        name, sha, *peeled = line.split()
        commits[name] = peeled[0] if peeled else sha  # an annotated tag's commit is the peeled one
    return commits, [line.split()[0] for line in outs[1] if line.strip()]


def rev_parse(repo: Repo, rev: str) -> str | None:
    proc = run(["rev-parse", "--verify", "-q", f"{rev}^{{commit}}"], repo.top, check=False)
    return proc.stdout.strip() if proc.returncode == 0 else None


def resolve_commit(repo: Repo, rev: str) -> str:
    sha = rev_parse(repo, rev) if rev.strip() else None
    if sha is None:
        raise GitError(f"{rev!r} is not a commit in {repo.top}",
                       hint="give a branch, tag or commit that exists (git log --oneline)")
    return sha


def merge_base(repo: Repo, a: str, b: str = "HEAD") -> str:
    proc = run(["merge-base", a, b], repo.top, check=False)
    if proc.returncode != 0:
        raise GitError(f"{a!r} and {b!r} have no common ancestor in {repo.top}",
                       hint="fetch the base branch first (git fetch origin main)")
    return proc.stdout.strip()


class BlobReader:
    """Reads many `REV:path` blobs through one `git cat-file --batch` process."""

    def __init__(self, top: str) -> None:
        self._top = top
        self._proc: subprocess.Popen[bytes] | None = None

    def _start(self) -> subprocess.Popen[bytes]:
        if self._proc is None:
            self._proc = subprocess.Popen(
                ["git", "cat-file", "--batch"], cwd=self._top, stdin=subprocess.PIPE,
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=_env(),
            )
        return self._proc

    def read(self, spec: str) -> bytes | None:
        """The blob named `spec` (e.g. `HEAD:pyproject.toml`, `:setup.cfg`), None if absent."""
        if "\n" in spec:
            return None
        proc = self._start()
        assert proc.stdin is not None
        assert proc.stdout is not None
        proc.stdin.write(spec.encode() + b"\n")
        proc.stdin.flush()
        header = proc.stdout.readline().split()
        if len(header) < 3 or header[-1] in (b"missing", b"ambiguous"):
            return None
        size = int(header[2])
        data = proc.stdout.read(size)
        proc.stdout.read(1)  # the newline after each object
        return data if header[1] == b"blob" else None

    def close(self) -> None:
        if self._proc is not None:
            assert self._proc.stdin is not None
            self._proc.stdin.close()
            self._proc.wait()
            if self._proc.stdout is not None:
                self._proc.stdout.close()
            self._proc = None
