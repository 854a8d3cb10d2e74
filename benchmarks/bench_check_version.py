#!/usr/bin/env python3
"""Wall-clock benchmark of `release-guard check-version` (the version-bump pre-commit hook).

By default it first builds the environment pre-commit would build for the hook, in a
temporary directory: `python -m venv hookenv`, then `hookenv/bin/pip install` of this
checkout (not editable; offline from the repository's .wheelhouse/ when there is one) and
`pip install check-bump` (the peer) into the same venv. `--python PATH` times an existing
interpreter's environment instead. Nothing is cached across runs but pip's own cache.

It then builds a sample repository (a PEP 621 project, 500 commits, 50 release tags, HEAD
bumped to 0.0.51, a staged change under src/) and times, interleaved round-robin in one run,
each with the hook environment's interpreter:

* ``python -c pass``                bare interpreter startup (for information)
* floor: ``python -c "import tomllib, packaging.version; import subprocess;
  subprocess.run(['git','cat-file','--batch'], input=b'HEAD:pyproject.toml\\n', capture_output=True)"``
  what any version check in Python must do: its two imports and one git process
* ``release-guard check-version``   the hook, as pre-commit runs it
* ``check-bump toml``               a peer doing less work (one file, HEAD^ only)

Budget (from the issue): median wall of release-guard <= 1.3x the floor and <= 0.6x the
peer. The script reports; it asserts nothing (exit 0 whether or not a budget holds, 2 when
it cannot run).

    python benchmarks/bench_check_version.py [--runs N] [--json] [--keep]
    ... --python .venv/bin/python     # time that interpreter's environment, build nothing
    ... --only release-guard          # quick iteration on one command
    ... --profile                     # -X importtime of one run: top 15 imports, and beyond the floor's
    ... --breakdown                   # each git call and import alone, and in-process phases
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from _timing import (
    Command,
    OtherLoad,
    Verdict,
    bench_env,
    bench_parser,
    command_json,
    fail,
    find_tool,
    git,
    json_head,
    machine,
    measured_source,
    parse_checked,
    print_header,
    print_other_load,
    print_table,
    python_facts,
    scratch_dir,
    time_round_robin,
    venv_tool,
)

COMMITS = 500
TAGS = 50
HEAD_VERSION = "0.0.51"
BUDGET_VS_FLOOR = 1.3
BUDGET_VS_PEER = 0.6
EPOCH = 1_700_000_000  # fixed commit dates: the repository is identical from run to run

IDENTITY = "Bench <bench@example.invalid>"
REPO_ROOT = Path(__file__).resolve().parent.parent  # the checkout the hook environment installs
WHEELHOUSE = REPO_ROOT / ".wheelhouse"  # filled by the README's test command (tox commands_pre)
PEER = "check-bump"

# The floor's Python source, after its first import statement (which names tomllib or tomli).
FLOOR_REST = ("packaging.version; import subprocess; subprocess.run(['git','cat-file','--batch'], "
              "input=b'HEAD:pyproject.toml\\n', capture_output=True)")


def floor_code(version: tuple[int, int]) -> str:
    """The floor's `-c` program: tomllib from Python 3.11, tomli (a backport) before."""
    return f"import {'tomllib' if version >= (3, 11) else 'tomli'}, {FLOOR_REST}"


# --------------------------------------------------------------------------- the sample repository


def _pyproject(version: str) -> str:
    return (
        '[build-system]\nrequires = ["setuptools>=68"]\nbuild-backend = "setuptools.build_meta"\n\n'
        f'[project]\nname = "sample"\nversion = "{version}"\n'
        'description = "release-guard benchmark sample"\nrequires-python = ">=3.10"\n'
        'dependencies = ["packaging>=24"]\n\n'
        '[tool.setuptools.packages.find]\nwhere = ["src"]\n'
    )


def _init(version: str) -> str:
    return f'"""The sample package."""\n\n__version__ = "{version}"\n'


def _blob(path: str, text: str) -> bytes:
    data = text.encode()
    return b"M 100644 inline " + path.encode() + b"\n" + b"data %d\n" % len(data) + data + b"\n"


def _data(text: str) -> bytes:
    data = text.encode()
    return b"data %d\n" % len(data) + data + b"\n"


