#!/usr/bin/env python3
"""Wall-clock benchmark of `release-guard check-version` (the version-bump pre-commit hook).

Builds a sample repository (a PEP 621 project, 500 commits, 50 release tags, HEAD bumped
to 0.0.51, a staged change under src/), then times, interleaved round-robin in one run:

* ``python -c pass``                                  bare interpreter startup (the budget's unit)
* ``python -I -c "import packaging.version, tomllib"``  informative floor: what the check must import
* ``release-guard check-version``                     the hook, as pre-commit runs it
* ``check-bump toml``                                 a peer doing less work (one file, HEAD^ only)

Budget (from the issue): median wall of release-guard <= 3.0x bare Python startup and
<= 0.7x the peer. The script reports; it asserts nothing (exit 0 whether or not a budget
holds, 2 when it cannot run).

Run it with the interpreter of the environment release-guard is installed in:

    /work/venv/bin/python benchmarks/bench_check_version.py [--runs N] [--json]
    ... --only release-guard          # quick iteration on one command
    ... --profile                     # -X importtime of one run: top 15 imports
    ... --breakdown                   # time each git call release-guard makes, and its imports
"""

from __future__ import annotations

import argparse
import json
import shlex
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from _timing import (
    Command,
    OtherLoad,
    Verdict,
    bench_env,
    bench_parser,
    command_json,
    fail,
    git,
    json_head,
    machine,
    measured_source,
    parse_checked,
    print_header,
    print_other_load,
    print_table,
    scratch_dir,
    time_round_robin,
    venv_tool,
)

COMMITS = 500
TAGS = 50
HEAD_VERSION = "0.0.51"
BUDGET_VS_PYTHON = 3.0
BUDGET_VS_PEER = 0.7
EPOCH = 1_700_000_000  # fixed commit dates: the repository is identical from run to run

IDENTITY = "Bench <bench@example.invalid>"


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


# --------------------------------------------------------------------------- measuring


def verify(label: str, argv: Sequence[str], repo: Path, env: dict[str, str],
           expect_stdout: str | None = None) -> str:
    proc = subprocess.run(list(argv), cwd=repo, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0 or (expect_stdout is not None and expect_stdout not in proc.stdout):
        expected = f" and {expect_stdout!r} on stdout" if expect_stdout else ""
        fail(f"`{label}` does not succeed on the sample repository ({repo}; --keep keeps it): "
             f"exit {proc.returncode} (expected 0{expected})\n"
             f"--- stdout\n{proc.stdout}--- stderr\n{proc.stderr}")
    return proc.stdout.strip()


# --------------------------------------------------------------------------- --profile


@dataclass
class ImportRow:
    module: str
    self_ms: float
    cumulative_ms: float
    depth: int
    imported_by: str = "(top level)"


def importtime(repo: Path, env: dict[str, str], top: int) -> tuple[float, list[ImportRow]]:
    """(sum of all self times, the `top` imports by cumulative time with their importer).

    -X importtime prints a module's line after its children's, indented by depth, so a
    line's importer is the next line one level up. Modules loaded through
    importlib.import_module (release_guard.version_guard, by cli._lazy) get no line of their
    own: their imports show at depth 0, importer "(top level)".
    """
    argv = [sys.executable, "-X", "importtime", "-m", "release_guard", "check-version"]
    subprocess.run(argv, cwd=repo, env=env, capture_output=True, check=False)  # .pyc warm
    proc = subprocess.run(argv, cwd=repo, env=env, capture_output=True, text=True, check=False)
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
    total = sum(r.self_ms for r in rows)
    rows.sort(key=lambda r: r.cumulative_ms, reverse=True)
    return total, rows[:top]


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


def traced_git_calls(repo: Path, env: dict[str, str], scratch: Path) -> tuple[list[list[str]], list[str]]:
    """The git commands one `release-guard check-version` runs (from GIT_TRACE), and the
    blob specs it asks `git cat-file --batch` for (by wrapping release_guard.git.BlobReader
    in a probe process; empty if that class has gone)."""
    trace = scratch / "git-trace.txt"
    rg = venv_tool("release-guard")
    subprocess.run([rg, "check-version"], cwd=repo, env={**env, "GIT_TRACE": str(trace)},
                   capture_output=True, check=False)
    calls = []
    for line in trace.read_text().splitlines():
        _, sep, command = line.partition("trace: built-in: ")
        if sep:
            calls.append(shlex.split(command)[1:])  # without the leading "git"
    specs_file = scratch / "specs.json"
    probe = subprocess.run([sys.executable, "-c", _SPEC_PROBE, str(specs_file)], cwd=repo, env=env,
                           capture_output=True, check=False)
    specs = json.loads(specs_file.read_text()) if probe.returncode == 0 and specs_file.exists() else []
    return calls, specs


def breakdown_commands(repo: Path, env: dict[str, str], scratch: Path) -> list[Command]:
    """What `release-guard check-version` costs, piece by piece, for the staged state.

    Each git command that release-guard ran once under GIT_TRACE is replayed on its own
    (cat-file --batch with the specs release-guard asked for); the import rows include
    interpreter startup: subtract `python -c pass`.
    """
    py = sys.executable
    calls, specs = traced_git_calls(repo, env, scratch)
    commands = [
        Command("python", "python -c pass", [py, "-c", "pass"]),
        Command("imp-cli", "python -c 'import release_guard.cli'", [py, "-c", "import release_guard.cli"]),
        Command("imp-commands", "python -c 'import release_guard.version_guard'",
                [py, "-c", "import release_guard.version_guard"]),
        Command("imp-floor", "python -c 'import packaging.version, tomllib'",
                [py, "-c", "import packaging.version, tomllib"]),
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
                            [venv_tool("release-guard"), "check-version"]))
    return commands


