"""Uploading with twine: the same target twine would choose, every line of its output masked.

twine runs as `python -m twine upload` would, without the working directory on sys.path,
with the target exactly as the user named it (`-r`, `--config-file`; an upload URL in
TWINE_REPOSITORY_URL, never on the world-readable command line; `TWINE_*` stay in the
environment, where twine reads them), non-interactive when there is no terminal. Its output
is shown line by line with every secret masked — also one that twine's console folded
across two lines — and its refusal is returned for checks.release to explain.
"""

from __future__ import annotations

import os
import re
import selectors
import subprocess
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import NamedTuple

from release_guard.errors import RepositoryError
from release_guard.git import OWN_GROUP
from release_guard.index.targets import Repository, _masked, is_loopback, sanitize_url

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_USERINFO = re.compile(r"(?<=://)[^/@\s]*@")
PARTIAL_LINE_WAIT = 0.3  # seconds: a prompt without a newline is shown after this


class Outcome(NamedTuple):
    """twine's exit code, and for a failure what it said (status None: no HTTP answer)."""

    returncode: int
    status: int | None = None
    reason: str = ""


class TwineTarget(NamedTuple):
    """twine's target: its arguments, and what its environment adds. An upload URL goes in
    TWINE_REPOSITORY_URL, as twine's --repository-url would (the flag's default is that
    variable, and it beats --repository): a command line is world-readable, and the URL may
    hold a password."""

    args: list[str]
    environ: dict[str, str]


def twine_target(args_repository: str | None, args_repository_url: str | None, config_file: str | None,
                 cfg_repository: str, environ: Mapping[str, str]) -> TwineTarget:
    """twine's target, from the same sources and in the same order as tag_guard's reading of
    the index: a flag, RELEASE_GUARD_REPOSITORY, TWINE_REPOSITORY(_URL) (left to twine), then
    the repository key."""
    chosen: str | None = None
    explicit = args_repository or environ.get("RELEASE_GUARD_REPOSITORY")
    named = environ.get("TWINE_REPOSITORY") or ""
    if args_repository_url:
        chosen = args_repository_url
    elif explicit:
        chosen = explicit
    elif not (named or environ.get("TWINE_REPOSITORY_URL")):
        chosen = cfg_repository
    elif not environ.get("TWINE_REPOSITORY_URL") and "://" in named:
        chosen = named  # a URL, as release-guard reads it: twine would look it up as a section
    target = TwineTarget([], {})
    if chosen is not None and (args_repository_url or "://" in chosen):
        target.environ["TWINE_REPOSITORY_URL"] = chosen
    elif chosen is not None:
        target.args.extend(["--repository", chosen])
    if config_file:
        target.args.extend(["--config-file", config_file])
    return target


def require_upload_allowed(target: Repository) -> None:
    """Credentials go only where the user sent them: a target that the project's own
    pyproject.toml names gets no upload at all, and plain http only on loopback."""
    if target.credentials_note and "repository URL" in target.credentials_note:
        shown = sanitize_url(target.upload_url)
        raise RepositoryError(
            f"the upload URL {shown} comes from pyproject.toml: release-guard uploads only to a target "
            "you choose", hint=f"choose it yourself: --repository-url {shown} (or RELEASE_GUARD_REPOSITORY, "
            "TWINE_REPOSITORY_URL, or a .pypirc section named in repository)")
    from urllib.parse import urlsplit

    parts = urlsplit(target.upload_url)
    if parts.scheme.lower() == "http" and not is_loopback(parts.hostname or ""):
        raise RepositoryError(
            f"the upload URL {sanitize_url(target.upload_url)} is plain http: twine would send the "
            "credentials in clear text", hint="use the index's https:// upload URL")


def secrets_of(target: Repository, environ: Mapping[str, str], target_args: Sequence[str] = ()) -> list[str]:
    """Every secret twine may know, and the `Authorization: Basic` value it sends them in
    (base64 of `user:password`, which a careless server echoes): masked wherever it would
    appear in twine's output. The userinfo of a URL twine is given counts as written:
    twine does not percent-decode it (`p%40ss` is what it sends), release-guard does."""
    from urllib.parse import urlsplit

    passwords = {target.password, environ.get("TWINE_PASSWORD")}
    users = {target.username, environ.get("TWINE_USERNAME"), "__token__"}
    found: list[str | None] = []
    for url in (environ.get("TWINE_REPOSITORY_URL"), *(arg for arg in target_args if "://" in arg)):
        if url and "@" in url.partition("://")[2]:
            found.append(url.partition("://")[2].rpartition("@")[0])
            try:
                parts = urlsplit(url)
                users.add(parts.username)
                passwords.add(parts.password)
            except ValueError:
                pass
    if target.password is None:  # twine's last source: keyring, for the upload URL and the user
        passwords.add(_from_keyring(target.upload_url, target.username))
    found += passwords
    found += [_basic(user, password) for user in users for password in passwords if user and password]
    return sorted({s for s in found if s and len(s) >= 3}, key=len, reverse=True)


def _from_keyring(upload_url: str, username: str | None) -> str | None:
    """The password twine will take from keyring when nothing else gives one, asked as twine
    asks it (the service is the upload URL); None when keyring has none or cannot answer."""
    try:
        import keyring

        if username is not None:
            return keyring.get_password(upload_url, username)
        found = keyring.get_credential(upload_url, None)
        return None if found is None else found.password
    except Exception:  # no keyring, no backend, a locked one: twine will not get one either
        return None


