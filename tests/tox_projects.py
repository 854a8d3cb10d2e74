"""Real tox, run as a subprocess in temporary projects (tests/test_tox_plugin.py, test_tox_release.py).

tox loads release-guard's plugin from its entry point, as it does for a user who installed
release-guard beside tox. An environment tox creates installs with pip offline, from the
wheelhouse the README's test command downloads beside the checkout (`.wheelhouse/`).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import need

CHECKOUT = Path(__file__).resolve().parents[1]
WHEELHOUSE = Path(os.environ.get("RELEASE_GUARD_WHEELHOUSE", CHECKOUT / ".wheelhouse"))
WHEELHOUSE_MISSING = (f"no wheelhouse at {WHEELHOUSE}: run `python -m pip download -d .wheelhouse "
                      "'.[release]' 'setuptools>=77'` first (the README's test command does)")
TIMEOUT = 300

# Each variable that tox reads as an option (TOX_*) or that says a tox run is under way.
_TOX_VARIABLES = ("TOX_", "_TOX")
# What conftest's clean_environment drops for each test, for fixtures that outlive one test.
_OUTSIDE_VARIABLES = ("PRE_COMMIT", "RELEASE_GUARD_", "GIT_", "TWINE_", "PIP_", "VIRTUALENV_")
_PROXIES = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy")


def offline_pip() -> dict[str, str]:
    """pip installs from the wheelhouse alone; virtualenv looks for no update."""
    need(any(WHEELHOUSE.glob("*.whl")), WHEELHOUSE_MISSING)
    return {
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(WHEELHOUSE),
        "PIP_INDEX_URL": "http://127.0.0.1:9/simple/",  # were it asked, it would fail
        "VIRTUALENV_NO_PERIODIC_UPDATE": "1",
    }


def require_local_release_guard() -> None:
    """The plugin's environment installs the release-guard under test from where it was
    installed: this checkout (`pip install -e .`), or else an index, which tests never reach."""
    from release_guard.tox_plugin import running_requirement

    need(CHECKOUT.as_uri() in running_requirement(),
         f"release-guard under test is not installed from {CHECKOUT} ({running_requirement()}): "
         "its release environment would install it from an index")


def tox_environ(**extra: str) -> dict[str, str]:
    """The test's environment (already cleaned by conftest) without tox's own variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(_TOX_VARIABLES)}
    env.update(extra)
    return env


def isolated_environ(home: Path, **extra: str) -> dict[str, str]:
    """For a module-scoped fixture, which runs before conftest's clean_environment: the
    same clean environment, built by hand."""
    drop = _TOX_VARIABLES + _OUTSIDE_VARIABLES
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(drop) and k not in ("GITHUB_ACTIONS", "NO_COLOR", "CI")}
    env.update(dict.fromkeys(_PROXIES, "http://127.0.0.1:9"))
    env.update(NO_PROXY="127.0.0.1,localhost,::1", no_proxy="127.0.0.1,localhost,::1", HOME=str(home),
               GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=str(home / ".gitconfig"))
    env.update(extra)
    return env


def run_tox(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tox", *args], cwd=cwd, env=env or tox_environ(),
                          capture_output=True, text=True, check=False, timeout=TIMEOUT)


def output(proc: subprocess.CompletedProcess[str]) -> str:
    return proc.stdout + proc.stderr


def env_python_bin(env_dir: Path) -> Path:
    return env_dir / ("Scripts" if sys.platform == "win32" else "bin")
