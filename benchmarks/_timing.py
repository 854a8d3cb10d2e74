"""What the benchmark scripts share: the clean environment, the round-robin timing, the
other load on the machine, the table and the options every script takes.

Not a script: `bench_check_version.py` and `bench_check_tag.py` import it. Python puts a
script's folder first on sys.path, so `python benchmarks/bench_X.py` finds this module
from any working directory.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

OTHER_LOAD_WARNING = 0.05  # share of the machine's CPU used by other processes while timing

# Dropped from every benchmark's environment (bench_env can drop more).
_DROPPED_PREFIXES = ("PRE_COMMIT", "RELEASE_GUARD_", "GIT_", "PYTHON")
_DROPPED = ("CI", "GITHUB_ACTIONS", "NO_COLOR", "FORCE_COLOR", "VIRTUAL_ENV")


@dataclass
class Command:
    """One timed command. With `cwd` None it runs where time_round_robin's `cwd` says."""

    key: str
    label: str
    argv: list[str]
    cwd: Path | None = None
    stdin: bytes | None = None
    samples: list[float] = field(default_factory=list)  # wall seconds
    cpu: list[float] = field(default_factory=list)  # user + system seconds, with waited-for children
    failures: int = 0


# --------------------------------------------------------------------------- the environment


def fail(message: str) -> NoReturn:
    """Stop: the benchmark cannot run (exit 2, as documented)."""
    sys.stderr.write(f"bench: {message}\n")
    raise SystemExit(2)


def bench_env(home: Path, drop_prefixes: tuple[str, ...] = (), drop: Iterable[str] = (),
              drop_proxies: bool = False) -> dict[str, str]:
    """The caller's environment without what would change what git or release-guard do.

    No pre-commit, release-guard, git or Python variables, no CI or colour switches, none of
    the variables starting with `drop_prefixes` or named in `drop`, no `*_proxy` variables
    with `drop_proxies`; no system or user git config, and `home` as HOME: the figures must
    not depend on who runs the benchmark.
    """
    prefixes = _DROPPED_PREFIXES + drop_prefixes
    dropped = {*_DROPPED, *drop}
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(prefixes) and k not in dropped
           and not (drop_proxies and k.lower().endswith("_proxy"))}
    env.update({
        "HOME": str(home),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "LC_ALL": "C",
    })
    return env


def find_tool(name: str, python: str | None = None, search_path: bool = True) -> str | None:
    """The console script `name` next to `python` (default: this interpreter), that is in
    its venv's bin; else, with `search_path`, on PATH; else None."""
    # Not resolved: a venv's python is a symlink to the base interpreter.
    beside = Path(python or sys.executable).absolute().parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which(name) if search_path else None


def venv_tool(name: str, python: str | None = None, search_path: bool = True) -> str:
    """find_tool, for a console script the benchmark cannot do without: missing, it stops (exit 2)."""
    found = find_tool(name, python, search_path)
    if found is None:
        fail(f"`{name}` is not installed next to {python or sys.executable}"
             + (" nor on PATH" if search_path else "")
             + "; run this script with the venv's python (e.g. /work/venv/bin/python)")
    return found


def git(repo: Path, env: dict[str, str], *args: str, stdin: bytes | None = None) -> str:
    proc = subprocess.run(["git", *args], cwd=repo, env=env, input=stdin, capture_output=True,
                          check=False)
    if proc.returncode != 0:
        fail(f"git {' '.join(args)} failed: {proc.stderr.decode(errors='replace').strip()}")
    return proc.stdout.decode()


