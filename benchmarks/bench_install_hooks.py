"""The first `pre-commit install-hooks` for `version-bump`, against a floor and today's deps.

Issue 10 (lean installs): a user's first `pre-commit install-hooks` builds the hook's
environment — a virtualenv, then `pip install .` of the hook repository and of its
`additional_dependencies`. Three hook repositories are installed the same way, in one run,
round-robin, each time into a fresh PRE_COMMIT_HOME, offline from the checkout's
`.wheelhouse/` (the README's test command fills it; PIP_NO_INDEX):

- `version-bump`: this checkout (its working tree, committed into a scratch repository),
  hook `version-bump`: release-guard's core;
- `floor`: a minimal Python hook repository made here, built by the same backend
  (setuptools>=77), whose only dependency is `packaging`;
- `today`: this checkout's `version-bump` with the `release` extra's packages as
  `additional_dependencies`: the dependency set every hook installed before issue 10.

It reports the median wall time of each and its ratio to the floor, and what each hook
environment holds beyond its seed (pip, setuptools, wheel and virtualenv's `_virtualenv`
files): the sum of the file sizes in site-packages, per distribution (each distribution's
RECORD: its files, the bytecode pip compiled and its .dist-info). Budget (issue 10):
version-bump ≤ 1.2x the floor's time, ≤ 2 MB (2 MiB) beyond the seed. It reports; it
asserts nothing: exit 0 whatever the numbers, 2 when it cannot run.

    python benchmarks/bench_install_hooks.py [--runs 5] [--json] [--keep]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from _timing import bench_env, fail, git, scratch_dir

if sys.version_info >= (3, 11):
    import tomllib
else:
    import tomli as tomllib

CHECKOUT = Path(__file__).resolve().parents[1]
WHEELHOUSE = Path(os.environ.get("RELEASE_GUARD_WHEELHOUSE", CHECKOUT / ".wheelhouse"))
SEED = {"pip", "setuptools", "wheel"}
TIME_BUDGET = 1.2  # x the floor
SIZE_BUDGET = 2 * 1024 * 1024  # bytes beyond the seed
VARIANTS = ("version-bump", "floor", "today")


def _commit_copy(source: Path, target: Path, env: dict[str, str]) -> str:
    """The checkout's working tree (tracked and untracked, not ignored files) as one commit."""
    listed = subprocess.run(["git", "-C", str(source), "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"], capture_output=True, check=True).stdout
    for rel in filter(None, listed.decode().split("\0")):
        if (source / rel).is_file():
            (target / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / rel, target / rel)
    return _commit_all(target, env)


def _commit_all(repo: Path, env: dict[str, str]) -> str:
    git(repo, env, "init", "-q", "-b", "main")
    git(repo, env, "add", "-A")
    git(repo, env, "-c", "user.name=bench", "-c", "user.email=bench@example.invalid",
        "commit", "-q", "--no-verify", "-m", "bench")
    return git(repo, env, "rev-parse", "HEAD").strip()


def _floor_repo(target: Path, env: dict[str, str]) -> str:
    """The smallest Python hook repository there is that depends on packaging."""
    (target / "floor_hook").mkdir(parents=True)
    (target / "floor_hook" / "__init__.py").write_text(
        "def main() -> int:\n    import packaging.version\n\n    return 0\n")
    (target / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=77"]\nbuild-backend = "setuptools.build_meta"\n\n'
        '[project]\nname = "floor-hook"\nversion = "1.0"\ndependencies = ["packaging>=24.2"]\n\n'
        '[project.scripts]\nfloor-hook = "floor_hook:main"\n')
    (target / ".pre-commit-hooks.yaml").write_text(
        "- id: floor\n  name: floor\n  entry: floor-hook\n  language: python\n  pass_filenames: false\n")
    return _commit_all(target, env)


def _extra_packages() -> list[str]:
    data = tomllib.loads((CHECKOUT / "pyproject.toml").read_text())
    return list(data["project"]["optional-dependencies"]["release"])


def _configs(tmp: Path, checkout: tuple[Path, str], floor: tuple[Path, str]) -> dict[str, Path]:
    extra = json.dumps(_extra_packages())
    hooks = {
        "version-bump": (checkout, "version-bump", ""),
        "floor": (floor, "floor", ""),
        "today": (checkout, "version-bump", f"\n        additional_dependencies: {extra}"),
    }
    configs = {}
    for key, ((repo, rev), hook, more) in hooks.items():
        configs[key] = tmp / f"{key}.yaml"
        configs[key].write_text(f"repos:\n  - repo: {repo}\n    rev: {rev}\n    hooks:\n"
                                f"      - id: {hook}{more}\n")
    return configs


def _site_packages(store: Path) -> Path:
    found = list(store.glob("repo*/py_env-*/lib/python*/site-packages"))
    if len(found) != 1:
        fail(f"expected one hook environment in {store}, found {len(found)}")
    return found[0]