def fast_import_stream(commits: int = COMMITS, tags: int = TAGS) -> bytes:
    """The history as a `git fast-import` stream.

    Commit n (1-based) carries version 0.0.(n // 10 + 1); tag v0.0.k sits on commit 10k - 1
    (odd k annotated, even k lightweight), so the last tag, v0.0.50, is HEAD^ and HEAD
    (commit 500) is the bump to 0.0.51. Between bumps, commits touch src/, tests/ or docs.
    """
    spacing = commits // tags
    out: list[bytes] = []
    for n in range(1, commits + 1):
        version = f"0.0.{n // spacing + 1}"
        when = f"{EPOCH + 60 * n} +0000"
        out.append(b"commit refs/heads/main\nmark :%d\n" % n)
        out.append(f"author {IDENTITY} {when}\ncommitter {IDENTITY} {when}\n".encode())
        bump = n == 1 or n % spacing == 0
        out.append(_data(f"Bump to {version}" if bump else f"Change {n}"))
        if n > 1:
            out.append(b"from :%d\n" % (n - 1))
        if bump:
            out.append(_blob("pyproject.toml", _pyproject(version)))
            out.append(_blob("src/sample/__init__.py", _init(version)))
        if n == 1:
            out.append(_blob("README.md", "# sample\n"))
            out.append(_blob("tests/test_core.py", "def test_value():\n    assert True\n"))
        kind = n % 3
        if kind == 0 or n == 1:
            out.append(_blob("src/sample/core.py", f"VALUE = {n}\n\n\ndef value() -> int:\n"
                                                   "    return VALUE\n"))
        elif kind == 1:
            out.append(_blob("tests/test_core.py", f"def test_value():\n    assert {n} > 0\n"))
        else:
            out.append(_blob("docs/changes.md", f"# Changes\n\n- change {n}\n"))
        out.append(b"\n")
    for k in range(1, tags + 1):
        mark = spacing * k - 1
        name = f"v0.0.{k}"
        if k % 2:  # annotated
            when = f"{EPOCH + 60 * mark + 30} +0000"
            out.append(f"tag {name}\nfrom :{mark}\ntagger {IDENTITY} {when}\n".encode())
            out.append(_data(f"Release {name}\n"))
        else:  # lightweight
            out.append(f"reset refs/tags/{name}\nfrom :{mark}\n\n".encode())
    out.append(b"done\n")
    return b"".join(out)


def build_sample_repo(root: Path, env: dict[str, str]) -> Path:
    repo = root / "sample"
    repo.mkdir()
    git(repo, env, "init", "-q", "-b", "main")
    git(repo, env, "fast-import", "--quiet", "--done", stdin=fast_import_stream())
    git(repo, env, "reset", "-q", "--hard", "main")  # fast-import fills no index or work tree
    # The change a commit is about to make: a release file under src/ (modified and added).
    core = repo / "src" / "sample" / "core.py"
    core.write_text(core.read_text() + "\n\ndef double() -> int:\n    return 2 * VALUE\n")
    (repo / "src" / "sample" / "extra.py").write_text('"""New module."""\n')
    git(repo, env, "add", "src/sample/core.py", "src/sample/extra.py")
    return repo


@dataclass
class RepoFacts:
    commits: int
    tags: int
    annotated_tags: int
    head: str
    staged: list[str]
    build_s: float = 0.0


def describe_repo(repo: Path, env: dict[str, str]) -> RepoFacts:
    kinds = git(repo, env, "for-each-ref", "--format=%(objecttype)", "refs/tags").split()
    return RepoFacts(
        commits=int(git(repo, env, "rev-list", "--count", "HEAD").strip()),
        tags=len(kinds),
        annotated_tags=kinds.count("tag"),
        head=git(repo, env, "log", "-1", "--format=%s").strip(),
        staged=git(repo, env, "diff", "--cached", "--name-only").split(),
    )


# --------------------------------------------------------------------------- the hook environment


@dataclass
class HookEnv:
    """The interpreter whose environment is timed, and how that environment came to be."""

    python: str
    version: tuple[int, int]
    built: bool  # made by this run (False: --python)
    steps: list[str] = field(default_factory=list)  # the commands that built it
    release_guard_from: str = "existing environment (--python)"
    peer: str | None = None  # the check-bump console script; None: unavailable
    peer_problem: str | None = None  # why the peer is unavailable
    notes: list[str] = field(default_factory=list)  # a wheelhouse that did not do, and the like
    packages: dict[str, str | None] = field(default_factory=dict)  # distribution -> version
    setup_s: float = 0.0