def _basic(user: str, password: str) -> str:
    """The credentials of `Authorization: Basic`, as requests encodes them (latin-1, else UTF-8)."""
    import base64

    pair = f"{user}:{password}"
    try:
        raw = pair.encode("latin-1")
    except UnicodeEncodeError:
        raw = pair.encode("utf-8")
    return base64.b64encode(raw).decode("ascii")


def mask(line: str, secrets: Iterable[str]) -> str:
    """A line of twine's output, safe to show: no colour codes, no userinfo, no secret, no token."""
    line = _ANSI.sub("", line).rstrip()
    for secret in secrets:
        line = line.replace(secret, "********")
    return _masked(_USERINFO.sub("", line))


def unwrap(held: str, line: str, secrets: Iterable[str]) -> tuple[str, str]:
    """Two consecutive lines of twine's output with any secret that its console folded across
    them masked: the secret's head ends `held`, its tail starts `line` after the continuation's
    indent (a space that a word wrap dropped is not needed)."""
    held = _ANSI.sub("", held).rstrip()
    line = _ANSI.sub("", line)
    rest = line.lstrip()
    indent = line[: len(line) - len(rest)]
    for secret in secrets:
        for cut in range(1, len(secret)):
            head, tail = secret[:cut].rstrip(), secret[cut:].lstrip()
            if head and tail and held.endswith(head) and rest.startswith(tail):
                held, rest = held[: -len(head)] + "********", "********" + rest[len(tail):]
                break
    return held, indent + rest


# `python -m twine` would put the working directory (the project, where release usually runs)
# first on sys.path, and run the project's own `twine/` with the credentials: run twine's
# __main__ with that entry (`-c` adds "") taken off, whatever the Python version (-P is 3.11+).
_RUN_TWINE = ("import runpy, sys; sys.path[:] = [p for p in sys.path if p]; "
              "runpy.run_module('twine', run_name='__main__', alter_sys=True)")


def _command(files: Sequence[str], target_args: Sequence[str], interactive: bool) -> list[str]:
    command = [sys.executable, "-c", _RUN_TWINE, "upload", "--disable-progress-bar", *target_args]
    if not interactive:
        command.append("--non-interactive")
    return [*command, "--", *files]


def run(files: Sequence[str], target_args: Sequence[str], secrets: Sequence[str],
        environ: Mapping[str, str], say: Callable[[str], None], started: list[str] | None = None) -> Outcome:
    """`twine upload` of exactly `files` (`environ` is twine's whole environment, the
    target's included); its output, masked, goes to `say` as it comes. `started` gets the
    name of each file as twine starts uploading it (twine uploads one after another, and
    stops at the first refusal: every file before the last one started has reached the index)."""
    from release_guard import interrupt

    interactive = sys.stdin.isatty()
    env = {**environ, "COLUMNS": "1000", "NO_COLOR": "1", "PYTHONUNBUFFERED": "1"}
    env.pop("FORCE_COLOR", None)
    # a process group of its own: a signal reaches it through release-guard's handler, which
    # then says which files reached the index. At a terminal twine may ask for a password on
    # /dev/tty, which a background group may not read (SIGTTIN): there it stays in ours, and
    # gets the terminal's Ctrl-C itself.
    proc = subprocess.Popen(_command(files, target_args, interactive), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, stdin=None if interactive else subprocess.DEVNULL,
                            env=env, **({} if interactive else OWN_GROUP))
    interrupt.register(proc, own_group=not interactive)
    assert proc.stdout is not None
    lines: list[str] = []
    names = {os.path.basename(f) for f in files}

    def show(line: str) -> None:
        shown = mask(line, secrets)
        lines.append(shown)
        if started is not None and shown.startswith("Uploading ") and shown[10:].strip() in names:
            started.append(shown[10:].strip())
        if shown.strip():
            say(f"  twine: {shown.strip()}")

    held: str | None = None  # a line is shown once the next one shows no secret folded across both
    try:
        for line, complete in _lines(proc.stdout.fileno()):
            if held is not None:
                held, line = unwrap(held, line, secrets) if complete else (held, line)
                show(held)
                held = None
            if complete:
                held = line
            elif line:
                show(line)
        if held is not None:
            show(held)
    finally:
        proc.stdout.close()
        returncode = proc.wait()
        interrupt.unregister(proc)
    if returncode == 0:
        return Outcome(0)
    from release_guard.checks.release import parse_twine_error

    status, reason = parse_twine_error(lines)
    return Outcome(returncode, status, reason)


def _lines(fd: int) -> Iterable[tuple[str, bool]]:
    """(line, True) for each line from `fd` as it comes; (partial line, False) when nothing more
    came for a moment — a prompt, or "" — and at the end."""
    pending = b""
    # a selector, not select.select: select() refuses a descriptor above 1023, which a
    # long-lived caller (a test session, a tox run with many environments) can reach
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while True:
            if not selector.select(PARTIAL_LINE_WAIT):
                yield pending.decode("utf-8", "replace"), False
                pending = b""
                continue
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            pending += chunk
            *complete, pending = pending.split(b"\n")
            for raw in complete:
                yield raw.decode("utf-8", "replace"), True
    yield pending.decode("utf-8", "replace"), False
