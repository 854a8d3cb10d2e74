"""The upload target, chosen as twine chooses it, and the URL its index is read from.

`resolve_repository` reads flags, twine's environment variables, `.pypirc` and twine's
own default URLs. No secret is ever printed: `Repository` hides its credentials from
`repr`, and every URL in a message goes through `sanitize_url`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from release_guard.errors import RepositoryError
from release_guard.index.pypirc import (
    DEFAULT_CONFIG_FILE,
    _netrc_credentials,
    _pypirc_sections,
    _read_pypirc,
    _twine_default_urls,
)


@dataclass(frozen=True)
class Repository:
    """Where releases are uploaded and where the index is read.

    `credential_origin` is the `scheme://host:port` the credentials were configured
    for (the upload URL's for `.pypirc`/environment/URL credentials, the index's for
    `~/.netrc`); reads send them only when it is the index's own origin. None means
    the index's origin.
    """

    name: str | None
    upload_url: str
    index_url: str
    username: str | None = field(repr=False)
    password: str | None = field(repr=False)
    credential_origin: str | None = field(default=None, repr=False)

    def display_url(self) -> str:
        """The index URL with any userinfo stripped, safe to print."""
        return sanitize_url(self.index_url)

    def __repr__(self) -> str:
        return (
            f"Repository(name={self.name!r}, upload_url={sanitize_url(self.upload_url)!r}, "
            f"index_url={self.display_url()!r})"
        )



def sanitize_url(url: str) -> str:
    """`url` without userinfo (`user:password@`).

    Everything up to the last `@` goes: a raw token or password may hold `/` or `@`, which
    would make a parser misplace the host and print the secret. A path with an `@` is
    shown shortened; a secret is never shown.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        scheme, rest = "", url
    return f"{scheme}{sep}{rest.rpartition('@')[2]}"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _mask(text: str, secret: str | None) -> str:
    """Server-supplied `text` with `secret` masked, should a careless server echo it."""
    return text.replace(secret, "********") if secret else text


def _origin(url: str) -> str:
    """`scheme://host:port` with the default port filled in, lower-cased."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        return f"{scheme}://{parts.netloc.rpartition('@')[2].lower()}"
    port = port or {"http": 80, "https": 443}.get(scheme)
    return f"{scheme}://{(parts.hostname or '').lower()}:{port}"


def _valid_http_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
        _ = parts.port
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def _split_userinfo(url: str) -> tuple[str, str | None, str | None]:
    """(url without userinfo, username, password) — as twine reads a repository URL."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, None, None
    host = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=host).geturl(), parts.username, parts.password


def derive_index_url(upload_url: str) -> str:
    """The Simple API base (ending in "/") that belongs to an upload URL.

    The rule is purely textual; query, fragment and userinfo are dropped:

    * Warehouse: a path of exactly `/legacy/` reads from `/simple/` on the same host
      with a leading `upload.` removed (`https://upload.<host>/legacy/` →
      `https://<host>/simple/`; `https://test.<host>/legacy/` →
      `https://test.<host>/simple/`).
    * pypiserver: the root URL `http://host:port/` → `http://host:port/simple/`.
    * devpi: a path of exactly two segments `/<user>/<index>/` → `<index>/+simple/`,
      except Nexus-style `/repository/<name>/`, which takes `<url>/simple/`.
    * anything else: `<url>/simple/`.
    """
    parts = urlsplit(sanitize_url(upload_url))
    segments = [s for s in parts.path.split("/") if s]
    if segments == ["legacy"]:
        return f"{parts.scheme}://{parts.netloc.removeprefix('upload.')}/simple/"
    base = f"{parts.scheme}://{parts.netloc}/" + "".join(f"{s}/" for s in segments)
    if len(segments) == 2 and segments[0] != "repository":
        return f"{base}+simple/"
    return f"{base}simple/"



@dataclass(frozen=True)
class _Target:
    name: str | None
    upload_url: str
    username: str | None = field(repr=False)
    password: str | None = field(repr=False)


