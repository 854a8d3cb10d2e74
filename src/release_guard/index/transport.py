"""HTTP for index reads: timeouts and one overall deadline, bounded retries, a size cap,
same-origin redirects.

Only the standard library; `urllib.request` and `http.client` are imported inside the
functions that need them, so importing this module is cheap. Credentials are sent only
to the origin they belong to, never in clear text beyond loopback, and anything a server
says is one line, masked, before it is shown. An `IndexError_` is `unreachable` only
when no answer came at all: the one failure that --allow-offline forgives.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from release_guard.errors import IndexError_, RepositoryError
from release_guard.index.deadline import DEADLINE_HINT, Deadline
from release_guard.index.targets import (
    _CONTROL,
    Repository,
    _mask,
    _one_line,
    _origin,
    is_loopback,
    sanitize_url,
)

if TYPE_CHECKING:
    import http.client
    import socket
    import urllib.request

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
# RFC 9110 entity-tag: it goes back to the server in a header, so nothing else is kept.
_ETAG = re.compile(r'(?:W/)?"[\x21\x23-\x7e]{0,200}"')


def valid_etag(value: str | None) -> str | None:
    """`value` when it is a well-formed entity tag (which is safe to send back), else None."""
    return value if value is not None and _ETAG.fullmatch(value) else None


@dataclass(frozen=True)
class _Reply:
    url: str
    status: int
    reason: str
    content_type: str
    location: str | None
    body: bytes = field(repr=False)
    complete: bool = True  # False: `body` is only the first bytes (a `prefix` read)
    etag: str | None = None  # the validator to send back in If-None-Match, when well-formed


class _TransientError(Exception):
    """A failure worth retrying; `reason` is safe to print."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _build_opener(read_timeout: float, direct: bool, deadline: Deadline,
                  opened: list[socket.socket]) -> urllib.request.OpenerDirector:
    """An opener whose sockets switch to `read_timeout` (or the time left) once connected
    and are handed to `deadline` (and listed in `opened`), which never follows redirects
    nor raises on HTTP errors, and which uses the environment's proxies (honouring
    NO_PROXY) unless `direct`."""
    import http.client
    import urllib.request

    def connected(sock: socket.socket) -> None:
        opened.append(sock)
        deadline.attach(sock)
        sock.settimeout(deadline.cap(read_timeout))

    class Connection(http.client.HTTPConnection):
        def connect(self) -> None:
            super().connect()
            connected(self.sock)

    class TLSConnection(http.client.HTTPSConnection):
        def connect(self) -> None:
            super().connect()
            connected(self.sock)

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


def _transport_reason(exc: BaseException) -> tuple[str, bool, bool]:
    """(printable reason, worth retrying, unreachable) for an exception raised while talking
    HTTP. Unreachable: no answer came at all. TLS and protocol errors are answers, wrong
    ones, which --allow-offline must not forgive."""
    import http.client
    import socket
    import ssl
    import urllib.error

    if isinstance(exc, urllib.error.URLError) and not isinstance(exc, urllib.error.HTTPError):
        inner = exc.reason
        if isinstance(inner, BaseException):
            return _transport_reason(inner)
        return _one_line(str(inner)), False, False
    if isinstance(exc, TimeoutError):
        return "timed out", True, True
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused", True, True
    if isinstance(exc, http.client.RemoteDisconnected):
        return "the server closed the connection without answering", True, True
    if isinstance(exc, ConnectionError):
        return "connection reset", True, True
    if isinstance(exc, http.client.IncompleteRead):
        return "the response was cut short", True, True
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"TLS certificate not trusted ({_one_line(str(exc.verify_message))})", False, False
    if isinstance(exc, socket.gaierror):
        return "host name not found", False, True
    if isinstance(exc, http.client.HTTPException):
        return f"invalid HTTP response ({type(exc).__name__})", False, False
    if isinstance(exc, ssl.SSLError):
        return f"TLS failed ({_one_line(str(exc.reason or type(exc).__name__))})", False, False
    detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
    # Any other socket error (network unreachable, no route to host) means no answer.
    return _one_line(str(detail)), False, isinstance(exc, OSError)