def pip_env() -> dict[str, str]:
    """The caller's environment for venv and pip: no active venv, no PYTHON* variables; the
    user's pip configuration and HOME stay, so pip finds its index and its own cache."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PYTHON") and k != "VIRTUAL_ENV"}


def _last_line(proc: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in (proc.stderr + proc.stdout).splitlines()
             if line.strip() and "is ignored: it is neither a file nor a directory" not in line]
    return lines[-1].strip() if lines else f"exit {proc.returncode}"


def pip_install(env_dir: Path, what: str, label: str, hook: HookEnv) -> tuple[str | None, str]:
    """`hookenv/bin/pip install WHAT`: from the wheelhouse alone when there is one, else (or
    if that fails) from the normal index. Returns (where it came from, None if it failed; the
    last error line)."""
    pip = str(env_dir / "bin" / "pip")
    attempts: list[tuple[str, list[str]]] = []
    if WHEELHOUSE.is_dir():
        attempts.append((f"{WHEELHOUSE} (--no-index)", ["--no-index", "--find-links", str(WHEELHOUSE)]))
    attempts.append(("the index (pip's configuration)", []))
    error = ""
    for source, extra in attempts:
        argv = [pip, "install", "--disable-pip-version-check", "-q", *extra, what]
        hook.steps.append(shlex.join(argv))
        proc = subprocess.run(argv, env=pip_env(), capture_output=True, text=True, check=False)
        if proc.returncode == 0:
            return source, ""
        error = _last_line(proc)
        hook.notes.append(f"{label} from {source} failed: {error}")
    return None, error


def copy_checkout(root: Path, dest: Path, env: dict[str, str]) -> int:
    """The checkout's files (tracked and untracked, not ignored, as in the working tree) copied
    to `dest`. pip builds a local directory in place: setuptools would write build/ and
    *.egg-info into the checkout, and a build/lib left from an earlier run can carry deleted
    modules into the wheel. So the hook environment installs a fresh copy, as pre-commit
    installs a fresh clone. Returns the number of files."""
    listed = git(root, env, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    count = 0
    for name in sorted(set(filter(None, listed.split("\0")))):
        source = root / name
        if not os.path.lexists(source):  # deleted in the working tree, not yet committed
            continue
        target = dest / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target, follow_symlinks=False)
        count += 1
    return count


_VERSIONS = """
import importlib.metadata as m, json, sys
out = {}
for name in sys.argv[1:]:
    try:
        out[name] = m.version(name)
    except m.PackageNotFoundError:
        out[name] = None
print(json.dumps(out))
"""


def package_versions(python: str, names: Sequence[str]) -> dict[str, str | None]:
    proc = subprocess.run([python, "-c", _VERSIONS, *names], capture_output=True, text=True,
                          env=pip_env(), check=False)
    return json.loads(proc.stdout) if proc.returncode == 0 else {}


def _version_of(python: str) -> tuple[int, int]:
    major, minor = python_facts(python)["python"].split(".")[:2]
    return int(major), int(minor)


def build_hook_env(tmp: Path, env: dict[str, str]) -> HookEnv:
    """A new venv, as pre-commit makes one for a `language: python` hook, with this checkout
    installed (not editable) and the peer beside it."""
    started = time.perf_counter()
    env_dir = tmp / "hookenv"
    python = str(env_dir / "bin" / "python")
    hook = HookEnv(python=python, version=(0, 0), built=True)
    argv = [sys.executable, "-m", "venv", str(env_dir)]
    hook.steps.append(shlex.join(argv))
    proc = subprocess.run(argv, env=pip_env(), capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        fail(f"{shlex.join(argv)} failed: {_last_line(proc)}")
    checkout = tmp / "checkout"
    files = copy_checkout(REPO_ROOT, checkout, env)
    hook.notes.append(f"installed from a copy of {REPO_ROOT}'s working tree ({files} files, in {checkout})")
    source, error = pip_install(env_dir, str(checkout), "release-guard", hook)
    if source is None:
        fail(f"cannot install release-guard into {env_dir}: {error}")
    hook.release_guard_from = source
    peer_source, peer_error = pip_install(env_dir, PEER, PEER, hook)
    if peer_source is None:
        hook.peer_problem = f"`pip install {PEER}` failed: {peer_error}"
    else:
        hook.peer = find_tool(PEER, python, search_path=False)
        if hook.peer is None:
            hook.peer_problem = f"{PEER} installed, but no console script in {env_dir / 'bin'}"
    hook.version = _version_of(python)
    hook.packages = package_versions(python, ("release-guard", "packaging", PEER, "pip", "setuptools"))
    hook.setup_s = round(time.perf_counter() - started, 1)
    return hook


def existing_env(python: str) -> HookEnv:
    """--python PATH: that interpreter's environment as it is; console scripts beside it."""
    python = str(Path(python).absolute())
    if not Path(python).is_file():
        fail(f"--python {python}: no such file")
    hook = HookEnv(python=python, version=_version_of(python), built=False)
    hook.peer = find_tool(PEER, python, search_path=False)
    if hook.peer is None:
        hook.peer_problem = f"no {PEER} next to {python} (pip install {PEER} into that environment)"
    hook.packages = package_versions(python, ("release-guard", "packaging", PEER, "pip", "setuptools"))
    return hook