def sizes(site: Path) -> dict[str, int]:
    """Bytes per distribution in `site`, `(seed)` for the seed's. A file is its RECORD's; one
    no RECORD lists (the bytecode of pip itself, compiled as it runs) is the distribution's
    whose files share its top-level folder; virtualenv's own files count as seed."""
    owner: dict[Path, str] = {}
    top_owner: dict[str, str] = {}
    for record in site.glob("*.dist-info/RECORD"):
        name = record.parent.name.split("-")[0].replace("_", "-").lower()
        with record.open(newline="") as handle:
            for row in csv.reader(handle):
                if row and not row[0].startswith(".."):
                    owner[(site / row[0]).resolve()] = name
                    top_owner.setdefault(row[0].split("/")[0], name)
    totals: dict[str, int] = {}
    for path in site.rglob("*"):
        if not path.is_file() or path.is_symlink():
            continue
        top = path.relative_to(site).parts[0]
        name = owner.get(path.resolve()) or top_owner.get(top)
        if name is None:
            virtualenv = top.startswith("_virtualenv") or top.endswith(".virtualenv")
            name = "(seed)" if virtualenv else "(no RECORD)"
        elif name in SEED:
            name = "(seed)"
        totals[name] = totals.get(name, 0) + path.stat().st_size
    return totals


def _install(config: Path, project: Path, store: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "pre_commit", "install-hooks", "--config", str(config)],
                          cwd=project, env={**env, "PRE_COMMIT_HOME": str(store)}, capture_output=True,
                          text=True, check=False)
    took = time.perf_counter() - started
    if proc.returncode != 0:
        fail(f"pre-commit install-hooks --config {config.name} failed: {(proc.stdout + proc.stderr).strip()}")
    return took


def measure(tmp: Path, runs: int) -> dict[str, object]:
    home = tmp / "home"
    home.mkdir()
    env = bench_env(home)
    env.update({"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(WHEELHOUSE), "PIP_DISABLE_PIP_VERSION_CHECK": "1",
                "PIP_INDEX_URL": "http://127.0.0.1:9/simple/", "VIRTUALENV_NO_PERIODIC_UPDATE": "1",
                "PRE_COMMIT_COLOR": "never"})
    checkout = (tmp / "checkout", _commit_copy(CHECKOUT, tmp / "checkout", env))
    floor = (tmp / "floor", _floor_repo(tmp / "floor", env))
    project = tmp / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "1.0"\n')
    _commit_all(project, env)
    configs = _configs(tmp, checkout, floor)
    samples: dict[str, list[float]] = {key: [] for key in VARIANTS}
    held: dict[str, dict[str, int]] = {}
    for round_no in range(runs):
        order = VARIANTS[round_no % 3:] + VARIANTS[:round_no % 3]
        for key in order:
            store = tmp / f"store-{key}-{round_no}"
            samples[key].append(_install(configs[key], project, store, env))
            if key not in held:
                held[key] = sizes(_site_packages(store))
            shutil.rmtree(store, ignore_errors=True)
    floor_median = statistics.median(samples["floor"])
    result: dict[str, object] = {"runs": runs, "wheelhouse": str(WHEELHOUSE),
                                 "python": sys.version.split()[0]}
    for key in VARIANTS:
        beyond = {k: v for k, v in held[key].items() if k != "(seed)"}
        result[key] = {
            "samples_s": [round(s, 3) for s in samples[key]],
            "median_s": round(statistics.median(samples[key]), 3),
            "ratio_to_floor": round(statistics.median(samples[key]) / floor_median, 3),
            "beyond_seed_bytes": sum(beyond.values()),
            "per_distribution_bytes": dict(sorted(beyond.items(), key=lambda kv: -kv[1])),
        }
    return result


def report(result: dict[str, object]) -> None:
    print(f"first `pre-commit install-hooks`, {result['runs']} rounds, offline from {result['wheelhouse']}, "
          f"Python {result['python']}")
    print(f"  {'hook repository':14} {'median':>8} {'x floor':>8} {'beyond seed':>12}  distributions")
    for key in VARIANTS:
        row = result[key]
        assert isinstance(row, dict)
        dists = row["per_distribution_bytes"]
        shown = ", ".join(f"{name} {size / 1024:.0f} KiB" for name, size in list(dists.items())[:6])
        more = f", +{len(dists) - 6} more" if len(dists) > 6 else ""
        print(f"  {key:14} {row['median_s']:7.2f}s {row['ratio_to_floor']:7.2f}x "
              f"{row['beyond_seed_bytes'] / 2**20:9.2f} MiB  {shown}{more}")
    lean = result["version-bump"]
    assert isinstance(lean, dict)
    time_ok = lean["ratio_to_floor"] <= TIME_BUDGET
    size_ok = lean["beyond_seed_bytes"] <= SIZE_BUDGET
    print(f"budget: time {lean['ratio_to_floor']:.2f}x the floor (<= {TIME_BUDGET}x): "
          f"{'holds' if time_ok else 'FAILS'}; size {lean['beyond_seed_bytes'] / 2**20:.2f} MiB beyond "
          f"the seed (<= {SIZE_BUDGET / 2**20:.0f} MiB): {'holds' if size_ok else 'FAILS'}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=5, help="rounds (each installs all three once)")
    parser.add_argument("--json", action="store_true", help="one JSON document, raw samples included")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args(argv)
    if args.runs < 1:
        fail("--runs must be at least 1")
    if not any(WHEELHOUSE.glob("*.whl")):
        fail(f"no wheelhouse at {WHEELHOUSE}: run the README's test command first "
             "(python -m pip download --dest .wheelhouse '.[release]' 'setuptools>=77')")
    with scratch_dir("bench-install-hooks-", args.keep, lambda tmp: f"kept {tmp}") as tmp:
        result = measure(tmp, args.runs)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        report(result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
