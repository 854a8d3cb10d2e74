#!/usr/bin/env python3
"""Wall-clock benchmark of `release-guard check-dist --dist-dir` against `twine check --strict`
on the same files, in one run, interleaved round-robin.

The files: a small sdist and wheel built once with `python -m build --no-isolation` from a
sample project (setuptools, a Markdown README), in a temporary directory; and, with
`--realdist DIR`, the files of the public projects in DIR as well (one more pair of rows).

* ``python -c pass``                                   bare interpreter startup (informative)
* ``twine check --strict dist/*``                       the baseline
* ``release-guard check-dist --dist-dir dist``          twine's check in-process, plus the index's rules

Budget (from the issue): median wall of check-dist <= 1.2x the median of twine check --strict.
The script reports; it asserts nothing (exit 0 whether or not the budget holds, 2 when it
cannot run).

    .venv/bin/python benchmarks/bench_check_dist.py [--runs N] [--warmup N] [--json] [--realdist DIR]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

from _timing import Command, bench_env, fail, scratch_dir, summary, time_round_robin, venv_tool

BUDGET_RATIO = 1.2
PYPROJECT = """[build-system]
requires = ["setuptools>=77"]
build-backend = "setuptools.build_meta"

[project]
name = "bench-demo"
version = "1.0"
description = "A benchmark sample"
readme = "README.md"
license = "MIT"
classifiers = ["Programming Language :: Python :: 3"]
"""


def _sample(root: Path, env: dict[str, str]) -> Path:
    project = root / "bench-demo"
    (project / "src" / "bench_demo").mkdir(parents=True)
    (project / "pyproject.toml").write_text(PYPROJECT)
    (project / "README.md").write_text("# bench-demo\n\nA sample.\n" * 20)
    (project / "src" / "bench_demo" / "__init__.py").write_text('"""A sample."""\n')
    proc = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(project / "dist"),
                           str(project)], env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        fail(f"building the sample failed: {(proc.stdout + proc.stderr).strip().splitlines()[-1:]}")
    return project


REAL = ("pyparsing", "3.3.3")  # the largest pair in shared/realdist (1 MB sdist)


def _realdist(source: Path, root: Path) -> Path:
    """A project folder declaring REAL, with REAL's public sdist and wheel in dist/."""
    name, version = REAL
    project = root / "realdist"
    (project / "dist").mkdir(parents=True)
    for path in sorted(source.glob(f"{name}-{version}*")):
        shutil.copyfile(path, project / "dist" / path.name)
    (project / "pyproject.toml").write_text(f'[project]\nname = "{name}"\nversion = "{version}"\n')
    return project


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--realdist", type=Path, help="also time a folder of real distributions")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    twine = venv_tool("twine")
    guard = venv_tool("release-guard")
    with scratch_dir("bench-check-dist-", args.keep, lambda p: f"kept {p}") as root:
        env = bench_env(root / "home", drop_proxies=False)
        (root / "home").mkdir()
        project = _sample(root, env)
        files = sorted(str(p) for p in (project / "dist").iterdir())
        commands = [
            Command("python", "python -c pass", [sys.executable, "-c", "pass"]),
            Command("twine", "twine check --strict dist/*", [twine, "check", "--strict", *files], project),
            Command("check-dist", "release-guard check-dist --dist-dir dist",
                    [guard, "check-dist", "--dist-dir", "dist"], project),
        ]
        if args.realdist:
            real = _realdist(args.realdist, root)
            real_files = sorted(str(p) for p in (real / "dist").iterdir())
            commands += [
                Command("twine-real", f"twine check --strict ({REAL[0]} {REAL[1]})",
                        [twine, "check", "--strict", *real_files], real),
                Command("check-dist-real", f"release-guard check-dist --dist-dir dist ({REAL[0]})",
                        [guard, "check-dist", "--dist-dir", "dist"], real),
            ]
        time_round_robin(commands, env, args.runs, args.warmup)
    results = {c.key: {"label": c.label, **summary(c.samples), "failures": c.failures, "runs": len(c.samples)}
               for c in commands}
    ratio = results["check-dist"]["median_ms"] / results["twine"]["median_ms"]
    if "twine-real" in results:
        results["check-dist-real"]["ratio"] = (results["check-dist-real"]["median_ms"]
                                               / results["twine-real"]["median_ms"])
    verdict = {"ratio": ratio, "budget": BUDGET_RATIO, "holds": ratio <= BUDGET_RATIO}
    if args.json:
        print(json.dumps({"results": results, "verdict": verdict}, indent=2))
        return 0
    print(f"{'command':58} {'median':>8} {'p10':>8} {'p90':>8}  exit!=0")
    for row in results.values():
        print(f"{row['label']:58} {row['median_ms']:7.0f}ms {row['p10_ms']:7.0f}ms {row['p90_ms']:7.0f}ms"
              f"  {row['failures']}/{row['runs']}")
    if "twine-real" in results:
        print(f"on {REAL[0]}: check-dist / twine check --strict: {results['check-dist-real']['ratio']:.2f}x")
    print(f"check-dist / twine check --strict: {ratio:.2f}x (budget <= {BUDGET_RATIO}x: "
          f"{'holds' if verdict['holds'] else 'MISSED'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