# --------------------------------------------------------------------------- measuring


def try_once(label: str, argv: Sequence[str], repo: Path, env: dict[str, str],
             expect_stdout: str | None = None) -> tuple[str, str | None]:
    """Run `argv` once in the sample repository: (its stdout, None), or (its stdout, what is
    wrong) unless it exits 0 with `expect_stdout` in its output."""
    proc = subprocess.run(list(argv), cwd=repo, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0 or (expect_stdout is not None and expect_stdout not in proc.stdout):
        expected = f" and {expect_stdout!r} on stdout" if expect_stdout else ""
        return proc.stdout.strip(), (
            f"`{label}` does not succeed on the sample repository ({repo}; --keep keeps it): "
            f"exit {proc.returncode} (expected 0{expected})\n"
            f"--- stdout\n{proc.stdout}--- stderr\n{proc.stderr}")
    return proc.stdout.strip(), None


def verify(label: str, argv: Sequence[str], repo: Path, env: dict[str, str],
           expect_stdout: str | None = None) -> str:
    """try_once, for a command the benchmark cannot do without: failing, it stops (exit 2)."""
    out, problem = try_once(label, argv, repo, env, expect_stdout)
    if problem is not None:
        fail(problem)
    return out


# --------------------------------------------------------------------------- --profile


@dataclass
class ImportRow:
    module: str
    self_ms: float
    cumulative_ms: float
    depth: int
    imported_by: str = "(top level)"


def importtime_rows(argv: Sequence[str], repo: Path, env: dict[str, str]) -> list[ImportRow]:
    """Every import `argv` (a `python -X importtime ...` command) makes, in the order
    -X importtime prints them, each with its importer.

    -X importtime prints a module's line after its children's, indented by depth, so a
    line's importer is the next line one level up. A module loaded through
    importlib.import_module gets no line of its own: its imports show at depth 0, importer
    "(top level)" (release_guard.version_guard was, before cli.LazyHandler used __import__).
    """
    proc = subprocess.run(list(argv), cwd=repo, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        fail(f"{' '.join(argv)} failed (exit {proc.returncode}):\n{proc.stderr[-2000:]}")
    rows: list[ImportRow] = []
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        head, cumulative_us, name_field = line.split("|", 2)  # "import time: SELF", CUM, " " + indent + name
        depth = (len(name_field) - len(name_field.lstrip()) - 1) // 2
        rows.append(ImportRow(name_field.strip(), int(head.split(":")[1]) / 1000,
                              int(cumulative_us) / 1000, depth))
    last_at_depth: dict[int, str] = {}
    for row in reversed(rows):
        if row.depth > 0 and row.depth - 1 in last_at_depth:
            row.imported_by = last_at_depth[row.depth - 1]
        last_at_depth = {d: m for d, m in last_at_depth.items() if d < row.depth}
        last_at_depth[row.depth] = row.module
    return rows


@dataclass
class Profile:
    total_self_ms: float  # every import's self time, site included
    top: list[ImportRow]  # by cumulative time
    floor_total_self_ms: float  # the same for the floor's program
    beyond_floor_self_ms: float  # self time of the modules release-guard imports and the floor does not
    beyond_floor_modules: int
    beyond_floor_top: list[ImportRow]  # those modules by self time
    beyond_floor_by_package: dict[str, float]  # their self time by top-level package


def median_importtime(argv: Sequence[str], repo: Path, env: dict[str, str], runs: int) -> list[ImportRow]:
    """importtime_rows of `runs` runs after one discarded (warm .pyc files), alternating with
    nothing else: the first run's rows, each time the median over the runs that import it."""
    importtime_rows(argv, repo, env)
    samples = [importtime_rows(argv, repo, env) for _ in range(runs)]
    self_ms: dict[str, list[float]] = {}
    cumulative_ms: dict[str, list[float]] = {}
    for rows in samples:
        for r in rows:
            self_ms.setdefault(r.module, []).append(r.self_ms)
            cumulative_ms.setdefault(r.module, []).append(r.cumulative_ms)
    return [ImportRow(r.module, statistics.median(self_ms[r.module]),
                      statistics.median(cumulative_ms[r.module]), r.depth, r.imported_by)
            for r in samples[0]]


def profile(hook: HookEnv, repo: Path, env: dict[str, str], top: int, runs: int) -> Profile:
    """-X importtime of release-guard check-version (its console script, run as the shebang
    runs it), and of the floor for comparison; medians of `runs` runs each."""
    script = venv_tool("release-guard", hook.python, search_path=False)
    rows = median_importtime([hook.python, "-X", "importtime", script, "check-version"], repo, env, runs)
    floor = median_importtime([hook.python, "-X", "importtime", "-c", floor_code(hook.version)], repo, env,
                              runs)
    in_floor = {r.module for r in floor}
    beyond = [r for r in rows if r.module not in in_floor]
    by_package: dict[str, float] = {}
    for r in beyond:
        package = r.module.split(".")[0]
        by_package[package] = by_package.get(package, 0.0) + r.self_ms
    return Profile(
        total_self_ms=round(sum(r.self_ms for r in rows), 2),
        top=sorted(rows, key=lambda r: r.cumulative_ms, reverse=True)[:top],
        floor_total_self_ms=round(sum(r.self_ms for r in floor), 2),
        beyond_floor_self_ms=round(sum(r.self_ms for r in beyond), 2),
        beyond_floor_modules=len(beyond),
        beyond_floor_top=sorted(beyond, key=lambda r: r.self_ms, reverse=True)[:top],
        beyond_floor_by_package={k: round(v, 2) for k, v in
                                 sorted(by_package.items(), key=lambda kv: kv[1], reverse=True)},
    )


def print_profile(p: Profile, repo_facts: RepoFacts, runs: int) -> None:
    print(f"python -X importtime bin/release-guard check-version  (per module, the median of {runs} runs "
          f"after a warm-up; {repo_facts.commits} commits, {repo_facts.tags} tags)")
    print("importtime adds its own overhead; release_guard.version_guard, imported when main() runs, "
          "is a top-level line.")
    width = max(len(r.module) for r in p.top + p.beyond_floor_top)
    print(f"{'cumulative ms':>13}  {'self ms':>8}  {'module':<{width}}  imported by")
    for r in p.top:
        print(f"{r.cumulative_ms:13.1f}  {r.self_ms:8.1f}  {r.module:<{width}}  {r.imported_by}")
    print(f"{p.total_self_ms:13.1f}  {'':8}  (sum of every import's self time, site included)")
    print(f"\nthe floor's program imports {p.floor_total_self_ms:.1f} ms (self times, site included); "
          f"release-guard imports {p.beyond_floor_modules} modules more, {p.beyond_floor_self_ms:.1f} ms:")
    packages = ", ".join(f"{k} {v:.1f}" for k, v in p.beyond_floor_by_package.items())
    print(f"  by top-level package: {packages}")
    print(f"{'self ms':>13}  {'module':<{width}}  imported by")
    for r in p.beyond_floor_top:
        print(f"{r.self_ms:13.1f}  {r.module:<{width}}  {r.imported_by}")


# --------------------------------------------------------------------------- --breakdown


_SPEC_PROBE = """
import contextlib, io, json, sys
from release_guard import cli, git
specs = []
original = git.BlobReader.read
def read(self, spec):
    specs.append(spec)
    return original(self, spec)
git.BlobReader.read = read
with contextlib.redirect_stdout(io.StringIO()):
    cli.main(["check-version"])
with open(sys.argv[1], "w") as out:
    json.dump(specs, out)
"""

# release-guard check-version in one process, its phases timed with perf_counter: the imports
# (release_guard.cli and the module check-version runs), then main(), and within main() the
# time spent in git calls (starting the process and waiting on it or on its output: the outer
# call of Popen(), communicate(), wait() and BlobReader.read). As the console script does, the
# cyclic GC is off and the process ends with os._exit. One JSON line is appended to argv[1].
_PHASE_PROBE = """
import time
t0 = time.perf_counter()
import gc, os, sys
gc.disable()
import subprocess
in_git = [0.0, 0]
def timed(func):
    def wrapper(*args, **kwargs):
        in_git[1] += 1
        start = time.perf_counter()
        try:
            return func(*args, **kwargs)
        finally:
            in_git[1] -= 1
            if in_git[1] == 0:
                in_git[0] += time.perf_counter() - start
    return wrapper
for name in ("__init__", "communicate", "wait"):
    setattr(subprocess.Popen, name, timed(getattr(subprocess.Popen, name)))
import release_guard.cli, release_guard.git, release_guard.version_guard
release_guard.git.BlobReader.read = timed(release_guard.git.BlobReader.read)
t1 = time.perf_counter()
modules = len(sys.modules)
sys.stdout = open(os.devnull, "w")
code = release_guard.cli.main(["check-version"])
t2 = time.perf_counter()
line = '{"imports": %f, "main": %f, "git": %f, "exit": %d, "modules_in_main": %d}\\n' % (
    t1 - t0, t2 - t1, in_git[0], code, len(sys.modules) - modules)
with open(sys.argv[1], "a") as out:
    out.write(line)
os._exit(code)
"""


def traced_git_calls(hook: HookEnv, repo: Path, env: dict[str, str],
                     scratch: Path) -> tuple[list[list[str]], list[str]]:
    """The git commands one `release-guard check-version` runs (from GIT_TRACE), and the
    blob specs it asks `git cat-file --batch` for (by wrapping release_guard.git.BlobReader
    in a probe process; empty if that class has gone)."""
    trace = scratch / "git-trace.txt"
    rg = venv_tool("release-guard", hook.python, search_path=False)
    subprocess.run([rg, "check-version"], cwd=repo, env={**env, "GIT_TRACE": str(trace)},
                   capture_output=True, check=False)
    calls = []
    for line in trace.read_text().splitlines():
        _, sep, command = line.partition("trace: built-in: ")
        if sep:
            calls.append(shlex.split(command)[1:])  # without the leading "git"
    specs_file = scratch / "specs.json"
    probe = subprocess.run([hook.python, "-c", _SPEC_PROBE, str(specs_file)], cwd=repo, env=env,
                           capture_output=True, check=False)
    specs = json.loads(specs_file.read_text()) if probe.returncode == 0 and specs_file.exists() else []
    return calls, specs


def breakdown_commands(hook: HookEnv, repo: Path, env: dict[str, str], scratch: Path,
                       phases: Path) -> list[Command]:
    """What `release-guard check-version` costs, piece by piece, for the staged state.

    Each git command that release-guard ran once under GIT_TRACE is replayed on its own
    (cat-file --batch with the specs release-guard asked for); the import rows include
    interpreter startup: subtract `python -c pass`. The `phases` row is release-guard run
    in-process by _PHASE_PROBE, which appends its phase times to `phases`.
    """
    py = hook.python
    toml = "tomllib" if hook.version >= (3, 11) else "tomli"
    calls, specs = traced_git_calls(hook, repo, env, scratch)
    commands = [
        Command("python", "python -c pass", [py, "-c", "pass"]),
        Command("imp-floor", f"python -c 'import {toml}, packaging.version'",
                [py, "-c", f"import {toml}, packaging.version"]),
        Command("floor", "floor (the imports + git cat-file --batch)", [py, "-c", floor_code(hook.version)]),
        Command("imp-cli", "python -c 'import release_guard.cli'", [py, "-c", "import release_guard.cli"]),
        Command("imp-all", "python -c 'import release_guard.cli, .version_guard'",
                [py, "-c", "import release_guard.cli, release_guard.version_guard"]),
        Command("git-version", "git --version (a bare git exec)", ["git", "--version"]),
    ]
    for number, call in enumerate(calls, 1):
        label = "git " + " ".join(call)
        stdin = None
        if call[:1] == ["cat-file"] and any(a.startswith("--batch") for a in call):
            stdin = "".join(spec + "\n" for spec in specs).encode()
            label += f"  ({len(specs)} specs)"
        if len(label) > 72:  # keep both ends: the two for-each-ref calls differ at the end
            label = label[:36] + " ... " + label[-31:]
        commands.append(Command(f"git-{number}", label, ["git", *call], stdin=stdin))
    commands.append(Command("release-guard", "release-guard check-version",
                            [venv_tool("release-guard", py, search_path=False), "check-version"]))
    commands.append(Command("phases", "release-guard check-version, phases timed in-process",
                            [py, "-c", _PHASE_PROBE, str(phases)]))
    return commands


def phase_summary(phases: Path, probe: Command | None) -> dict[str, float] | None:
    """Medians (ms) of the in-process phases over the timed runs of the probe (the warm-up
    runs' lines are dropped), and what is left of the probe's wall time: startup and exit."""
    if probe is None or not phases.exists():
        return None
    rows = [json.loads(line) for line in phases.read_text().splitlines() if line.strip()]
    rows = [r for r in rows[len(rows) - len(probe.samples):] if r["exit"] == 0]
    if not rows:
        return None
    med = {k: statistics.median(r[k] for r in rows) * 1000 for k in ("imports", "main", "git")}
    python_work = statistics.median((r["main"] - r["git"]) for r in rows) * 1000
    wall = statistics.median(probe.samples) * 1000
    return {"wall_ms": wall, "imports_ms": med["imports"], "main_ms": med["main"], "git_ms": med["git"],
            "python_work_ms": python_work,
            "startup_and_exit_ms": wall - med["imports"] - med["main"],
            "modules_imported_in_main": statistics.median(r["modules_in_main"] for r in rows),
            "runs": len(rows)}


# --------------------------------------------------------------------------- main


def main_commands(hook: HookEnv, only: Sequence[str] | None) -> list[Command]:
    py = hook.python
    commands = [
        Command("python", "python -c pass", [py, "-c", "pass"]),
        Command("floor", "floor: python -c 'import tomllib, packaging.version; git cat-file'"
                if hook.version >= (3, 11) else
                "floor: python -c 'import tomli, packaging.version; git cat-file'",
                [py, "-c", floor_code(hook.version)]),
        Command("release-guard", "release-guard check-version",
                [venv_tool("release-guard", py, search_path=False), "check-version"]),
    ]
    if hook.peer is not None:
        commands.append(Command("peer", "check-bump toml", [hook.peer, "toml"]))
    return [c for c in commands if not only or c.key in only]


def verdicts(by_key: dict[str, Command]) -> list[Verdict]:
    rg = by_key.get("release-guard")
    if rg is None:
        return []
    rg_median = statistics.median(rg.samples)
    out = []
    for key, budget, name in (("floor", BUDGET_VS_FLOOR, "release-guard / floor"),
                              ("peer", BUDGET_VS_PEER, "release-guard / check-bump toml")):
        if key in by_key:
            ratio = rg_median / statistics.median(by_key[key].samples)
            out.append(Verdict(name, round(ratio, 3), budget, "x", ratio <= budget))
    return out


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = bench_parser(__doc__, 30, ("python", "floor", "release-guard", "peer"), "--only release-guard")
    parser.add_argument("--python", metavar="PATH",
                        help="time this interpreter's environment (its console scripts are looked up "
                        "next to it) instead of building a clean hook venv")
    parser.add_argument("--profile", action="store_true",
                        help="instead of timing: `python -X importtime bin/release-guard check-version` "
                        "--runs times in the sample repository (and the floor as often): top 15 "
                        "imports by cumulative time, and the imports the floor does not make")
    parser.add_argument("--breakdown", action="store_true",
                        help="instead of the budget run: time each git call release-guard makes and "
                        "its imports, and its phases in-process, round-robin, --runs rounds")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary directory (sample repository, hook venv) and print its path")
    return parse_checked(parser, argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with scratch_dir("rg-bench-", args.keep, lambda tmp: f"kept: sample repository {tmp / 'sample'}  "
                     f"(HOME for git: {tmp / 'home'})"
                     + ("" if args.python else f"; hook venv: --python {tmp / 'hookenv' / 'bin' / 'python'}")
                     ) as tmp:
        return run(args, tmp)


def print_hook_env(hook: HookEnv) -> None:
    if hook.built:
        print(f"hook venv built in {hook.setup_s:.1f} s: release-guard from {hook.release_guard_from}")
        for step in hook.steps:
            print(f"  $ {step}")
    else:
        print(f"environment: {hook.python} (--python; nothing built)")
    for note in hook.notes:
        print(f"  note: {note}")
    print("  packages: " + ", ".join(f"{k} {v}" for k, v in hook.packages.items() if v))
    if hook.peer is None:
        print(f"  peer unavailable: {hook.peer_problem}")


def run(args: argparse.Namespace, tmp: Path) -> int:
    home = tmp / "home"
    home.mkdir()
    env = bench_env(home)
    hook = existing_env(args.python) if args.python else build_hook_env(tmp, env)
    started = time.perf_counter()
    repo = build_sample_repo(tmp, env)
    build_s = time.perf_counter() - started
    repo_facts = describe_repo(repo, env)
    repo_facts.build_s = round(build_s, 2)
    source = measured_source(hook.python, REPO_ROOT if hook.built else None)
    if hook.built and not str(source.get("package", "")).startswith(str(tmp / "hookenv")):
        fail(f"the hook venv imports release_guard from {source.get('package')}, not from its "
             f"site-packages: the install is not what pre-commit would make")

    rg_argv = [venv_tool("release-guard", hook.python, search_path=False), "check-version"]
    rg_out = verify("release-guard check-version", rg_argv, repo, env, expect_stdout=HEAD_VERSION)

    if args.profile:
        prof = profile(hook, repo, env, 15, args.runs)
        if args.json:
            print(json.dumps({"repository": asdict(repo_facts), "hook_env": asdict(hook),
                              "release_guard": source, "importtime": asdict(prof)}, indent=2))
            return 0
        print_hook_env(hook)
        print_profile(prof, repo_facts, args.runs)
        return 0

    phases_file = tmp / "phases.jsonl"
    commands = (breakdown_commands(hook, repo, env, tmp, phases_file) if args.breakdown
                else main_commands(hook, args.only))
    floor_cmd = next((c for c in commands if c.key == "floor"), None)
    floor_out = verify("floor", floor_cmd.argv, repo, env) if floor_cmd else ""
    peer_out = ""
    if any(c.key == "peer" for c in commands):
        assert hook.peer is not None
        peer_out, problem = try_once("check-bump toml", [hook.peer, "toml"], repo, env,
                                     expect_stdout=HEAD_VERSION)
        if problem is not None:  # installed but not working (e.g. on a Python it does not support)
            hook.peer, peer_out = None, ""
            hook.peer_problem = " | ".join(line for line in problem.splitlines() if line.strip())[:600]
            commands = [c for c in commands if c.key != "peer"]
    with OtherLoad() as other_load:
        time_round_robin(commands, env, args.runs, args.warmup, cwd=repo)
    m = machine(other_load, hook.python)
    by_key = {c.key: c for c in commands}
    results = verdicts(by_key)
    phases = phase_summary(phases_file, by_key.get("phases")) if args.breakdown else None
    rg_vs_python = None
    if "release-guard" in by_key and "python" in by_key:
        rg_vs_python = (statistics.median(by_key["release-guard"].samples)
                        / statistics.median(by_key["python"].samples))
    peer_missing = hook.peer is None and not args.breakdown and (not args.only or "peer" in args.only)

    if args.json:
        print(json.dumps({
            **json_head("release-guard check-version" + (" (breakdown)" if args.breakdown else ""),
                        args, m, source),
            "hook_env": asdict(hook),
            "repository": asdict(repo_facts),
            "verified": {"release-guard": rg_out, **({"floor": floor_out} if floor_cmd else {}),
                         **({"check-bump toml": peer_out} if peer_out else {})},
            "commands": {c.key: command_json(c) for c in commands},
            "budgets": [{"ratio": v.name, "value": v.value, "budget": v.budget, "holds": v.holds}
                        for v in results]
            + ([{"ratio": "release-guard / check-bump toml", "value": None, "budget": BUDGET_VS_PEER,
                 "holds": None, "why": hook.peer_problem}] if peer_missing else []),
            "for_information": {"release-guard / python -c pass":
                                None if rg_vs_python is None else round(rg_vs_python, 3)},
            **({"phases": phases} if args.breakdown else {}),
        }, indent=2))
        return 0

    print_header("release-guard check-version", args, m, source)
    print_hook_env(hook)
    print(f"sample repository: {repo_facts.commits} commits, {repo_facts.tags} tags "
          f"({repo_facts.annotated_tags} annotated), HEAD {repo_facts.head!r}, staged: "
          f"{', '.join(repo_facts.staged)}; built in {build_s:.2f} s")
    print(f"verified: {rg_out!r}" + (f"; check-bump toml printed {peer_out!r}" if peer_out else ""))
    print_table(commands, "breakdown (each row is one process)" if args.breakdown else "results")
    if args.breakdown and "python" in by_key:
        base = statistics.median(by_key["python"].samples) * 1000
        print(f"\nrows minus python -c pass ({base:.1f} ms):")
        for c in commands:
            if c.key.startswith("imp-") or c.key == "floor":
                print(f"  {c.label}: +{statistics.median(c.samples) * 1000 - base:.1f} ms")
    if args.breakdown:
        if phases is None:
            print("\nin-process phases: the probe failed (release_guard.cli, .git.BlobReader or "
                  ".version_guard has changed)")
        else:
            print(f"\nrelease-guard check-version, phases timed in-process (medians of "
                  f"{phases['runs']:.0f} runs; wall {phases['wall_ms']:.1f} ms):")
            print(f"  interpreter startup + exit (wall - the rest): {phases['startup_and_exit_ms']:6.1f} ms")
            print(f"  imports (release_guard.cli, .version_guard):  {phases['imports_ms']:6.1f} ms")
            print(f"  main(['check-version']):                      {phases['main_ms']:6.1f} ms")
            print(f"    in git calls (start, wait, read output):    {phases['git_ms']:6.1f} ms")
            print(f"    Python work (the rest of main):             {phases['python_work_ms']:6.1f} ms"
                  f"  ({phases['modules_imported_in_main']:.0f} modules imported on the way)")
    if results or peer_missing or rg_vs_python is not None:
        print()
        for v in results:
            verdict = "PASS" if v.holds else "FAIL"
            print(f"{v.name:<32} {v.value:.3f}x   budget <= {v.budget:.1f}x   {verdict}")
        if peer_missing:
            print(f"{'release-guard / check-bump toml':<32} not measured: peer unavailable "
                  f"({hook.peer_problem})")
        if rg_vs_python is not None:
            print(f"{'release-guard / python -c pass':<32} {rg_vs_python:.2f}x   (for information; "
                  "no budget)")
    print_other_load(other_load)
    return 0


if __name__ == "__main__":
    sys.exit(main())
