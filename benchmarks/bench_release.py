#!/usr/bin/env python3
"""Wall-clock benchmark of `release-guard release --dry-run` against what it replaces,
`python -m build` followed by `twine check --strict`, with the same isolation and installer,
in one run, interleaved round-robin.

Sets up, in a temporary directory: a sample setuptools project (a Markdown README, a
license expression, a classifier) committed to a git repository, and a real, empty
pypiserver on 127.0.0.1 for release's index read. Isolated builds install their build
requirements offline from the checkout's `.wheelhouse/` (PIP_NO_INDEX, PIP_FIND_LINKS),
for both rows alike.

* ``rm -rf dist build; python -m build; twine check --strict dist/*``   the baseline
* ``release-guard release --dry-run --repository-url URL``              steps 1-7: check-version,
  tags, the index (read while git works), clean, the same build, check-dist in-process,
  file names; it stops before the upload

Each pair runs with build isolation (pip), with `--no-isolation`, and with `--installer uv`
when uv is on PATH. Budget (from the issue): release --dry-run <= 1.0x the baseline, with
isolation. The script reports; it asserts nothing (exit 0 whether or not the budget holds,
2 when it cannot run).

    .venv/bin/python benchmarks/bench_release.py [--runs N] [--warmup N] [--json]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from _timing import (
    Command,
    OtherLoad,
    bench_env,
    fail,
    git,
    print_other_load,
    scratch_dir,
    summary,
    time_round_robin,
    venv_tool,
)
from bench_check_tag import PypiServer

BUDGET_RATIO = 1.0
CHECKOUT = Path(__file__).resolve().parents[1]
PYPROJECT = """[build-system]
requires = ["setuptools>=77"]
build-backend = "setuptools.build_meta"

[project]
name = "bench-release"
version = "1.0"
description = "A benchmark sample"
readme = "README.md"
license = "MIT"
classifiers = ["Programming Language :: Python :: 3"]
"""


def _sample(root: Path, env: dict[str, str]) -> Path:
    project = root / "bench-release"
    (project / "src" / "bench_release").mkdir(parents=True)
    (project / "pyproject.toml").write_text(PYPROJECT)
    (project / "README.md").write_text("# bench-release\n\nA sample.\n" * 20)
    (project / "src" / "bench_release" / "__init__.py").write_text('"""A sample."""\n')
    (project / ".gitignore").write_text("dist/\nbuild/\n*.egg-info/\n")
    git(project, env, "init", "-q", "-b", "main")
    git(project, env, "add", "-A")
    git(project, env, "-c", "user.name=bench", "-c", "user.email=bench@example.invalid",
        "commit", "-q", "-m", "sample")
    return project


def _pair(key: str, label: str, flags: list[str], project: Path, url: str) -> list[Command]:
    python, twine, guard = sys.executable, venv_tool("twine"), venv_tool("release-guard")
    baseline = (f"rm -rf dist build src/*.egg-info && {python} -m build {' '.join(flags)} --outdir dist . "
                f">/dev/null && {twine} check --strict dist/*")
    return [
        Command(f"build+twine{key}", f"python -m build {' '.join(flags)} + twine check --strict{label}",
                ["bash", "-c", baseline], project),
        Command(f"release{key}", f"release-guard release --dry-run {' '.join(flags)}{label}",
                [guard, "release", "--dry-run", *flags, "--repository-url", url], project),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    wheelhouse = CHECKOUT / ".wheelhouse"
    if not any(wheelhouse.glob("setuptools-*.whl")):
        fail(f"no setuptools wheel in {wheelhouse}: run the README's test command first")
    with scratch_dir("bench-release-", args.keep, lambda p: f"kept {p}") as root:
        (root / "home").mkdir()
        env = bench_env(root / "home", drop_prefixes=("TWINE_", "PIP_", "UV_"), drop_proxies=True)
        env.update({"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheelhouse),
                    "UV_OFFLINE": "1", "UV_FIND_LINKS": str(wheelhouse)})
        project = _sample(root, env)
        (root / "packages").mkdir()
        server = PypiServer(root / "packages", root / "pypiserver.log", env)
        try:
            _start_empty(server)
            commands = _pair("", " (isolated, pip)", [], project, server.url)
            commands += _pair("-noiso", " (--no-isolation)", ["--no-isolation"], project, server.url)
            if shutil.which("uv") or Path(sys.executable).with_name("uv").exists():
                commands += _pair("-uv", " (isolated, uv)", ["--installer", "uv"], project, server.url)
            with OtherLoad() as other_load:
                time_round_robin(commands, env, args.runs, args.warmup)
        finally:
            server.stop()
    return _report(commands, args.json, other_load)


def _start_empty(server: PypiServer) -> None:
    """PypiServer.start waits for demo-pkg; an empty index is up once /simple/ answers."""
    import subprocess
    import time

    from bench_check_tag import SERVER_START_TIMEOUT_S, free_port, http_get

    server.port = free_port()
    argv = [venv_tool("pypi-server"), "run", "-i", "127.0.0.1", "-p", str(server.port),
            "--disable-fallback", "-a", ".", "-P", ".", str(server.packages)]
    with server.log.open("ab") as log:
        server.proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=server.env,
                                       stdin=subprocess.DEVNULL)
    deadline = time.perf_counter() + SERVER_START_TIMEOUT_S
    while time.perf_counter() < deadline and server.proc.poll() is None:
        if http_get(f"{server.url}simple/", timeout=1.0)[0] == 200:
            return
        time.sleep(0.05)
    server.stop()
    fail(f"pypiserver did not start; its log:\n{server.log.read_text(errors='replace')[-2000:]}")


def _report(commands: list[Command], as_json: bool, other_load: OtherLoad) -> int:
    import statistics

    results = {c.key: {"label": c.label, **summary(c.samples),
                       "cpu_median_ms": statistics.median(c.cpu) * 1000,
                       "failures": c.failures, "runs": len(c.samples)} for c in commands}
    ratios = {}
    for suffix in ("", "-noiso", "-uv"):
        if f"release{suffix}" in results:
            ratios[suffix.lstrip("-") or "isolated"] = (results[f"release{suffix}"]["median_ms"]
                                            / results[f"build+twine{suffix}"]["median_ms"])
    isolated = ratios["isolated"]
    verdict = {"ratio": isolated, "budget": BUDGET_RATIO, "holds": isolated <= BUDGET_RATIO,
               "ratios": ratios, "uv": "uv" in ratios}
    if as_json:
        print(json.dumps({"results": results, "verdict": verdict, "other_load": other_load.share}, indent=2))
        return 0
    print(f"{'command':66} {'median':>8} {'p10':>8} {'p90':>8} {'cpu':>8}  exit!=0")
    for row in results.values():
        print(f"{row['label']:66} {row['median_ms']:7.0f}ms {row['p10_ms']:7.0f}ms {row['p90_ms']:7.0f}ms"
              f" {row['cpu_median_ms']:7.0f}ms  {row['failures']}/{row['runs']}")
    for name, ratio in ratios.items():
        print(f"release --dry-run / build + twine check --strict ({name}): {ratio:.2f}x")
    if not verdict["uv"]:
        print("uv is not on PATH: no figure with --installer uv")
    print(f"budget (isolated) <= {BUDGET_RATIO}x: {'holds' if verdict['holds'] else 'MISSED'}")
    print_other_load(other_load)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