def _target_from_config(name: str, config_file: str | os.PathLike[str] | None) -> _Target:
    shown = DEFAULT_CONFIG_FILE if config_file is None else os.fspath(config_file)
    parser = _read_pypirc(config_file)
    known = _pypirc_sections(parser)
    if name not in known:
        raise RepositoryError(
            f"repository '{sanitize_url(_one_line(name))}' is not defined in {shown} "
            f"(it defines: {', '.join(known)})",
            hint=f"use one of those names, add [{name}] to [distutils] index-servers "
            "with its own section, or pass --repository-url",
        )
    options = known[name]
    url = options.get("repository") or ""
    if not url and name in ("pypi", "testpypi"):
        url = _twine_default_urls()[name]
    if not url:
        raise RepositoryError(
            f"section [{name}] in {shown} has no repository URL",
            hint=f"add 'repository = <upload URL>' to [{name}]",
        )
    if not _valid_http_url(url):
        raise RepositoryError(
            f"repository '{name}' in {shown} has an invalid URL: {sanitize_url(url)}",
            hint="use an http:// or https:// URL with a host",
        )
    upload_url, url_user, url_password = _split_userinfo(url)
    username = options.get("username", parser.get("server-login", "username", fallback=None))
    password = options.get("password", parser.get("server-login", "password", fallback=None))
    return _Target(name, upload_url, username or url_user, password or url_password)


def _target_from_url(url: str) -> _Target:
    if not _valid_http_url(url):
        raise RepositoryError(
            f"invalid repository URL: {sanitize_url(url)}",
            hint="use an http:// or https:// URL with a host (--repository-url)",
        )
    upload_url, username, password = _split_userinfo(url)
    return _Target(None, upload_url, username, password)


def _choose_target(
    repository: str | None,
    repository_url: str | None,
    config_file: str | os.PathLike[str] | None,
    env: Mapping[str, str],
) -> _Target:
    """Twine's order: a URL beats a name; flags beat TWINE_REPOSITORY(_URL)."""
    name = repository or None
    url = repository_url or None
    if url is None and name is not None and "://" in name:
        url, name = name, None
    url = url or env.get("TWINE_REPOSITORY_URL") or None
    name = name or env.get("TWINE_REPOSITORY") or "pypi"
    if url is None and "://" in name:
        url = name
    if url is not None:
        return _target_from_url(url)
    return _target_from_config(name, config_file)


def _credentials(
    target: _Target, index_url: str, env: Mapping[str, str]
) -> tuple[str | None, str | None, str]:
    """(username, password, origin they belong to): environment, then the target's
    own (URL userinfo or .pypirc), then userinfo of index-url, then netrc."""
    username = env.get("TWINE_USERNAME") or target.username
    password = env.get("TWINE_PASSWORD") or target.password
    origin = _origin(target.upload_url)
    if username is None and password is None:
        _, username, password = _split_userinfo(index_url)
        origin = _origin(index_url)
        if username is None and password is None:
            found = _netrc_credentials(index_url, env)
            username, password = found if found else (None, None)
    if username is None and password is not None and target.upload_url.startswith(
        tuple(_twine_default_urls().values())
    ):
        username = "__token__"  # twine's default user for the public index and its test twin
    return username, password, origin


def resolve_repository(
    repository: str | None = None,
    repository_url: str | None = None,
    config_file: str | os.PathLike[str] | None = None,
    index_url: str = "",
    environ: Mapping[str, str] | None = None,
) -> Repository:
    """The upload target and its read URL, chosen as twine chooses.

    Target: `repository_url`, else `repository` when it contains "://", else
    TWINE_REPOSITORY_URL, else the repository name (`repository`, TWINE_REPOSITORY,
    "pypi") looked up in `config_file` (default ~/.pypirc, which may be absent) with
    twine's rules; `pypi` and `testpypi` default to twine's own constants.

    Read URL: `index_url` when given (a "/" is appended if missing), else
    `derive_index_url(upload_url)` — see there for the rule.

    Credentials: TWINE_USERNAME / TWINE_PASSWORD, else the userinfo of the URL or the
    `.pypirc` section (and its `[server-login]`), else the userinfo of `index_url`,
    else `NETRC` / ~/.netrc for the index host. Twine's `__token__` user is filled in
    for its default targets when only a password is known.
    """
    env = os.environ if environ is None else environ
    target = _choose_target(repository, repository_url, config_file, env)
    if index_url:
        if not _valid_http_url(index_url):
            raise RepositoryError(
                f"invalid index URL: {sanitize_url(index_url)}",
                hint="index-url must be an http:// or https:// Simple API URL",
            )
        read_url = index_url if index_url.endswith("/") else index_url + "/"
    else:
        read_url = derive_index_url(target.upload_url)
    username, password, origin = _credentials(target, read_url, env)
    return Repository(
        name=target.name,
        upload_url=target.upload_url,
        index_url=sanitize_url(read_url),
        username=username,
        password=password,
        credential_origin=origin,
    )