def _read_body(response: http.client.HTTPResponse, url: str, max_bytes: int,
               prefix: bool) -> tuple[bytes, bool]:
    """(body, complete). Over `max_bytes` is an error, unless `prefix`: then the first
    `max_bytes` are enough, and `complete` says whether there was more."""
    declared = response.headers.get("Content-Length", "").strip()
    expected = int(declared) if declared.isdigit() else None
    too_large = IndexError_(
        f"{sanitize_url(url)} sent more than {max_bytes} bytes",
        hint="check that the index URL points at a Simple API (--repository-url / index-url)",
    )
    if expected is not None and expected > max_bytes and not prefix:
        raise too_large
    body = response.read(max_bytes + 1)
    if len(body) > max_bytes:
        if prefix:
            return body[:max_bytes], False
        raise too_large
    if expected is not None and len(body) < expected:
        raise _TransientError("the response was cut short")
    return body, True


def past_deadline(url: str, deadline: Deadline) -> IndexError_:
    return IndexError_(
        f"could not reach {sanitize_url(url)}: no complete answer within {deadline.seconds:g} s",
        hint=DEADLINE_HINT,
        unreachable=True,
    )


def _open_once(url: str, headers: Mapping[str, str], timeouts: Timeouts, max_bytes: int,
               secret: str | None, deadline: Deadline, prefix: bool = False) -> _Reply:
    """One GET; transport failures become `_TransientError` or the final IndexError_.
    The reason phrase and content type are one line, with `secret` masked."""
    import urllib.request

    if deadline.expired():
        raise past_deadline(url, deadline)
    opened: list[socket.socket] = []
    opener = _build_opener(timeouts.read, _is_direct(url), deadline, opened)
    # Only http(s): fetch_project checks the index URL, _follow keeps to its origin.
    request = urllib.request.Request(url, headers=dict(headers), method="GET")  # noqa: S310, RUF100
    deadline.reading(sanitize_url(url))
    try:
        with opener.open(request, timeout=deadline.cap(timeouts.connect)) as response:
            status = int(response.status)
            body, complete = b"", True
            if 200 <= status < 300:
                body, complete = _read_body(response, url, max_bytes, prefix)
            reply = _Reply(
                url=url,
                status=status,
                # masked, then cut: cut first, a secret across the cut would show its head
                reason=_mask(_one_line(str(response.reason or "")), secret)[:80],
                content_type=_mask(_one_line(response.headers.get("Content-Type", "")), secret)[:100],
                location=response.headers.get("Location"),
                body=body,
                complete=complete,
                etag=valid_etag(response.headers.get("ETag")),
            )
    except Exception as exc:
        if deadline.expired():  # whatever broke, it broke because the time was up
            raise past_deadline(url, deadline) from None
        if isinstance(exc, (IndexError_, _TransientError)):
            raise
        reason, retry, unreachable = _transport_reason(exc)
        if retry:
            raise _TransientError(reason) from None
        hint = UNREACHABLE_HINT if unreachable else _URL_HINT
        if reason.startswith("TLS"):
            hint = "check the index's certificate (SSL_CERT_FILE) and the URL's scheme and port"
        raise IndexError_(
            f"could not reach {sanitize_url(url)}: {reason}", hint=hint, unreachable=unreachable
        ) from None
    finally:
        for sock in opened:
            deadline.detach(sock)
    if deadline.cut:  # a body read up to a shut-down socket may look whole: it is not
        raise past_deadline(url, deadline)
    return reply


def _is_direct(url: str) -> bool:
    return is_loopback(urlsplit(url).hostname or "")


def _auth_headers(repo: Repository) -> dict[str, str]:
    """Basic auth for the index's own origin, when the credentials belong to it."""
    import base64

    credentials = repo.read_credentials()
    if credentials is None:
        return {}
    token = base64.b64encode(":".join(credentials).encode()).decode("ascii")
    return {"Authorization": f"Basic {token}"}


def require_safe_transport(repo: Repository) -> None:
    """Refuse to send credentials over plain http to anything but loopback."""
    parts = urlsplit(repo.index_url)
    if repo.read_credentials() is None or parts.scheme.lower() != "http":
        return
    if is_loopback(parts.hostname or ""):
        return
    source = f" ({repo.credential_source})" if repo.credential_source else ""
    raise RepositoryError(
        f"credentials{source} would be sent in clear text to {repo.display_url()}: plain http "
        "is used with credentials only on loopback",
        hint="use the index's https:// URL, or unset the credentials for this index",
    )


