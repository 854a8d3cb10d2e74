from __future__ import annotations

from release_guard.cli import console

console()
