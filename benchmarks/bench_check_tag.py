#!/usr/bin/env python3
"""Wall-clock benchmark of `release-guard check-tag` and `pre-push` (the tag guard) against real indexes.

Sets up, in a temporary directory: a real pypiserver on 127.0.0.1 serving a built sdist and
wheel of demo-pkg 1.0; a git repository with demo-pkg at 1.1 tagged v1.1; a monorepo with
20 projects pkg-00 ... pkg-19 at 1.0, tagged pkg-NN-v1.0; and a threaded HTTP server on
127.0.0.1 that waits 100 ms before answering each Simple API request (PEP 691 JSON, every
project at 0.9, so nothing is released yet). Then it times, interleaved round-robin in one run:

* ``python -c pass``                               bare interpreter startup (informative)
* ``release-guard check-tag v1.1``                 one project, the local pypiserver
* ``release-guard check-tag pkg-00-v1.0``          one project, the 100 ms server
* ``release-guard pre-push origin URL`` + 20 refs  20 tags in one push, the 100 ms server

Budget (from the issue): median wall of the one-project check against the local index
<= 250 ms; the 20-project push <= 2.0x the one-project check, both against the 100 ms
server. The script reports; it asserts nothing (exit 0 whether or not a budget holds, 2
when it cannot run).

Run it with the interpreter of the environment release-guard is installed in:

    /work/venv/bin/python benchmarks/bench_check_tag.py [--runs N] [--json] [--keep]
    ... --only push-20 --only one-latency   # quick iteration on some commands
"""

from __future__ import annotations

import argparse
import http.server
import json
import os
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

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

PROJECTS = 20
LATENCY_S = 0.100
BUDGET_ONE_LOCAL_MS = 250.0
BUDGET_PUSH_RATIO = 2.0
SERVER_START_TIMEOUT_S = 30.0
EPOCH = 1_700_000_000  # fixed commit dates: the repositories are identical from run to run
IDENTITY = ("Bench", "bench@example.invalid")
NULL_SHA = "0" * 40
KEYS = ("python", "one-local", "one-latency", "push-20")
TIMES = "\u00d7"  # the multiplication sign, as in the budget's wording


# --------------------------------------------------------------------------- the environment