# --------------------------------------------------------------------------- main


def main_commands(only: Sequence[str] | None) -> list[Command]:
    py = sys.executable
    commands = [
        Command("python", "python -c pass", [py, "-c", "pass"]),
        Command("floor", 'python -I -c "import packaging.version, tomllib"',
                [py, "-I", "-c", "import packaging.version, tomllib"]),
        Command("release-guard", "release-guard check-version",
                [venv_tool("release-guard"), "check-version"]),
        Command("peer", "check-bump toml", [venv_tool("check-bump"), "toml"]),
    ]
    return [c for c in commands if not only or c.key in only]


def verdicts(by_key: dict[str, Command]) -> list[Verdict]:
    rg = by_key.get("release-guard")
    if rg is None:
        return []
    rg_median = statistics.median(rg.samples)
    out = []
    for key, budget, name in (("python", BUDGET_VS_PYTHON, "release-guard / python -c pass"),
                              ("peer", BUDGET_VS_PEER, "release-guard / check-bump toml")):
        if key in by_key:
            ratio = rg_median / statistics.median(by_key[key].samples)
            out.append(Verdict(name, round(ratio, 3), budget, "x", ratio <= budget))
    return out


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = bench_parser(__doc__, 30, ("python", "floor", "release-guard", "peer"), "--only release-guard")
    parser.add_argument("--profile", action="store_true",
                        help="instead of timing: `python -X importtime -m release_guard check-version` "
                        "once in the sample repository, top 15 imports by cumulative time")
    parser.add_argument("--breakdown", action="store_true",
                        help="instead of the budget run: time each git call release-guard makes and "
                        "its imports, round-robin, --runs rounds")
    parser.add_argument("--keep", action="store_true", help="keep the sample repository and print its path")
    return parse_checked(parser, argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with scratch_dir("rg-bench-", args.keep, lambda tmp: f"sample repository kept: {tmp / 'sample'}  "
                     f"(HOME for git: {tmp / 'home'})") as tmp:
        return run(args, tmp)


def run(args: argparse.Namespace, tmp: Path) -> int:
    home = tmp / "home"
    home.mkdir()
    env = bench_env(home)
    started = time.perf_counter()
    repo = build_sample_repo(tmp, env)
    build_s = time.perf_counter() - started
    repo_facts = describe_repo(repo, env)
    repo_facts.build_s = round(build_s, 2)

    rg_argv = [venv_tool("release-guard"), "check-version"]
    rg_out = verify("release-guard check-version", rg_argv, repo, env, expect_stdout=HEAD_VERSION)

    if args.profile:
        total, rows = importtime(repo, env, 15)
        if args.json:
            print(json.dumps({"repository": asdict(repo_facts), "release_guard": measured_source(),
                              "importtime_total_self_ms": round(total, 2),
                              "importtime_top": [asdict(r) for r in rows]}, indent=2))
            return 0
        print(f"python -X importtime -m release_guard check-version  (one run after a warm-up, "
              f"{repo_facts.commits} commits, {repo_facts.tags} tags)")
        print("importtime adds its own overhead, and release_guard.version_guard (imported through "
              "importlib.import_module) has no line: its imports are listed as top level.")
        width = max(len(r.module) for r in rows)
        print(f"{'cumulative ms':>13}  {'self ms':>8}  {'module':<{width}}  imported by")
        for r in rows:
            print(f"{r.cumulative_ms:13.1f}  {r.self_ms:8.1f}  {r.module:<{width}}  {r.imported_by}")
        print(f"{total:13.1f}  {'':8}  (sum of every import's self time, site included)")
        return 0

    commands = breakdown_commands(repo, env, tmp) if args.breakdown else main_commands(args.only)
    peer_out = ""
    if any(c.key == "peer" for c in commands):
        peer_out = verify("check-bump toml", [venv_tool("check-bump"), "toml"], repo, env,
                          expect_stdout=HEAD_VERSION)
    source = measured_source()
    with OtherLoad() as other_load:
        time_round_robin(commands, env, args.runs, args.warmup, cwd=repo)
    m = machine(other_load)
    by_key = {c.key: c for c in commands}
    results = verdicts(by_key)

    if args.json:
        print(json.dumps({
            **json_head("release-guard check-version" + (" (breakdown)" if args.breakdown else ""),
                        args, m, source),
            "repository": asdict(repo_facts),
            "verified": {"release-guard": rg_out, **({"check-bump toml": peer_out} if peer_out else {})},
            "commands": {c.key: command_json(c) for c in commands},
            "budgets": [{"ratio": v.name, "value": v.value, "budget": v.budget, "holds": v.holds}
                        for v in results],
        }, indent=2))
        return 0

    print_header("release-guard check-version", args, m, source)
    print(f"sample repository: {repo_facts.commits} commits, {repo_facts.tags} tags "
          f"({repo_facts.annotated_tags} annotated), HEAD {repo_facts.head!r}, staged: "
          f"{', '.join(repo_facts.staged)}; built in {build_s:.2f} s")
    print(f"verified: {rg_out!r}" + (f"; check-bump toml printed {peer_out!r}" if peer_out else ""))
    print_table(commands, "breakdown (each row is one process)" if args.breakdown else "results")
    if args.breakdown and "python" in by_key:
        base = statistics.median(by_key["python"].samples) * 1000
        print(f"\nimport rows minus python -c pass ({base:.1f} ms):")
        for c in commands:
            if c.key.startswith("imp-"):
                print(f"  {c.label}: +{statistics.median(c.samples) * 1000 - base:.1f} ms")
    if results:
        print()
        for v in results:
            verdict = "PASS" if v.holds else "FAIL"
            print(f"{v.name:<32} {v.value:.2f}x   budget <= {v.budget:.1f}x   {verdict}")
    print_other_load(other_load)
    return 0


if __name__ == "__main__":
    sys.exit(main())
