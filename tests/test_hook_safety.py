"""install-hook never loses a hook, never writes through a symlink, and never writes where
the change reaches beyond this clone (a tracked or shared hooks folder) without --force.

Each test here stages one of the data-loss risks found by the security probe (E6, E7, E8,
E12, E13, E18, concurrent installs) in real git repositories.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import GitRepo

PREFIX = "release-guard: error: "


# --- RELEASE_GUARD_DEBUG -------------------------------------------------------------------


def test_debug_shows_the_traceback_and_still_exits_2(repo: GitRepo, tmp_path: Path) -> None:
    """An internal error is exit 2 with RELEASE_GUARD_DEBUG=1 too (exit 1 means a failed check).

    A sitecustomize on PYTHONPATH breaks install() in the real `python -m release_guard`.
    """
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(
        "import release_guard.hook\n\n\n"
        "def broken(*args, **kwargs):\n"
        "    raise RuntimeError('broken on purpose')\n\n\n"
        "release_guard.hook.install = broken\n")
    path = os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "PYTHONPATH": path, "RELEASE_GUARD_DEBUG": "1"}
    proc = subprocess.run([sys.executable, "-m", "release_guard", "install-hook"], cwd=repo.path,
                          capture_output=True, text=True, env=env, timeout=60, check=False)
    assert proc.returncode == 2, proc
    assert "Traceback (most recent call last):" in proc.stderr
    assert "RuntimeError: broken on purpose" in proc.stderr
    last = proc.stderr.splitlines()[-1]
    assert last.startswith(f"{PREFIX}internal error: RuntimeError at sitecustomize.py:"), last
    del env["RELEASE_GUARD_DEBUG"]
    quiet = subprocess.run([sys.executable, "-m", "release_guard", "install-hook"], cwd=repo.path,
                           capture_output=True, text=True, env=env, timeout=60, check=False)
    assert quiet.returncode == 2, quiet
    assert "Traceback" not in quiet.stderr
    assert len(quiet.stderr.splitlines()) == 1
