"""The upload target, chosen as twine chooses it, and the URL its index is read from.

`resolve_repository` reads flags, twine's environment variables, `.pypirc` and twine's
own default URLs. No secret is ever printed: `Repository` hides its credentials from
`repr`, and every URL in a message goes through `sanitize_url`.

Credentials go only where the user sent them: to a target chosen outside the project (a
flag, the environment, a `.pypirc` section with its own URL), never to a repository or
index-url that the project's pyproject.toml names, and never to the public index's reads.
"""

from __future__ import annotations

import os
import re
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
    the index's origin. `read_with_credentials` is False when the index URL came from
    the project (its pyproject.toml), and `credentials_note` then says why none are sent.
    `credential_source` names where the credentials came from, never what they are.
    """

    name: str | None
    upload_url: str
    index_url: str
    username: str | None = field(repr=False)
    password: str | None = field(repr=False)
    credential_origin: str | None = field(default=None, repr=False)
    read_with_credentials: bool = field(default=True, repr=False)
    credential_source: str = field(default="", repr=False)
    credentials_note: str = field(default="", repr=False)

    def display_url(self) -> str:
        """The index URL with any userinfo stripped, safe to print."""
        return sanitize_url(self.index_url)

    def read_credentials(self) -> tuple[str, str] | None:
        """(username, password) to send with reads of the index, or None."""
        if not self.read_with_credentials or self.username is None or self.password is None:
            return None
        if self.credential_origin not in (None, _origin(self.index_url)):
            return None
        return self.username, self.password

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


# A token pasted where a name or URL belongs: PyPI's `pypi-...`, or 32+ characters of a
# key's alphabet; with a digit in it (a .pypirc section name looks like neither).
_TOKEN_LIKE = re.compile(r"(?=[\w+/=-]*\d)(?:pypi-[\w-]{16,}|[\w+/=-]{32,})")


def _masked(text: str) -> str:
    """`text` (a name or URL the user gave) safe to print: userinfo dropped, and a value shaped
    like a token shown only as a short fingerprint."""
    import hashlib

    def fingerprint(match: re.Match[str]) -> str:
        return f"(a token, sha256 {hashlib.sha256(match.group().encode()).hexdigest()[:8]})"

    return _TOKEN_LIKE.sub(fingerprint, sanitize_url(text))


def _one_line(text: str) -> str:
    """`text` as one line: CR, LF and every other whitespace run become one space."""
    return " ".join(text.split())


def is_loopback(host: str) -> bool:
    """Whether `host` is this machine: localhost, 127.0.0.0/8 or ::1."""
    import ipaddress

    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _refuse_control(value: str | None, what: str) -> None:
    """A URL or name with a CR, LF or other control character is refused before any use:
    it would inject a header, or break the one-line error."""
    if value and _CONTROL.search(value):
        shown = _CONTROL.sub(lambda m: repr(m.group())[1:-1], _masked(value))
        raise RepositoryError(
            f"{what} contains a line break or control character: {shown[:200]}",
            hint="remove it (a stray \\r often comes from a file with Windows line endings)",
        )


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
    """(url without userinfo, username, password) — as twine and requests read a URL,
    percent-decoded (`%40` is `@`)."""
    from urllib.parse import unquote

    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, None, None
    host = parts.netloc.rpartition("@")[2]
    username = None if parts.username is None else unquote(parts.username)
    password = None if parts.password is None else unquote(parts.password)
    return parts._replace(netloc=host).geturl(), username, password


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
    """`chosen_by`: "user" (a flag, the environment, a .pypirc section with its own URL),
    "project" (a URL from pyproject.toml) or "twine" (twine's default URLs).
    `username_from`/`password_from` name where the target's own credentials were read
    (".pypirc [pypi]", "--repository-url"), never what they are."""

    name: str | None
    upload_url: str
    username: str | None = field(repr=False)
    password: str | None = field(repr=False)
    chosen_by: str = "user"
    username_from: str = ""
    password_from: str = ""


def _target_from_config(name: str, config_file: str | os.PathLike[str] | None) -> _Target:
    shown = DEFAULT_CONFIG_FILE if config_file is None else os.fspath(config_file)
    parser = _read_pypirc(config_file)
    known = _pypirc_sections(parser)
    if name not in known:
        safe = _masked(_one_line(name))  # a mistyped URL may hold user:password@, or be a token
        raise RepositoryError(
            f"repository '{safe}' is not defined in {shown} (it defines: {', '.join(known)})",
            hint=f"use one of those names, add [{safe}] to [distutils] index-servers "
            "with its own section, or pass --repository-url",
        )
    options = known[name]
    url = options.get("repository") or ""
    chosen_by = "user"
    if not url and name in ("pypi", "testpypi"):
        url, chosen_by = _twine_default_urls()[name], "twine"
    _refuse_control(url, f"the repository URL of [{name}] in {shown}")
    if not url:
        raise RepositoryError(
            f"section [{name}] in {shown} has no repository URL",
            hint=f"add 'repository = <upload URL>' to [{name}]",
        )
    if not _valid_http_url(url):
        raise RepositoryError(
            f"repository '{name}' in {shown} has an invalid URL: {_masked(_one_line(url))}",
            hint="use an http:// or https:// URL with a host",
        )
    upload_url, url_user, url_password = _split_userinfo(url)
    where = ".pypirc" if config_file is None else shown
    found = {}
    for key, from_url in (("username", url_user), ("password", url_password)):
        value = options.get(key, parser.get("server-login", key, fallback=None))
        origin = f"{where} [{name}]" if key in options else f"{where} [server-login]"
        found[key] = (value, origin) if value else (from_url, f"the repository URL of {where} [{name}]")
    (username, username_from), (password, password_from) = found["username"], found["password"]
    return _Target(name, upload_url, username, password, chosen_by, username_from, password_from)


def _target_from_url(url: str, chosen_by: str, given_as: str = "the repository URL") -> _Target:
    if not _valid_http_url(url):
        raise RepositoryError(
            f"invalid repository URL: {_masked(_one_line(url))}",
            hint="use an http:// or https:// URL with a host (--repository-url)",
        )
    upload_url, username, password = _split_userinfo(url)
    return _Target(None, upload_url, username, password, chosen_by, given_as, given_as)


def _choose_target(
    repository: str | None,
    repository_url: str | None,
    config_file: str | os.PathLike[str] | None,
    env: Mapping[str, str],
    repository_from_project: bool,
) -> _Target:
    """Twine's order: a URL beats a name; flags beat TWINE_REPOSITORY(_URL).

    A URL that `repository` gives is the project's when `repository_from_project`; a name
    it gives is looked up in the user's .pypirc, whose URLs are the user's own.
    """
    name = repository or None
    url = repository_url or None
    chosen_by, given_as = "user", "--repository-url"
    if url is None and name is not None and "://" in name:
        url, name = name, None
        chosen_by = "project" if repository_from_project else "user"
        given_as = "the repository URL"
    if url is None and env.get("TWINE_REPOSITORY_URL"):
        url, chosen_by, given_as = env["TWINE_REPOSITORY_URL"], "user", "TWINE_REPOSITORY_URL"
    name = name or env.get("TWINE_REPOSITORY") or "pypi"
    if url is None and "://" in name:
        url, given_as = name, "TWINE_REPOSITORY"
    if url is not None:
        return _target_from_url(url, chosen_by, given_as)
    return _target_from_config(name, config_file)


@dataclass(frozen=True)
class _Credentials:
    username: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)
    origin: str | None = None
    source: str = ""


def _is_public(upload_url: str) -> bool:
    """Whether `upload_url` is one of twine's default targets: the public index or its twin."""
    try:
        defaults = _twine_default_urls().values()
    except RepositoryError:
        return False
    return upload_url.rstrip("/") in {url.rstrip("/") for url in defaults}


def _credentials(
    target: _Target, index_url: str, env: Mapping[str, str], index_is_users: bool, public: bool
) -> _Credentials:
    """The environment's, then the target's own (URL userinfo or .pypirc), then — for an
    index URL the user chose — its userinfo, then netrc. None for a project's target."""
    if target.chosen_by == "project":
        return _Credentials()
    username = env.get("TWINE_USERNAME") or target.username
    password = env.get("TWINE_PASSWORD") or target.password
    origin = _origin(target.upload_url)
    if env.get("TWINE_USERNAME") or env.get("TWINE_PASSWORD"):
        source = "TWINE_USERNAME/TWINE_PASSWORD"
    else:
        source = f".pypirc [{target.name}]" if target.name else "the repository URL"
    if username is None and password is None and index_is_users:
        _, username, password = _split_userinfo(index_url)
        origin, source = _origin(index_url), "the index URL"
        if username is None and password is None:
            found = _netrc_credentials(index_url, env)
            username, password = found if found else (None, None)
            source = "NETRC" if env.get("NETRC") else "~/.netrc"
    if username is None and password is not None and public:
        username = "__token__"  # twine's default user for the public index and its test twin
    if username is None and password is None:
        source = ""
    return _Credentials(username, password, origin, source)


_PROJECT_NOTE = ("release-guard sends none to {what} that pyproject.toml names: give it as {how} "
                 "to send them")


def resolve_repository(
    repository: str | None = None,
    repository_url: str | None = None,
    config_file: str | os.PathLike[str] | None = None,
    index_url: str = "",
    environ: Mapping[str, str] | None = None,
    *,
    repository_from_project: bool = False,
    index_url_from_project: bool = False,
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
    for its default targets when only a password is known. A URL `repository` that
    came from the project's pyproject.toml (`repository_from_project`) gets none at
    all; an `index_url` from there (`index_url_from_project`) is read without any.
    The public index that twine's default targets read is read without credentials, and
    netrc is never consulted for it.

    Raises RepositoryError for an unknown name, an invalid URL, or any URL or name that
    holds a line break or other control character.
    """
    env = os.environ if environ is None else environ
    for value, what in ((repository, "the repository"), (repository_url, "the repository URL"),
                        (index_url, "the index URL"),
                        (env.get("TWINE_REPOSITORY"), "TWINE_REPOSITORY"),
                        (env.get("TWINE_REPOSITORY_URL"), "TWINE_REPOSITORY_URL")):
        _refuse_control(value, what)
    target = _choose_target(repository, repository_url, config_file, env, repository_from_project)
    if index_url:
        if not _valid_http_url(index_url):
            raise RepositoryError(
                f"invalid index URL: {_masked(index_url)}",
                hint="index-url must be an http:// or https:// Simple API URL",
            )
        read_url = index_url if index_url.endswith("/") else index_url + "/"
    else:
        read_url = derive_index_url(target.upload_url)
    public = target.chosen_by == "twine" or _is_public(target.upload_url)
    index_is_users = not index_url_from_project if index_url else target.chosen_by == "user" and not public
    found = _credentials(target, read_url, env, index_is_users, public)
    note = ""
    if target.chosen_by == "project":
        note = _PROJECT_NOTE.format(what="a repository URL",
                                    how="--repository-url or RELEASE_GUARD_REPOSITORY")
    elif index_url and index_url_from_project:
        note = _PROJECT_NOTE.format(what="an index-url", how="--index-url or RELEASE_GUARD_INDEX_URL")
    return Repository(
        name=target.name,
        upload_url=target.upload_url,
        index_url=sanitize_url(read_url),
        username=found.username,
        password=found.password,
        credential_origin=found.origin,
        read_with_credentials=not (index_url_from_project if index_url else public),
        credential_source=found.source,
        credentials_note=note,
    )