def build_env(env: dict[str, str]) -> dict[str, str]:
    """`env` plus a git identity and fixed dates, for building the sample repositories."""
    when = f"{EPOCH} +0000"
    return {**env, "GIT_AUTHOR_NAME": IDENTITY[0], "GIT_AUTHOR_EMAIL": IDENTITY[1],
            "GIT_COMMITTER_NAME": IDENTITY[0], "GIT_COMMITTER_EMAIL": IDENTITY[1],
            "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def free_port() -> int:
    """A port nothing listens on now (the OS's choice; a race with other programs is possible,
    so the server start is retried on a new port)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def http_get(url: str, timeout: float = 2.0) -> tuple[int, str]:
    """(status, body) of a GET, never through a proxy; (0, reason) when nothing answers."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(url, timeout=timeout) as response:
            return int(response.status), response.read().decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, ""
    except (OSError, ValueError) as exc:
        return 0, str(exc)


# --------------------------------------------------------------------------- demo-pkg and pypiserver


DEMO_PYPROJECT = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "demo-pkg"
version = "{version}"
description = "release-guard benchmark sample"
requires-python = ">=3.10"

[tool.hatch.build.targets.wheel]
packages = ["src/demo_pkg"]
"""


def build_distributions(tmp: Path, env: dict[str, str]) -> tuple[Path, list[str]]:
    """A packages directory holding demo-pkg 1.0's sdist and wheel, built by hatchling through
    `python -m build --no-isolation` (no network)."""
    source = tmp / "demo-src"
    write(source / "pyproject.toml", DEMO_PYPROJECT.format(version="1.0"))
    write(source / "src" / "demo_pkg" / "__init__.py", '"""Demo."""\n')
    write(source / "README.md", "# demo-pkg\n")
    packages = tmp / "packages"
    proc = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--sdist", "--wheel",
                           "--outdir", str(packages), str(source)],
                          env=env, capture_output=True, text=True, check=False)
    built = sorted(p.name for p in packages.glob("*")) if packages.is_dir() else []
    if proc.returncode != 0 or len(built) != 2:
        fail(f"building demo-pkg 1.0 failed (exit {proc.returncode}; build, hatchling installed?):\n"
             f"{proc.stdout[-1500:]}{proc.stderr[-1500:]}")
    return packages, built


class PypiServer:
    """`pypi-server run` on a free 127.0.0.1 port, without auth or fallback to the public index.

    Started as a child process and stopped by its PID (SIGTERM, then SIGKILL after 5 s).
    """

    def __init__(self, packages: Path, log: Path, env: dict[str, str]) -> None:
        self.packages, self.log, self.env = packages, log, env
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.start_s = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def start(self) -> None:
        for _attempt in range(3):
            self.port = free_port()
            argv = [venv_tool("pypi-server"), "run", "-i", "127.0.0.1", "-p", str(self.port),
                    "--disable-fallback", "-a", ".", "-P", ".", str(self.packages)]
            started = time.perf_counter()
            with self.log.open("ab") as log:
                self.proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=self.env,
                                             stdin=subprocess.DEVNULL)
            deadline = started + SERVER_START_TIMEOUT_S
            while time.perf_counter() < deadline and self.proc.poll() is None:
                status, body = http_get(f"{self.url}simple/demo-pkg/", timeout=1.0)
                if status == 200 and "demo" in body and "1.0" in body:
                    self.start_s = time.perf_counter() - started
                    return
                time.sleep(0.05)
            self.stop()
        fail(f"pypiserver did not serve demo-pkg on 127.0.0.1 (last port {self.port}); its log:\n"
             f"{self.log.read_text(errors='replace')[-2000:]}")

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None

    def cpu_seconds(self) -> float | None:
        return None if self.proc is None else process_cpu_seconds(self.proc.pid)


def process_cpu_seconds(pid: int) -> float | None:
    """User + system time of a running process and its reaped children (Linux /proc), else None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rpartition(")")[2].split()  # after "pid (comm)": field 3 is fields[0]
    return sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")


# --------------------------------------------------------------------------- the latency server


class LatencyServer:
    """A Simple API on 127.0.0.1 that sleeps LATENCY_S before each answer.

    `http.server.ThreadingHTTPServer` in a daemon thread of this process: one thread per
    connection, so concurrent requests wait concurrently, as they do on a real index. Every
    project `pkg-NN` exists with an sdist and a wheel of 0.9 (PEP 691 JSON, API 1.0); any
    other path is a 404 after the same wait. Counts requests and the most served at once.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.paths: Counter[str] = Counter()
        bench = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # the name http.server calls
                with bench.lock:
                    bench.requests += 1
                    bench.in_flight += 1
                    bench.max_in_flight = max(bench.max_in_flight, bench.in_flight)
                    bench.paths[self.path] += 1
                try:
                    time.sleep(LATENCY_S)
                    parts = [p for p in self.path.split("?")[0].split("/") if p]
                    if len(parts) == 2 and parts[0] == "simple" and parts[1].startswith("pkg-"):
                        self._answer(200, simple_json(parts[1]))
                    else:
                        self._answer(404, b"not found\n", "text/plain")
                finally:
                    with bench.lock:
                        bench.in_flight -= 1

            def _answer(self, status: int, body: bytes,
                        content_type: str = "application/vnd.pypi.simple.v1+json") -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # quiet: no line per request
                return

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 128  # the default backlog of 5 could refuse a burst of connections

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port: int = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, name="latency-server",
                                       daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def reset_counts(self) -> None:
        with self.lock:
            self.requests = self.max_in_flight = 0
            self.paths.clear()


def simple_json(name: str) -> bytes:
    """A PEP 691 project page: an sdist and a wheel of 0.9."""
    dist = name.replace("-", "_")
    files = [{"filename": f"{dist}-0.9{ext}", "url": f"../../files/{dist}-0.9{ext}",
              "hashes": {"sha256": "0" * 64}} for ext in (".tar.gz", "-py3-none-any.whl")]
    return json.dumps({"meta": {"api-version": "1.0"}, "name": name, "files": files}).encode()


# --------------------------------------------------------------------------- the repositories


def build_demo_repo(tmp: Path, env: dict[str, str]) -> Path:
    """demo-pkg at 1.0 tagged v1.0 (on the index), then at 1.1 tagged v1.1 (not on it)."""
    repo = tmp / "demo"
    repo.mkdir()
    benv = build_env(env)
    git(repo, benv, "init", "-q", "-b", "main")
    write(repo / "src" / "demo_pkg" / "__init__.py", '"""Demo."""\n')
    write(repo / "README.md", "# demo-pkg\n")
    for version in ("1.0", "1.1"):
        write(repo / "pyproject.toml", DEMO_PYPROJECT.format(version=version))
        git(repo, benv, "add", "-A")
        git(repo, benv, "commit", "-q", "-m", f"Release {version}")
        git(repo, benv, "tag", "-a", "-m", f"Release {version}", f"v{version}")
    return repo


def build_monorepo(tmp: Path, env: dict[str, str]) -> tuple[Path, str]:
    """PROJECTS projects pkg-NN at 1.0 in one commit, an annotated tag pkg-NN-v1.0 each, and a
    bare remote `origin`. Returns the repository and git's pre-push stdin for pushing all tags."""
    repo = tmp / "mono"
    repo.mkdir()
    benv = build_env(env)
    names = [f"pkg-{n:02d}" for n in range(PROJECTS)]
    projects = ", ".join(f'"{name}"' for name in names)
    write(repo / "pyproject.toml",
          '[tool.release-guard]\ntag-format = "{name}-v{version}"\n'
          f"projects = [{projects}]\n")
    for name in names:
        module = name.replace("-", "_")
        write(repo / name / "pyproject.toml",
              '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
              f'[project]\nname = "{name}"\nversion = "1.0"\n\n'
              f'[tool.hatch.build.targets.wheel]\npackages = ["src/{module}"]\n')
        write(repo / name / "src" / module / "__init__.py", f'"""{name}."""\n')
    git(repo, benv, "init", "-q", "-b", "main")
    git(repo, benv, "add", "-A")
    git(repo, benv, "commit", "-q", "-m", "Release 1.0 of every project")
    lines = []
    for name in names:
        tag = f"{name}-v1.0"
        git(repo, benv, "tag", "-a", "-m", f"Release {tag}", tag)
        sha = git(repo, benv, "rev-parse", f"refs/tags/{tag}").strip()
        lines.append(f"refs/tags/{tag} {sha} refs/tags/{tag} {NULL_SHA}\n")
    remote = tmp / "remote.git"
    git(tmp, benv, "init", "-q", "--bare", str(remote))
    git(repo, benv, "remote", "add", "origin", str(remote))
    return repo, "".join(lines)


# --------------------------------------------------------------------------- measuring


@dataclass
class Verified:
    stdout: str
    git_processes: int  # from GIT_TRACE, one line per git process started
    git_by_command: dict[str, int]


def run_once(cmd: Command, env: dict[str, str],
             trace: Path | None = None) -> subprocess.CompletedProcess[str]:
    run_env = env if trace is None else {**env, "GIT_TRACE": str(trace)}
    return subprocess.run(cmd.argv, cwd=cmd.cwd, env=run_env, capture_output=True, check=False,
                          text=True, input=None if cmd.stdin is None else cmd.stdin.decode())


def verify(cmd: Command, env: dict[str, str], scratch: Path, expect_exit: int = 0,
           expect_stdout: str | None = None) -> Verified:
    """Run `cmd` once under GIT_TRACE; stop (exit 2) with its output unless it exits as expected."""
    trace = scratch / f"git-trace-{cmd.key}-{expect_exit}.txt"
    proc = run_once(cmd, env, trace)
    if proc.returncode != expect_exit or (expect_stdout is not None and expect_stdout not in proc.stdout):
        expected = f" and {expect_stdout!r} on stdout" if expect_stdout else ""
        fail(f"`{cmd.label}` does not behave as the benchmark needs (in {cmd.cwd}; --keep keeps it): "
             f"exit {proc.returncode} (expected {expect_exit}{expected})\n"
             f"--- argv\n{shlex.join(cmd.argv)}\n--- stdout\n{proc.stdout}--- stderr\n{proc.stderr}")
    by_command: Counter[str] = Counter()
    if trace.exists():
        for line in trace.read_text(errors="replace").splitlines():
            _, sep, command = line.partition("trace: built-in: git ")
            if sep:
                words = command.split()
                by_command[" ".join(words[:2]) if words[:1] == ["cat-file"] else words[0]] += 1
    return Verified(proc.stdout.strip(), sum(by_command.values()), dict(by_command.most_common()))


# --------------------------------------------------------------------------- main


def verdicts(by_key: dict[str, Command]) -> list[Verdict]:
    med = {k: statistics.median(c.samples) * 1000 for k, c in by_key.items()}
    out = []
    if "one-local" in med:
        out.append(Verdict("one project (local pypiserver)", round(med["one-local"], 1),
                           BUDGET_ONE_LOCAL_MS, "ms", med["one-local"] <= BUDGET_ONE_LOCAL_MS))
    if "push-20" in med and "one-latency" in med:
        ratio = med["push-20"] / med["one-latency"]
        out.append(Verdict(f"{PROJECTS} projects / one project (both with {LATENCY_S * 1000:.0f} ms latency)",
                           round(ratio, 3), BUDGET_PUSH_RATIO, "x", ratio <= BUDGET_PUSH_RATIO))
    return out


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = bench_parser(__doc__, 15, KEYS, "--only push-20 --only one-latency")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary directory (repositories, packages, server log) "
                        "and print its path")
    return parse_checked(parser, argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with scratch_dir("rg-bench-tag-", args.keep, lambda tmp: f"kept: {tmp}  (demo/, mono/, packages/, "
                     f"pypiserver.log; HOME for git: {tmp / 'home'})") as tmp:
        home = tmp / "home"
        home.mkdir()
        # Also no twine or proxy variables, and an empty HOME (no ~/.pypirc, no ~/.netrc).
        env = bench_env(home, drop_prefixes=("TWINE_",), drop=("NETRC", "SKIP"), drop_proxies=True)
        pypiserver = PypiServer(tmp / "packages", tmp / "pypiserver.log", env)
        latency = LatencyServer()
        try:
            return run(args, tmp, env, pypiserver, latency)
        finally:
            pypiserver.stop()
            latency.stop()


def run(args: argparse.Namespace, tmp: Path, env: dict[str, str], pypiserver: PypiServer,
        latency: LatencyServer) -> int:
    started = time.perf_counter()
    _, built = build_distributions(tmp, env)
    demo = build_demo_repo(tmp, env)
    mono, push_stdin = build_monorepo(tmp, env)
    setup_s = time.perf_counter() - started
    pypiserver.start()
    latency.start()

    py, rg = sys.executable, venv_tool("release-guard")
    lat_index = ["--repository-url", f"{latency.url}/", "--index-url", f"{latency.url}/simple/"]
    all_commands = [
        Command("python", "python -c pass", [py, "-c", "pass"], tmp),
        Command("one-local", "check-tag v1.1 (local pypiserver)",
                [rg, "check-tag", "v1.1", "--repository-url", pypiserver.url], demo),
        Command("one-latency", f"check-tag pkg-00-v1.0 ({LATENCY_S * 1000:.0f} ms server)",
                [rg, "check-tag", "pkg-00-v1.0", *lat_index], mono),
        Command("push-20", f"pre-push, {PROJECTS} tags ({LATENCY_S * 1000:.0f} ms server)",
                [rg, "pre-push", "origin", str(tmp / "remote.git"), *lat_index], mono,
                stdin=push_stdin.encode()),
    ]
    by_key_all = {c.key: c for c in all_commands}
    commands = [c for c in all_commands if not args.only or c.key in args.only]

    # Each release-guard command once, as it will be timed, and a check that the index is read:
    # v1.0 of demo-pkg is on the pypiserver, so checking that tag must fail (exit 1).
    checks: dict[str, Verified] = {}
    released_v10 = Command("v1.0", "check-tag v1.0 (local pypiserver)",
                           [rg, "check-tag", "v1.0", "--repository-url", pypiserver.url], demo)
    checks["one-local released v1.0 (expect exit 1)"] = verify(released_v10, env, tmp, expect_exit=1,
                                                               expect_stdout="1.0")
    checks["one-local"] = verify(by_key_all["one-local"], env, tmp, expect_stdout="ok")
    latency.reset_counts()
    checks["one-latency"] = verify(by_key_all["one-latency"], env, tmp, expect_stdout="ok")
    one_requests = latency.requests
    latency.reset_counts()
    checks["push-20"] = verify(by_key_all["push-20"], env, tmp, expect_stdout="ok")
    push_requests, push_max_in_flight = latency.requests, latency.max_in_flight
    push_paths = sorted(latency.paths)

    source = measured_source()
    with OtherLoad(pypiserver.cpu_seconds) as other_load:
        time_round_robin(commands, env, args.runs, args.warmup)
    m = machine(other_load)
    by_key = {c.key: c for c in commands}
    results = verdicts(by_key)
    med = {k: statistics.median(c.samples) * 1000 for k, c in by_key.items()}
    vs_python = {k: round(v / med["python"], 2) for k, v in med.items()
                 if "python" in med and k != "python"}
    setup = {"built": built, "setup_s": round(setup_s, 2), "pypiserver_url": pypiserver.url,
             "pypiserver_start_s": round(pypiserver.start_s, 2), "latency_server_url": latency.url,
             "latency_ms": LATENCY_S * 1000, "projects": PROJECTS}
    index_requests = {"one-latency": one_requests, "push-20": push_requests,
                      "push-20_max_concurrent": push_max_in_flight, "push-20_paths": push_paths}

    if args.json:
        print(json.dumps({
            **json_head("release-guard check-tag / pre-push", args, m, source),
            "setup": setup,
            "verified": {k: asdict(v) for k, v in checks.items()},
            "index_requests_per_run": index_requests,
            "pypiserver_cpu_while_timing_s": None if other_load.server_cpu is None
            else round(other_load.server_cpu, 3),
            "commands": {c.key: command_json(c, with_cwd=True) for c in commands},
            "ratio_to_python": vs_python,
            "budgets": [asdict(v) for v in results],
        }, indent=2))
        return 0

    print_header("release-guard check-tag", args, m, source)
    print(f"pypiserver at {pypiserver.url} (serving {', '.join(built)}; up in {pypiserver.start_s:.1f} s); "
          f"latency server at {latency.url}/simple/ ({LATENCY_S * 1000:.0f} ms per request)")
    print("verified once (exit code, and git processes counted with GIT_TRACE):")
    for key, v in checks.items():
        first = v.stdout.splitlines()[0] if v.stdout else ""
        shown = first if len(first) <= 100 else first[:60] + " ... " + first[-35:]
        gits = ", ".join(f"{n} {c}" for c, n in v.git_by_command.items())
        print(f"  {key}: {shown!r}\n      {v.git_processes} git processes ({gits})")
    print(f"latency server requests: {one_requests} for one project; {push_requests} for the "
          f"{PROJECTS}-tag push (expected {PROJECTS}), at most {push_max_in_flight} at once"
          + ("" if push_requests == PROJECTS else f"  <- not one request per project: {push_paths}"))
    print_table(commands)
    if vs_python:
        print("\nratio to python -c pass (for information): "
              + ", ".join(f"{k} {v:.1f}x" for k, v in vs_python.items()))
    if results:
        print()
        for result in results:
            verdict = "PASS" if result.holds else "FAIL"
            if result.unit == "ms":
                print(f"{result.name}: {result.value:.0f} ms — budget <= {result.budget:.0f} ms {verdict}")
            else:
                print(f"{result.name}: {result.value:.2f}{TIMES} — budget <= {result.budget:.1f}{TIMES} "
                      f"{verdict}")
    print_other_load(other_load, "pypiserver")
    return 0


if __name__ == "__main__":
    sys.exit(main())
