"""Repository resolution and the Simple API client.

Two halves:

* `resolve_repository` picks the upload target the way twine picks it (flags, twine's
  environment variables, `.pypirc`, twine's own default URLs) and derives the URL the
  index is *read* from.
* `fetch_project` / `fetch_projects` read a project's page from the Simple API
  (PEP 691 JSON by content negotiation, PEP 503 HTML otherwise, PEP 700 `versions`
  where present) with timeouts, bounded retries, a size cap and same-host redirects.

Only the standard library and `packaging` are used on the read path, and the heavier
modules (urllib.request, http.client, json, html.parser, configparser, netrc, twine)
are imported inside the functions that need them, so importing this module is cheap.

No secret is ever printed: `Repository` hides its credentials from `repr`, every URL
in a message has its userinfo stripped, and no message carries a password or token.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from packaging.version import Version

from release_guard.errors import IndexError_, RepositoryError

if TYPE_CHECKING:
    import configparser
    import http.client
    import urllib.request

    from packaging.utils import NormalizedName

__all__ = [
    "IndexFile",
    "ProjectPage",
    "Repository",
    "Timeouts",
    "derive_index_url",
    "fetch_project",
    "fetch_projects",
    "resolve_repository",
    "sanitize_url",
]

DEFAULT_CONFIG_FILE = "~/.pypirc"
ACCEPT = (
    "application/vnd.pypi.simple.v1+json, "
    "application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01"
)
USER_AGENT = "release-guard (Simple API reader)"
MAX_REDIRECTS = 5
UNREACHABLE_HINT = (
    "check the network or the index URL (--repository-url / index-url); "
    "--allow-offline turns this into a warning"
)
_URL_HINT = "check the index URL (--repository-url / index-url)"


# --------------------------------------------------------------------------- values


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


@dataclass(frozen=True)
class IndexFile:
    """One file listed on a project page."""

    filename: str
    version: Version | None
    sha256: str | None
    yanked: bool


@dataclass(frozen=True)
class ProjectPage:
    """A project's Simple API page. `exists` is False when the index answered 404.

    `versions` is the union of PEP 700 `versions` (when the page has them) and the
    versions parsed from file names, sorted ascending and de-duplicated canonically
    (`1.0.0` and `1.0` are one version). `source` is "json", "html", or "" when the
    project does not exist.
    """

    name: NormalizedName
    exists: bool
    versions: tuple[Version, ...]
    files: tuple[IndexFile, ...]
    source: str

    def released(self, version: Version) -> bool:
        """Whether `version` is on the index (canonical compare; yanked counts)."""
        return any(v == version for v in self.versions)

    def newest(self) -> Version | None:
        """The newest version, yanked and pre-releases included; None if there is none."""
        return self.versions[-1] if self.versions else None


@dataclass(frozen=True)
class Timeouts:
    """Seconds to wait for the connection and, once connected, for each read."""

    connect: float = 5.0
    read: float = 10.0

    def __post_init__(self) -> None:
        if self.connect <= 0 or self.read <= 0:
            raise ValueError("timeouts must be positive")


_DEFAULT_TIMEOUTS = Timeouts()
_DEFAULT_MAX_BYTES = 20 * 1024 * 1024


# ------------------------------------------------------------------------------ URLs


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


# ------------------------------------------------------------------------ resolution


@dataclass(frozen=True)
class _Target:
    name: str | None
    upload_url: str
    username: str | None = field(repr=False)
    password: str | None = field(repr=False)


@lru_cache(maxsize=1)
def _twine_default_urls() -> dict[str, str]:
    """Twine's own default targets, read from twine's source as text.

    Importing twine.utils brings requests and urllib3 (about 90 ms, measured with
    benchmarks/bench_check_tag.py): far too much for a pre-push hook. The constants are
    plain string literals, so they are read the way release-guard reads a version; only
    if that fails is twine imported.
    """
    import importlib.util

    spec = importlib.util.find_spec("twine")  # finds the package without importing it
    if spec is None or spec.origin is None:
        raise RepositoryError(
            "twine is not installed, so the default repositories are unknown",
            hint="install twine, or pass --repository-url",
        )
    try:
        with open(os.path.join(os.path.dirname(spec.origin), "utils.py"), encoding="utf-8") as handle:
            source = handle.read()
    except OSError:
        source = ""
    found = {
        name: match.group(1)
        for name, constant in (("pypi", "DEFAULT_REPOSITORY"), ("testpypi", "TEST_REPOSITORY"))
        if (match := re.search(rf"""^{constant}\s*=\s*["']([^"']+)["']""", source, re.MULTILINE))
    }
    if len(found) == 2:
        return found
    import twine.utils  # the source moved on: ask the module itself

    return {"pypi": twine.utils.DEFAULT_REPOSITORY, "testpypi": twine.utils.TEST_REPOSITORY}


def _config_error_line(exc: Exception) -> str:
    lineno = getattr(exc, "lineno", None)
    errors = getattr(exc, "errors", None)
    if lineno is None and errors:
        lineno = errors[0][0]
    return f" (line {lineno})" if isinstance(lineno, int) else ""


def _read_text(path: str) -> str:
    from pathlib import Path

    data = Path(path).read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        import locale

        return data.decode(locale.getpreferredencoding(False))


def _read_pypirc(config_file: str | os.PathLike[str] | None) -> configparser.RawConfigParser:
    import configparser
    from pathlib import Path

    shown = DEFAULT_CONFIG_FILE if config_file is None else os.fspath(config_file)
    path = str(Path(shown).expanduser().resolve())
    parser = configparser.RawConfigParser()
    try:
        text = _read_text(path)
    except FileNotFoundError:
        if config_file is None:
            return parser
        raise RepositoryError(
            f"config file {shown} does not exist",
            hint="fix --config-file, or leave it out to use ~/.pypirc",
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RepositoryError(
            f"cannot read config file {shown}: {type(exc).__name__}",
            hint="check the file's permissions and encoding (UTF-8)",
        ) from None
    try:
        parser.read_string(text, source=shown)
    except configparser.Error as exc:
        # The parser's own message can quote a line holding a password: never use it.
        raise RepositoryError(
            f"{shown} is not a valid .pypirc file{_config_error_line(exc)}",
            hint="fix the file: [distutils] index-servers, then one [section] per index",
        ) from None
    return parser


def _pypirc_sections(parser: configparser.RawConfigParser) -> dict[str, dict[str, str]]:
    """The repositories twine would accept, in order, with their options (twine's rules)."""
    servers = parser.get("distutils", "index-servers", fallback="pypi testpypi").split()
    known: dict[str, dict[str, str]] = {"pypi": {}}
    if "testpypi" in servers:
        known["testpypi"] = {}
    for server in servers:
        if not parser.has_section(server) and server not in known:
            continue
        options = known.setdefault(server, {})
        for key in ("repository", "username", "password"):
            if parser.has_option(server, key):
                options[key] = parser.get(server, key)
    return known


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


def _netrc_credentials(index_url: str, env: Mapping[str, str]) -> tuple[str, str] | None:
    """(login, password) for the index host from NETRC or ~/.netrc; None if absent.

    A missing or unparsable netrc file is ignored, as requests and pip ignore it.
    """
    import netrc
    from pathlib import Path

    path = Path(env["NETRC"]) if env.get("NETRC") else Path.home() / ".netrc"
    host = urlsplit(index_url).hostname
    if not host or not path.is_file():
        return None
    try:
        entry = netrc.netrc(str(path)).authenticators(host)
    except (OSError, netrc.NetrcParseError):
        return None
    if entry is None or entry[2] is None:
        return None
    return entry[0], entry[2]


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


# ------------------------------------------------------------------------------ HTTP


@dataclass(frozen=True)
class _Reply:
    url: str
    status: int
    reason: str
    content_type: str
    location: str | None
    body: bytes = field(repr=False)


class _TransientError(Exception):
    """A failure worth retrying; `reason` is safe to print."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _is_loopback(host: str) -> bool:
    import ipaddress

    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _build_opener(read_timeout: float, direct: bool) -> urllib.request.OpenerDirector:
    """An opener whose sockets switch to `read_timeout` once connected, which never
    follows redirects nor raises on HTTP errors, and which uses the environment's
    proxies (honouring NO_PROXY) unless `direct`."""
    import http.client
    import urllib.request

    class Connection(http.client.HTTPConnection):
        def connect(self) -> None:
            super().connect()
            self.sock.settimeout(read_timeout)

    class TLSConnection(http.client.HTTPSConnection):
        def connect(self) -> None:
            super().connect()
            self.sock.settimeout(read_timeout)

    class Handler(urllib.request.HTTPHandler):
        def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            return self.do_open(Connection, req)

    class TLSHandler(urllib.request.HTTPSHandler):
        def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            return self.do_open(TLSConnection, req)

    class PassThrough(urllib.request.HTTPErrorProcessor):
        def http_response(self, request: urllib.request.Request, response: Any) -> Any:
            return response

        https_response = http_response

    proxies = urllib.request.ProxyHandler({} if direct else None)
    return urllib.request.build_opener(proxies, Handler(), TLSHandler(), PassThrough())


def _transport_reason(exc: BaseException) -> tuple[str, bool]:
    """(printable reason, worth retrying) for an exception raised while talking HTTP."""
    import http.client
    import socket
    import ssl
    import urllib.error

    if isinstance(exc, urllib.error.URLError) and not isinstance(exc, urllib.error.HTTPError):
        inner = exc.reason
        if isinstance(inner, BaseException):
            return _transport_reason(inner)
        return _one_line(str(inner)), False
    if isinstance(exc, TimeoutError):
        return "timed out", True
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused", True
    if isinstance(exc, http.client.RemoteDisconnected):
        return "the server closed the connection without answering", True
    if isinstance(exc, ConnectionError):
        return "connection reset", True
    if isinstance(exc, http.client.IncompleteRead):
        return "the response was cut short", True
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate not trusted ({exc.verify_message})", False
    if isinstance(exc, socket.gaierror):
        return "host name not found", False
    if isinstance(exc, http.client.HTTPException):
        return f"invalid HTTP response ({type(exc).__name__})", False
    detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
    return _one_line(str(detail)), False


def _read_body(response: http.client.HTTPResponse, url: str, max_bytes: int) -> bytes:
    declared = response.headers.get("Content-Length", "").strip()
    expected = int(declared) if declared.isdigit() else None
    too_large = IndexError_(
        f"{sanitize_url(url)} sent more than {max_bytes} bytes",
        hint="check that the index URL points at a Simple API (--repository-url / index-url)",
    )
    if expected is not None and expected > max_bytes:
        raise too_large
    body = response.read(max_bytes + 1)
    if len(body) > max_bytes:
        raise too_large
    if expected is not None and len(body) < expected:
        raise _TransientError("the response was cut short")
    return body


def _open_once(
    url: str, headers: Mapping[str, str], timeouts: Timeouts, max_bytes: int, secret: str | None
) -> _Reply:
    """One GET; transport failures become `_TransientError` or the final IndexError_.
    The reason phrase and content type are one line, with `secret` masked."""
    import urllib.request

    opener = _build_opener(timeouts.read, direct=_is_loopback(urlsplit(url).hostname or ""))
    # Only http(s): fetch_project checks the index URL, _follow keeps to its origin.
    request = urllib.request.Request(url, headers=dict(headers), method="GET")  # noqa: S310, RUF100
    try:
        with opener.open(request, timeout=timeouts.connect) as response:
            status = int(response.status)
            body = _read_body(response, url, max_bytes) if 200 <= status < 300 else b""
            return _Reply(
                url=url,
                status=status,
                reason=_mask(_one_line(str(response.reason or ""))[:80], secret),
                content_type=_mask(response.headers.get("Content-Type", ""), secret),
                location=response.headers.get("Location"),
                body=body,
            )
    except (IndexError_, _TransientError):
        raise
    except Exception as exc:
        reason, retry = _transport_reason(exc)
        if retry:
            raise _TransientError(reason) from None
        raise IndexError_(
            f"could not reach {sanitize_url(url)}: {reason}", hint=UNREACHABLE_HINT
        ) from None


def _auth_headers(repo: Repository) -> dict[str, str]:
    """Basic auth for the index's own origin, when the credentials belong to it."""
    import base64

    if repo.username is None or repo.password is None:
        return {}
    index_origin = _origin(repo.index_url)
    if repo.credential_origin not in (None, index_origin):
        return {}
    token = base64.b64encode(f"{repo.username}:{repo.password}".encode()).decode("ascii")
    return {"Authorization": f"Basic {token}"}


def _follow(repo: Repository, url: str, timeouts: Timeouts, max_bytes: int) -> _Reply:
    """GET `url`, following at most MAX_REDIRECTS redirects within the index's origin."""
    headers = {"Accept": ACCEPT, "User-Agent": USER_AGENT, **_auth_headers(repo)}
    home = _origin(repo.index_url)
    current = url
    for _ in range(MAX_REDIRECTS + 1):
        if _origin(current) != home:
            raise IndexError_(
                f"{sanitize_url(url)} redirected to another host: "
                f"{_mask(_one_line(sanitize_url(current)), repo.password)}",
                hint="set index-url to the address the index really serves from, "
                "if you trust it; redirects are followed only within one host",
            )
        reply = _open_once(current, headers, timeouts, max_bytes, repo.password)
        if reply.status not in (301, 302, 303, 307, 308):
            return reply
        if not reply.location:
            raise IndexError_(
                f"{sanitize_url(current)} answered HTTP {reply.status} without a Location",
                hint=_URL_HINT,
            )
        current = urljoin(current, reply.location)
    raise IndexError_(
        f"{sanitize_url(url)} redirected more than {MAX_REDIRECTS} times",
        hint=f"{_URL_HINT}; the server may be redirecting in a loop",
    )


def _get(repo: Repository, url: str, timeouts: Timeouts, retries: int, max_bytes: int) -> _Reply:
    """`_follow` with retries and backoff on 5xx, resets, refusals and timeouts."""
    last = ""
    for attempt in range(max(retries, 0) + 1):
        if attempt:
            time.sleep(min(0.1 * 2 ** (attempt - 1), 2.0))
        try:
            reply = _follow(repo, url, timeouts, max_bytes)
        except _TransientError as exc:
            last = exc.reason
            continue
        if reply.status < 500:
            return reply
        last = f"HTTP {reply.status} {reply.reason}".strip()
    raise IndexError_(f"could not reach {sanitize_url(url)}: {last}", hint=UNREACHABLE_HINT)


def _refused(repo: Repository, reply: _Reply) -> IndexError_:
    shown = sanitize_url(reply.url)
    if reply.status in (401, 403):
        sent = bool(_auth_headers(repo))
        hint = (
            "the index refused the credentials: check username/password in .pypirc, "
            "~/.netrc or TWINE_USERNAME/TWINE_PASSWORD"
            if sent
            else "the index needs credentials to read: set them in .pypirc, ~/.netrc "
            "or TWINE_USERNAME/TWINE_PASSWORD"
        )
        return IndexError_(f"{shown} answered HTTP {reply.status} {reply.reason}".strip(), hint)
    return IndexError_(
        f"{shown} answered HTTP {reply.status} {reply.reason}".strip(), hint=_URL_HINT
    )


# --------------------------------------------------------------------------- parsing


def _malformed(url: str, detail: str) -> IndexError_:
    return IndexError_(
        f"{sanitize_url(url)} sent an unusable Simple API page: {_one_line(detail)}",
        hint="check that the index URL points at a PEP 503/691 Simple API "
        "(--repository-url / index-url)",
    )


def _file_version(filename: str) -> Version | None:
    from packaging.utils import parse_sdist_filename, parse_wheel_filename

    try:
        if filename.endswith(".whl"):
            return parse_wheel_filename(filename)[1]
        return parse_sdist_filename(filename)[1]
    except ValueError:
        return None


def _check_api_version(url: str, value: object) -> None:
    if value is None:
        return
    if not isinstance(value, str) or value.split(".")[0].strip() != "1":
        # Shown only when it looks like a version: the page is the server's text.
        looks_like_one = isinstance(value, str) and len(value) < 12 and value.replace(".", "").isdigit()
        shown = repr(value) if looks_like_one else "(not a version)"
        raise _malformed(url, f"unsupported repository API version {shown}")


def _json_file(url: str, entry: object) -> IndexFile:
    if not isinstance(entry, dict) or not isinstance(entry.get("filename"), str):
        raise _malformed(url, "a file entry has no filename")
    filename: str = entry["filename"]
    hashes = entry.get("hashes")
    sha256 = hashes.get("sha256") if isinstance(hashes, dict) else None
    yanked = entry.get("yanked", False)
    return IndexFile(
        filename=filename,
        version=_file_version(filename),
        sha256=sha256.lower() if isinstance(sha256, str) else None,
        yanked=yanked is True or isinstance(yanked, str),
    )


def _parse_json(url: str, text: str) -> tuple[list[IndexFile], list[str] | None]:
    import json

    try:
        data = json.loads(text)
    except ValueError as exc:
        raise _malformed(url, f"invalid JSON ({exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("files"), list):
        raise _malformed(url, "JSON without a 'files' list")
    meta = data.get("meta")
    _check_api_version(url, meta.get("api-version") if isinstance(meta, dict) else None)
    files = [_json_file(url, entry) for entry in data["files"]]
    versions = data.get("versions")
    if versions is None:
        return files, None
    if not isinstance(versions, list) or not all(isinstance(v, str) for v in versions):
        raise _malformed(url, "'versions' is not a list of strings")
    return files, versions


def _html_file(href: str, text: str, yanked: bool) -> IndexFile | None:
    from urllib.parse import unquote, urldefrag

    target, fragment = urldefrag(href)
    filename = unquote(urlsplit(target).path.rpartition("/")[2]) or text.strip()
    if not filename:
        return None
    algorithm, _, digest = fragment.partition("=")
    sha256 = digest.lower() if algorithm.lower() == "sha256" and digest else None
    return IndexFile(filename, _file_version(filename), sha256, yanked)


def _parse_html(url: str, text: str) -> list[IndexFile]:
    from html.parser import HTMLParser

    files: list[IndexFile] = []

    class Anchors(HTMLParser):
        anchor: dict[str, str | None] | None = None
        label = ""
        api_version: str | None = None

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            found = dict(attrs)
            if tag == "a" and found.get("href"):
                self.anchor, self.label = found, ""
            elif tag == "meta" and found.get("name") == "pypi:repository-version":
                self.api_version = found.get("content") or ""

        def handle_data(self, data: str) -> None:
            self.label += data if self.anchor is not None else ""

        def handle_endtag(self, tag: str) -> None:
            if tag == "a" and self.anchor is not None:
                href, yanked = self.anchor.get("href") or "", "data-yanked" in self.anchor
                entry = _html_file(href, self.label, yanked)
                files.extend([entry] if entry else [])
                self.anchor = None

    parser = Anchors(convert_charrefs=True)
    parser.feed(text)
    parser.close()
    _check_api_version(url, parser.api_version)
    return files


def _sorted_versions(files: Iterable[IndexFile], listed: Iterable[str]) -> tuple[Version, ...]:
    unique: dict[Version, Version] = {}
    for raw in listed:
        try:
            version = Version(raw)
        except ValueError:  # InvalidVersion, or a number too long for int()
            continue  # legacy, non-PEP 440 version strings exist on old indexes
        unique.setdefault(version, version)
    for item in files:
        if item.version is not None:
            unique.setdefault(item.version, item.version)
    return tuple(sorted(unique.values()))


def _page(name: NormalizedName, reply: _Reply) -> ProjectPage:
    try:
        text = reply.body.decode("utf-8")
    except UnicodeDecodeError:
        raise IndexError_(
            f"{sanitize_url(reply.url)} sent a body that is not UTF-8",
            hint="check that the index URL points at a PEP 503/691 Simple API "
            "(--repository-url / index-url)",
        ) from None
    media = reply.content_type.split(";")[0].strip().lower()
    listed: list[str] | None = None
    if media == "application/json" or media.endswith("+json"):
        files, listed = _parse_json(reply.url, text)
        source = "json"
    elif media in ("", "text/html", "application/xhtml+xml") or media.endswith("+html"):
        files, source = _parse_html(reply.url, text), "html"
    else:
        raise _malformed(reply.url, f"unexpected content type {media[:60]!r}")
    versions = _sorted_versions(files, listed or ())
    return ProjectPage(name, True, versions, tuple(files), source)


# ---------------------------------------------------------------------------- public


def fetch_project(
    repo: Repository,
    name: str,
    *,
    timeouts: Timeouts = _DEFAULT_TIMEOUTS,
    retries: int = 2,
    max_bytes: int = _DEFAULT_MAX_BYTES,
) -> ProjectPage:
    """Read `<index_url><canonical name>/`. A 404 gives `exists=False`.

    Raises IndexError_ when the index cannot be reached after `retries` extra
    attempts, refuses the request (any other 4xx), redirects off its host or too
    often, or sends a body that is too large, not UTF-8, or not a Simple API page.
    """
    from urllib.parse import quote

    from packaging.utils import canonicalize_name

    canonical = canonicalize_name(name)
    if urlsplit(repo.index_url).scheme.lower() not in ("http", "https"):
        raise IndexError_(
            f"cannot read {repo.display_url()}: not an http(s) URL", hint=_URL_HINT
        )
    index_url = repo.display_url()
    base = index_url if index_url.endswith("/") else index_url + "/"
    url = f"{base}{quote(canonical, safe='')}/"
    reply = _get(repo, url, timeouts, retries, max_bytes)
    if reply.status == 404:
        return ProjectPage(canonical, False, (), (), "")
    if not 200 <= reply.status < 300:
        raise _refused(repo, reply)
    return _page(canonical, reply)


def fetch_projects(
    repo: Repository,
    names: Iterable[str],
    *,
    timeouts: Timeouts = _DEFAULT_TIMEOUTS,
    retries: int = 2,
    max_bytes: int = _DEFAULT_MAX_BYTES,
    max_workers: int = 8,
) -> dict[NormalizedName, ProjectPage]:
    """`fetch_project` for each distinct canonical name, concurrently.

    The first failure, in the order of `names`, is raised after all requests end.
    """
    from concurrent.futures import ThreadPoolExecutor

    from packaging.utils import canonicalize_name

    wanted = list(dict.fromkeys(canonicalize_name(n) for n in names))
    if not wanted:
        return {}
    options: dict[str, Any] = {"timeouts": timeouts, "retries": retries, "max_bytes": max_bytes}
    with ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(wanted)))) as pool:
        futures = {n: pool.submit(fetch_project, repo, n, **options) for n in wanted}
    return {n: future.result() for n, future in futures.items()}