@contextlib.contextmanager
def scratch_dir(prefix: str, keep: bool, kept: Callable[[Path], str]) -> Iterator[Path]:
    """A new temporary directory, removed afterwards; with `keep`, left in place and
    `kept(directory)` printed on stderr instead."""
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield tmp
    finally:
        if keep:
            print(f"\n{kept(tmp)}", file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


# --------------------------------------------------------------------------- measuring


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_round_robin(commands: list[Command], env: dict[str, str], runs: int, warmup: int,
                     cwd: Path | None = None) -> None:
    """Each round runs every command once, in its own `cwd` or else in `cwd`; the start
    rotates so no command always follows the same neighbour. The first `warmup` rounds are
    discarded.

    Wall time is the budget's measure. CPU time (the child's user + system time, plus that
    of the git processes it waited for; not that of servers the benchmark runs) is reported
    beside it: it hardly moves when other work shares the machine, where wall time does.
    """
    for round_no in range(warmup + runs):
        shift = round_no % len(commands)
        for cmd in commands[shift:] + commands[:shift]:
            cpu_before = _children_cpu()
            start = time.perf_counter()
            proc = subprocess.run(cmd.argv, cwd=cmd.cwd if cmd.cwd is not None else cwd, env=env,
                                  input=cmd.stdin, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL, check=False)
            elapsed = time.perf_counter() - start
            if round_no >= warmup:
                cmd.samples.append(elapsed)
                cmd.cpu.append(_children_cpu() - cpu_before)
                cmd.failures += proc.returncode != 0


def summary(samples: Sequence[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in samples)
    if len(ms) >= 2:
        deciles = statistics.quantiles(ms, n=10, method="inclusive")
        p10, p90 = deciles[0], deciles[-1]
    else:
        p10 = p90 = ms[0]
    return {"median_ms": statistics.median(ms), "p10_ms": p10, "p90_ms": p90, "min_ms": ms[0]}


def _machine_busy_seconds() -> float | None:
    """CPU seconds the whole machine has spent busy since boot (Linux /proc/stat), else None."""
    try:
        with Path("/proc/stat").open() as stat:
            fields = [int(x) for x in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _own_cpu_seconds() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)  # includes any server thread of this process
    return _children_cpu() + me.ru_utime + me.ru_stime


class OtherLoad:
    """How much of the machine other processes used while the benchmark ran: the machine's
    busy CPU time less this process's, its children's and, with `server_cpu_seconds`, a
    server's (a child not yet reaped, so not among the children), over wall time x CPUs."""

    def __init__(self, server_cpu_seconds: Callable[[], float | None] | None = None) -> None:
        self.server_cpu_seconds = server_cpu_seconds
        self.share: float | None = None
        self.server_cpu: float | None = None  # the server's CPU seconds while timing

    def _server_seconds(self) -> float | None:
        return None if self.server_cpu_seconds is None else self.server_cpu_seconds()

    def __enter__(self) -> OtherLoad:
        self.busy, self.own, self.wall = _machine_busy_seconds(), _own_cpu_seconds(), time.perf_counter()
        self.server_before = self._server_seconds()
        return self

    def __exit__(self, *exc: object) -> None:
        busy = _machine_busy_seconds()
        server_after = self._server_seconds()
        if self.server_before is not None and server_after is not None:
            self.server_cpu = server_after - self.server_before
        if busy is None or self.busy is None:
            return
        other = (busy - self.busy) - (_own_cpu_seconds() - self.own) - (self.server_cpu or 0.0)
        self.share = max(0.0, other) / ((time.perf_counter() - self.wall) * (os.cpu_count() or 1))


def load_average() -> list[float] | None:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:  # pragma: no cover - not on Linux/macOS
        return None


def python_facts(python: str) -> dict[str, str]:
    """Version and implementation of the interpreter `python` (not necessarily this one)."""
    proc = subprocess.run([python, "-c", "import platform, sys; print(platform.python_version()); "
                           "print(platform.python_implementation()); print(sys.prefix)"],
                          capture_output=True, text=True, check=False)
    lines = proc.stdout.split("\n")
    if proc.returncode != 0 or len(lines) < 3:
        fail(f"{python} does not run: {proc.stderr.strip()[-500:]}")
    return {"python": lines[0], "implementation": lines[1], "prefix": lines[2]}


def machine(other_load: OtherLoad, python: str | None = None) -> dict[str, object]:
    """The machine, the interpreter the timed commands use (default: this one), and the share
    of the machine other processes used while `other_load` watched."""
    git_version = subprocess.run(["git", "--version"], capture_output=True, text=True,
                                 check=False).stdout.strip()
    if python is None:
        facts = {"python": platform.python_version(), "implementation": platform.python_implementation()}
    else:
        facts = {k: v for k, v in python_facts(python).items() if k != "prefix"}
    return {"cpus": os.cpu_count(), **facts, "platform": platform.platform(),
            "git": git_version, "executable": python or sys.executable, "load_average": load_average(),
            "other_load_while_timing": None if other_load.share is None else round(other_load.share, 3)}


def measured_source(python: str | None = None, checkout: Path | None = None) -> dict[str, object]:
    """Which release_guard was timed: the package `python` (default: this interpreter) imports,
    the commit of the checkout it came from and how many files under that checkout's src/ have
    uncommitted changes. `checkout` names the checkout for a non-editable install (whose
    package lives in site-packages); otherwise it is the package's own directory (an editable
    install times the working tree)."""
    proc = subprocess.run([python or sys.executable, "-c",
                           "import release_guard; print(release_guard.__file__)"],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        return {"package": None}
    package = Path(proc.stdout.strip()).parent
    where = package if checkout is None else checkout
    info: dict[str, object] = {"package": str(package),
                               "checkout": None if checkout is None else str(checkout),
                               "commit": None, "uncommitted_src_changes": None}
    head = subprocess.run(["git", "-C", str(where), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True, check=False)
    if head.returncode == 0:
        status = subprocess.run(["git", "-C", str(where), "status", "--porcelain", "--",
                                 "." if checkout is None else "src"],
                                capture_output=True, text=True, check=False)
        info["commit"] = head.stdout.strip()
        info["uncommitted_src_changes"] = len(status.stdout.splitlines())
    return info


@dataclass
class Verdict:
    """A budget: the measured `value` against `budget`, in `unit` ("x" for a ratio, or "ms")."""

    name: str
    value: float
    budget: float
    unit: str
    holds: bool


# --------------------------------------------------------------------------- the command line


def bench_parser(doc: str | None, runs: int, only: Sequence[str],
                 only_example: str) -> argparse.ArgumentParser:
    """The options every benchmark takes: --runs (default `runs`), --warmup, --json and --only
    (one of `only`); the script adds its own."""
    parser = argparse.ArgumentParser(description=(doc or "").split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=runs, help=f"timed rounds (default {runs})")
    parser.add_argument("--warmup", type=int, default=3, help="discarded rounds first (default 3)")
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of a table")
    parser.add_argument("--only", action="append", choices=only,
                        help=f"time only this command (repeatable); e.g. {only_example}")
    return parser


def parse_checked(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    args = parser.parse_args(argv)
    if args.runs < 1 or args.warmup < 0:
        parser.error("--runs must be >= 1 and --warmup >= 0")
    return args


# --------------------------------------------------------------------------- the report


def json_head(benchmark: str, args: argparse.Namespace, m: dict[str, object],
              source: dict[str, object]) -> dict[str, object]:
    """The first keys of the --json document."""
    return {"benchmark": benchmark, "date": time.strftime("%Y-%m-%d"),
            "runs": args.runs, "warmup": args.warmup, "machine": m, "release_guard": source}


def command_json(c: Command, with_cwd: bool = False) -> dict[str, object]:
    """A command's entry in the --json document, raw samples included."""
    out: dict[str, object] = {"label": c.label, "argv": c.argv}
    if with_cwd:
        out["cwd"] = str(c.cwd)
    out.update({"failures": c.failures,
                **{k: round(v, 2) for k, v in summary(c.samples).items()},
                "cpu_median_ms": round(statistics.median(c.cpu) * 1000, 2),
                "samples_ms": [round(s * 1000, 2) for s in c.samples],
                "cpu_samples_ms": [round(s * 1000, 2) for s in c.cpu]})
    return out


def print_header(benchmark: str, args: argparse.Namespace, m: dict[str, object],
                 source: dict[str, object]) -> None:
    """The first lines of the table: what ran, on which machine, with which release_guard."""
    print(f"{benchmark} benchmark: {args.runs} rounds (+{args.warmup} warm-up), "
          f"round-robin, {time.strftime('%Y-%m-%d')}")
    print(f"machine: {m['cpus']} CPUs, Python {m['python']}, {m['git']}, {m['platform']}")
    origin = f" (not editable, from {source['checkout']})" if source.get("checkout") else ""
    print(f"release_guard: {source.get('package')}{origin} at commit {source.get('commit')}"
          + (f" + {source['uncommitted_src_changes']} uncommitted change(s)"
             if source.get("uncommitted_src_changes") else ""))


def print_table(commands: list[Command], title: str | None = None) -> None:
    width = max(len(c.label) for c in commands)
    print()
    if title is not None:
        print(title)
    print(f"{'':<{width}}  {'wall ms':-^34}  {'cpu ms':>7}")
    print(f"{'command':<{width}}  {'median':>7}  {'p10':>7}  {'p90':>7}  {'min':>7}  {'median':>7}")
    for c in commands:
        s = summary(c.samples)
        bad = f"   {c.failures} non-zero exits!" if c.failures else ""
        print(f"{c.label:<{width}}  {s['median_ms']:7.1f}  {s['p10_ms']:7.1f}  {s['p90_ms']:7.1f}"
              f"  {s['min_ms']:7.1f}  {statistics.median(c.cpu) * 1000:7.1f}{bad}")


def print_other_load(other_load: OtherLoad, server: str | None = None) -> None:
    """The last line: how much of the machine other processes used while timing (and, with
    `server`, the CPU time that server used, counted as the benchmark's own)."""
    if other_load.share is None:
        return
    print(f"\nother processes used {100 * other_load.share:.0f}% of the machine's CPU while timing"
          + ("" if other_load.share <= OTHER_LOAD_WARNING else
             ": the figures are inflated and noisy; re-run when the machine is idle")
          + (f" ({server} used {other_load.server_cpu * 1000:.0f} ms, counted as ours)"
             if server is not None and other_load.server_cpu is not None else ""))
