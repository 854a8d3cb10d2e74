"""release-guard: know before the upload what the package index would refuse."""

from __future__ import annotations

__version__ = "0.1.0"
