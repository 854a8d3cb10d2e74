"""The credentials `twine upload` would send, found in twine's order, each with its source.

twine 7 (`twine.auth.Resolver`): the username is TWINE_USERNAME, else `__token__` for its own
default targets (the public index and its test instance, whatever .pypirc says), else the
target's own (.pypirc section, `[server-login]`, URL userinfo), else keyring, else a prompt.
The password is TWINE_PASSWORD (even when set but empty), else the target's own, else keyring,
else — for its default targets with `__token__` — trusted publishing, else a prompt.

Keyring is asked only when the caller says so (`check-auth --keyring`) and keyring can be
imported: a keyring backend may open a desktop dialog or wait on D-Bus, which a check must
not do unasked. `keyring` says what became of it, in words.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from release_guard.index.pypirc import _twine_default_urls
from release_guard.index.targets import _choose_target, _Target

TOKEN_USERNAME = "__token__"  # noqa: S105 - twine's username for tokens, no secret
TWINE_DEFAULT_USERNAME = "twine's default for this index"


@dataclass(frozen=True)
class Credential:
    """One credential and where it came from ("TWINE_PASSWORD", ".pypirc [pypi]", "keyring").
    `value` None: none was found (`source` is then "")."""

    value: str | None = field(default=None, repr=False)
    source: str = ""


@dataclass(frozen=True)
class UploadCredentials:
    """What twine would send to `upload_url`. `keyring` says whether keyring was asked and
    what it gave, in words; `twine_default` is twine's own test for its default targets."""

    upload_url: str
    username: Credential
    password: Credential
    keyring: str = ""
    twine_default: bool = False
    config_file: str | None = None  # the .pypirc file the password was read from, when it was


def is_twine_default(upload_url: str) -> bool:
    """twine's `Resolver.is_pypi`: the URL starts with one of its default targets."""
    return upload_url.startswith(tuple(_twine_default_urls().values()))


def upload_credentials(
    repository: str | None,
    repository_url: str | None,
    config_file: str | os.PathLike[str] | None,
    environ: Mapping[str, str],
    *,
    repository_from_project: bool = False,
    use_keyring: bool = False,
) -> UploadCredentials:
    """The username and password `twine upload` would send to the target these arguments
    choose (the arguments of `targets.resolve_repository`). Raises RepositoryError as it does."""
    target = _choose_target(repository, repository_url, config_file, environ, repository_from_project)
    default = is_twine_default(target.upload_url)
    username = _username(target, environ, default)
    password = Credential(environ["TWINE_PASSWORD"], "TWINE_PASSWORD") if "TWINE_PASSWORD" in environ \
        else Credential(target.password, target.password_from) if target.password is not None \
        else Credential()
    note = ""
    if password.value is None:
        username, password, note = _from_keyring(target, username, use_keyring)
    from_file = target.name is not None and password.source not in ("", "TWINE_PASSWORD", "keyring")
    config = (os.fspath(config_file) if config_file is not None else "~/.pypirc") if from_file else None
    return UploadCredentials(target.upload_url, username, password, note, default, config)


def _username(target: _Target, environ: Mapping[str, str], default: bool) -> Credential:
    given = environ.get("TWINE_USERNAME")
    if given:
        return Credential(given, "TWINE_USERNAME")
    if default:
        return Credential(TOKEN_USERNAME, TWINE_DEFAULT_USERNAME)
    if given is not None:
        return Credential("", "TWINE_USERNAME")  # set but empty: twine takes it as it is
    if target.username is not None:
        return Credential(target.username, target.username_from)
    return Credential()


def _from_keyring(target: _Target, username: Credential,
                  use_keyring: bool) -> tuple[Credential, Credential, str]:
    """(username, password, what became of keyring), asking it only when `use_keyring`."""
    if not use_keyring:
        return username, Credential(), "keyring was not asked: --keyring asks it, as twine would"
    try:
        import keyring
    except ImportError:
        return username, Credential(), "--keyring: keyring is not installed, so it was not asked"
    try:
        if username.value is None:
            found = keyring.get_credential(target.upload_url, None)
            if found is not None and found.username:
                username = Credential(found.username, "keyring")
        password = keyring.get_password(target.upload_url, username.value or "")
    except Exception as exc:  # any backend may fail in its own way; its message may hold a secret
        return username, Credential(), f"--keyring: keyring failed ({type(exc).__name__})"
    if password is None:
        return username, Credential(), "--keyring: keyring holds no password for this index"
    return username, Credential(password, "keyring"), "keyring was asked"