def _follow(repo: Repository, url: str, timeouts: Timeouts, max_bytes: int, deadline: Deadline,
            prefix: bool = False, extra: Mapping[str, str] | None = None) -> _Reply:
    """GET `url` (with the `extra` headers), following at most MAX_REDIRECTS redirects within
    the index's origin."""
    headers = {"Accept": ACCEPT, "User-Agent": USER_AGENT, **(extra or {}), **_auth_headers(repo)}
    home = _origin(repo.index_url)
    current, status = url, 0
    for _ in range(MAX_REDIRECTS + 1):
        if _origin(current) != home:
            raise _cross_host(url, current, status, repo.password)
        reply = _open_once(current, headers, timeouts, max_bytes, repo.password, deadline, prefix)
        if reply.status not in (301, 302, 303, 307, 308):
            return reply
        if not reply.location or _CONTROL.search(reply.location):
            what = "with an invalid Location" if reply.location else "without a Location"
            raise IndexError_(
                f"{sanitize_url(current)} answered HTTP {reply.status} {what}",
                hint=_URL_HINT,
            )
        current, status = urljoin(current, reply.location), reply.status
    raise IndexError_(
        f"{sanitize_url(url)} redirected more than {MAX_REDIRECTS} times",
        hint=f"{_URL_HINT}; the server may be redirecting in a loop",
    )


def _last_segment(url: str) -> str:
    return urlsplit(url).path.rstrip("/").rpartition("/")[2].lower()


def _cross_host(url: str, target: str, status: int, secret: str | None) -> IndexError_:
    shown = _mask(_one_line(sanitize_url(target)), secret)[:200]
    message = f"{sanitize_url(url)} redirected to another host: {shown}"
    project = _last_segment(url)
    if status == 303 and project and _last_segment(target) == project:
        # pypiserver sends every project it does not hold to its fallback index this way.
        return IndexError_(message, hint=f"pypiserver's fallback redirect: {project} is probably not "
                           "on that index yet; start pypiserver with --disable-fallback so that it "
                           "answers 404 for a project it does not hold")
    return IndexError_(message, hint="set index-url to the address the index really serves from, "
                       "if you trust it; redirects are followed only within one host")


def _get(repo: Repository, url: str, timeouts: Timeouts, retries: int, max_bytes: int,
         deadline: Deadline, prefix: bool = False, extra: Mapping[str, str] | None = None) -> _Reply:
    """`_follow` with retries and backoff on 5xx, resets, refusals and timeouts, as long as
    the deadline allows."""
    last = ""
    for attempt in range(max(retries, 0) + 1):
        if attempt:
            time.sleep(min(0.1 * 2 ** (attempt - 1), 2.0, deadline.remaining()))
        if deadline.expired():
            raise past_deadline(url, deadline)
        try:
            reply = _follow(repo, url, timeouts, max_bytes, deadline, prefix, extra)
        except _TransientError as exc:
            last = exc.reason
            continue
        if reply.status < 500:
            return reply
        last = f"HTTP {reply.status} {reply.reason}".strip()
    raise IndexError_(f"could not reach {sanitize_url(url)}: {last}", hint=UNREACHABLE_HINT,
                      unreachable=True)


def _refused(repo: Repository, reply: _Reply) -> IndexError_:
    shown = sanitize_url(reply.url)
    message = f"{shown} answered HTTP {reply.status} {reply.reason}".strip()
    if reply.status not in (401, 403):
        return IndexError_(message, hint=_URL_HINT)
    if repo.read_credentials() is not None:
        source = f" ({repo.credential_source})" if repo.credential_source else ""
        hint = (f"the index refused the credentials{source}: check them in .pypirc, ~/.netrc "
                "or TWINE_USERNAME/TWINE_PASSWORD")
    elif repo.credentials_note:
        hint = f"the index needs credentials to read, and {repo.credentials_note}"
    else:
        hint = ("the index needs credentials to read: set them in .pypirc, ~/.netrc "
                "or TWINE_USERNAME/TWINE_PASSWORD")
    return IndexError_(message, hint)
