"""Upload tokens minted as the index mints them, for the tests: pymacaroons, binary v2, the
caveats serialized as JSON with sorted keys and no spaces, and the location the index's
host — taken from twine's own default targets at run time, `upload.` removed."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pymacaroons
import twine.utils

IDENTIFIER = "5f0c7d1e-identifier-never-shown"
KEY = "0123456789abcdef" * 4  # the index's per-token secret: only the signature needs it


def index_host(which: str = "pypi") -> str:
    """The host a token of twine's default target `which` ("pypi" or "testpypi") names."""
    url = twine.utils.DEFAULT_REPOSITORY if which == "pypi" else twine.utils.TEST_REPOSITORY
    return (urlsplit(url).hostname or "").removeprefix("upload.")


def mint(*caveats: object, location: str | None = None, version: int = pymacaroons.MACAROON_V2,
         identifier: str = IDENTIFIER) -> str:
    """`pypi-` + a macaroon with these first-party caveats (each serialized as the index does)."""
    macaroon = pymacaroons.Macaroon(location=index_host() if location is None else location,
                                    identifier=identifier, key=KEY, version=version)
    for caveat in caveats:
        macaroon.add_first_party_caveat(json.dumps(caveat, sort_keys=True, separators=(",", ":")))
    return "pypi-" + macaroon.serialize()


def account_wide(**kwargs: object) -> str:
    """A token with the scope "entire account", as the index makes one today."""
    return mint([3, "a1b2c3d4-user"], **kwargs)  # type: ignore[arg-type]


def project_scoped(*names: str, **kwargs: object) -> str:
    """A token scoped to `names`, as the index makes one today (names and ids)."""
    return mint([1, list(names)], [2, [f"id-of-{n}" for n in names]], **kwargs)  # type: ignore[arg-type]
