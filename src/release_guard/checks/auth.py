"""Credential checks (RG501-RG519): why the index would answer 403 to the upload, said first.

Pure: the credentials twine would send (each with its source), the target, the project and
whether it is on the index already, the clock — in; findings and the ok line — out. A
password or token is never put in a message: a token shows as the first 8 hex digits of its
sha256, a username that looks like a secret likewise.

RG501 no credentials (naming the commonly used variables that are set but twine does not
read); RG502 (info) none, but twine will try trusted publishing; RG503 a credential set but
empty; RG504 whitespace, quotes or a line break around the password; RG505 a password that
is no token for a Warehouse target; RG506 a username and account password (Warehouse: "no
longer supported"); RG507 a token with a username other than `__token__`; RG508 a `pypi-`
value that is no readable token; RG509 a token of another index; RG510 a token scoped to
other projects; RG511 (warning) a token scoped to project ids, which cannot be told offline;
RG512 expired; RG513 not valid yet; RG514 a project-scoped token for a first release; RG515
(info) an account-wide token after the first release; RG516 (info) the index was not read;
RG518 (warning) caveats of a kind not known here; RG519 (warning) the .pypirc that holds the
password is readable by other users. RG517 is reserved.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import urlsplit

from packaging.utils import canonicalize_name

from release_guard.findings import Finding
from release_guard.index.credentials import TOKEN_USERNAME, Credential
from release_guard.token import PREFIX, Token, TokenError, decode, fingerprint, macaroon_without_prefix

if TYPE_CHECKING:
    from release_guard.findings import Severity

# Variables that workflows and tutorials commonly hold the token in, which twine never reads.
UNREAD_VARIABLES = ("PYPI_API_TOKEN", "PYPI_TOKEN", "TEST_PYPI_API_TOKEN", "TESTPYPI_API_TOKEN",
                    "TEST_PYPI_TOKEN", "PYPI_PASSWORD")
REFUSED = "'403 Invalid or non-existent authentication information'"


class AuthFacts(NamedTuple):
    """What check-auth knows. `target` is the upload target as shown (never with userinfo);
    `known_indexes` the (name, host) of twine's default targets, hosts without `upload.`;
    `on_index` None when the index was not read (`not_read` says why); `trusted_publishing`
    names the CI that offers twine an OIDC token, `oidc_missing` one that could but lacks
    the permission; `keyring` what became of keyring; `shared_config` the .pypirc holding the
    password when other users may read it (with its mode)."""

    project: str
    target: str
    upload_url: str
    twine_default: bool
    username: Credential
    password: Credential
    now: int
    known_indexes: tuple[tuple[str, str], ...] = ()
    on_index: bool | None = None
    not_read: str = ""
    interactive: bool = False
    unread_variables: tuple[str, ...] = ()
    trusted_publishing: str = ""
    oidc_missing: str = ""
    keyring: str = ""
    shared_config: str = ""

    @property
    def host(self) -> str:
        """The index's host as a token's location names it: the upload host without `upload.`."""
        return host_of(self.upload_url)

    @property
    def warehouse(self) -> bool:
        """twine's default targets, or an upload URL ending in /legacy/ (Warehouse's own)."""
        return self.twine_default or urlsplit(self.upload_url).path.rstrip("/").endswith("/legacy")


def _host(host: str) -> str:
    return host.lower().rstrip(".").removeprefix("upload.")


def host_of(url: str) -> str:
    """The host a token issued for the index at `url` names as its location (no `upload.`)."""
    return _host(urlsplit(url).hostname or "")


def _bare(password: str) -> str:
    """The password without the whitespace and quotes around it (RG504 reports them)."""
    return password.strip().strip("\"'").strip()


def is_token(password: str) -> bool:
    """Whether the password reads as a token: only then does its scope meet the index."""
    return _readable(_bare(password))


def _when(timestamp: int) -> str:
    try:
        return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    except (OverflowError, OSError, ValueError):
        return f"Unix time {timestamp}"


def _shown_user(username: str) -> str:
    """A username as it may be printed: one that looks like a pasted secret only as a fingerprint."""
    if len(username) > 32 or username.lower().startswith("pypi") or not username.isprintable():
        return f"(a value of {len(username)} characters, sha256 {fingerprint(username)})"
    return repr(username)


def _token_page(facts: AuthFacts) -> str:
    if facts.warehouse:
        return f"https://{facts.host}/manage/account/token/"
    return f"{facts.target}'s account settings"


def _next_step(facts: AuthFacts, scope: str = "") -> str:
    scoped = f" scoped to {scope}" if scope else ""
    return (f"create a token{scoped} at {_token_page(facts)}, store it as a CI secret, and pass it as "
            f"TWINE_PASSWORD (TWINE_USERNAME={TOKEN_USERNAME}); or use trusted publishing")


def _issuer(facts: AuthFacts, location: str) -> str:
    for name, host in facts.known_indexes:
        if _host(location) == host:
            return f"{name} ({location})"
    return location


# ------------------------------------------------------------------ the checks


def check(facts: AuthFacts) -> list[Finding]:
    """Every reason the upload to `facts.target` would be refused for its credentials."""
    password = facts.password.value
    if password is None:
        return [_missing(facts)]
    findings = [_shared_config(facts)] if facts.shared_config else []
    if password == "":
        return [*findings, _empty(facts, facts.password)]
    if facts.username.value == "":
        findings.append(_empty(facts, facts.username))
    elif facts.username.value is None:
        findings.append(Finding(
            "RG501", f"no username for {facts.target}: twine finds none (TWINE_USERNAME, the .pypirc "
            "section of the target), and without a terminal it stops there",
            hint=f"with a token, set TWINE_USERNAME={TOKEN_USERNAME}", severity=_no_terminal(facts)))
    problems = _shape(password)
    if problems:
        severity: Severity = "error" if facts.warehouse else "warning"
        findings.append(Finding(
            "RG504", f"the password from {facts.password.source} (sha256 {fingerprint(password)}) has "
            f"{' and '.join(problems)}: twine sends it as it is, and {facts.target} would not know it",
            hint="store the token alone, without quotes, spaces or a line break (printf %s, not echo, "
            "when piping it into a secret)", severity=severity))
        password = _bare(password)
    if facts.warehouse:
        return findings + _warehouse(facts, password)
    if password.startswith(PREFIX) and _readable(password):
        return findings + _token(facts, password)  # other indexes take any password: a real token only
    return findings


def _readable(text: str) -> bool:
    try:
        decode(text)
    except TokenError:
        return False
    return True


def _no_terminal(facts: AuthFacts) -> Severity:
    """What a credential twine would have to ask for is: on a terminal it asks, without one it stops."""
    return "warning" if facts.interactive else "error"


def _missing(facts: AuthFacts) -> Finding:
    tried = "TWINE_PASSWORD, the .pypirc section of the target"
    keyring = f"; {facts.keyring}" if facts.keyring else ""
    unread = "".join(f"; {name} is set, but twine does not read it" for name in facts.unread_variables)
    if facts.trusted_publishing and facts.twine_default and facts.username.value == TOKEN_USERNAME:
        return Finding(
            "RG502", f"no token for {facts.target}: twine will try trusted publishing "
            f"({facts.trusted_publishing} offers it an OIDC token); whether {facts.target} trusts this "
            f"workflow for {facts.project} cannot be checked before the upload",
            hint=f"register the workflow as a trusted publisher of {facts.project} at https://{facts.host}"
            f"/manage/project/{canonicalize_name(facts.project)}/settings/publishing/ (a pending publisher "
            f"at https://{facts.host}/manage/account/publishing/ for a new project)", severity="info")
    hint = _next_step(facts)
    if facts.unread_variables:
        name = facts.unread_variables[0]
        hint = (f"pass it as twine reads it: TWINE_PASSWORD=${name} (TWINE_USERNAME={TOKEN_USERNAME}), "
                f"or {hint}")
    if facts.oidc_missing:
        hint += (f"; for trusted publishing on {facts.oidc_missing}, give the job `permissions: id-token: "
                 "write`")
    if facts.interactive:
        return Finding("RG501", f"no credentials for {facts.target} ({tried}{keyring}{unread}): twine will "
                       "ask for them at the prompt", hint=hint, severity="warning")
    return Finding("RG501", f"no credentials for {facts.target}: twine finds no password ({tried}{keyring})"
                   f"{unread}, and without a terminal it stops there", hint=hint)


def _empty(facts: AuthFacts, credential: Credential) -> Finding:
    what = "password" if credential is facts.password else "username"
    return Finding(
        "RG503", f"the {what} from {credential.source} is set but empty (a CI secret that is not defined "
        f"expands to nothing): twine sends it empty, and {facts.target} answers 403",
        hint=f"define the secret (GitHub: Settings > Secrets and variables > Actions) or unset "
        f"{credential.source}; then {_next_step(facts)}")


def _shape(password: str) -> list[str]:
    """What surrounds or breaks the password: words, never the value."""
    problems = []
    if password != password.lstrip():
        problems.append("leading whitespace")
    if password.rstrip("\r\n") != password:
        problems.append("a trailing line break")
    elif password != password.rstrip():
        problems.append("trailing whitespace")
    inner = password.strip()
    if "\n" in inner or "\r" in inner:
        problems.append("a line break inside")
    elif any(not c.isprintable() for c in inner):
        problems.append("a control character")
    if len(inner) >= 2 and inner[0] == inner[-1] and inner[0] in "\"'":
        problems.append("surrounding quotes")
    return problems


def _shared_config(facts: AuthFacts) -> Finding:
    path = facts.shared_config.partition(" (")[0]
    return Finding("RG519", f"{facts.shared_config} holds the password, and other users of this machine can "
                   "read it", hint=f"chmod 600 {path}", severity="warning")


def _warehouse(facts: AuthFacts, password: str) -> list[Finding]:
    """A Warehouse index takes only `__token__` and a `pypi-` token."""
    username = TOKEN_USERNAME if facts.username.value is None else facts.username.value  # None: RG501
    fp = fingerprint(facts.password.value or "")
    if not password.startswith(PREFIX):
        if username != TOKEN_USERNAME:
            return [Finding(
                "RG506", f"{facts.target} takes API tokens only: username {_shown_user(username)} (from "
                f"{facts.username.source}) with a password that is not a token (from "
                f"{facts.password.source}) would be answered '403 Username/Password authentication is no "
                "longer supported'",
                hint=_next_step(facts))]
        bare = macaroon_without_prefix(password)
        why = "it is a token without its pypi- prefix" if bare else f"upload tokens start with {PREFIX}"
        return [Finding(
            "RG505", f"the password from {facts.password.source} (sha256 {fp}) is not an upload token "
            f"({why}): {facts.target} would answer {REFUSED}",
            hint=f"put {PREFIX} back in front of it" if bare else _next_step(facts))]
    findings = []
    if username != TOKEN_USERNAME:
        findings.append(Finding(
            "RG507", f"the username is {_shown_user(username)} (from {facts.username.source}), but with a "
            f"token it must be {TOKEN_USERNAME}: {facts.target} reads the password as a token only then",
            hint=f"set TWINE_USERNAME={TOKEN_USERNAME}, or unset it (twine uses {TOKEN_USERNAME} for its "
            "default targets)"))
    return findings + _token(facts, password)


def _token(facts: AuthFacts, text: str) -> list[Finding]:
    fp = fingerprint(facts.password.value or "")
    try:
        token = decode(text)
    except TokenError as exc:
        return [Finding(
            "RG508", f"the password from {facts.password.source} (sha256 {fp}) starts with {PREFIX} but is "
            f"{exc}: {facts.target} would answer {REFUSED}",
            hint=f"copy the whole token again (it is shown once, when created), or {_next_step(facts)}")]
    if token.location and _host(token.location) != facts.host:
        away = "" if facts.warehouse else "; sending it there hands it to another server"
        return [Finding(
            "RG509", f"the token (sha256 {fp}) was issued by {_issuer(facts, token.location)}, not by "
            f"{facts.target}: the upload would answer {REFUSED}{away}",
            hint=f"use a token of {facts.target} itself: {_next_step(facts)}")]
    findings = _dates(facts, token, fp) + _scope(facts, token, fp)
    if token.unknown:
        findings.append(Finding(
            "RG518", f"the token (sha256 {fp}) carries {', '.join(token.unknown)}, which release-guard does "
            f"not know: {facts.target} may refuse it for them", hint="if the upload is refused, "
            + _next_step(facts), severity="warning"))
    return findings


def _dates(facts: AuthFacts, token: Token, fp: str) -> list[Finding]:
    if token.expires_at is not None and facts.now >= token.expires_at:
        return [Finding("RG512", f"the token (sha256 {fp}) expired on {_when(token.expires_at)}: "
                        f"{facts.target} would answer {REFUSED}", hint=_next_step(facts))]
    if token.not_before is not None and facts.now < token.not_before:
        return [Finding("RG513", f"the token (sha256 {fp}) is not valid before {_when(token.not_before)}: "
                        f"{facts.target} would refuse it until then", hint="wait until then, or "
                        + _next_step(facts))]
    return []


def _scope(facts: AuthFacts, token: Token, fp: str) -> list[Finding]:
    project = canonicalize_name(facts.project)
    url = _token_page(facts)
    if facts.warehouse:
        url = f"https://{facts.host}/manage/project/{project}/settings/"
    if facts.on_index is False and token.project_scoped:
        return [Finding(
            "RG514", f"{facts.project} is not on {facts.target} yet (a first release), but the token "
            f"(sha256 {fp}) is scoped to {_scope_text(token)}: a project-scoped token cannot create a "
            "project, so the upload would answer 403", hint="for the first release use an account-wide "
            f"token (scope: entire account) from {_token_page(facts)}, or a pending trusted publisher; "
            f"afterwards replace it with a token scoped to {facts.project}")]
    findings = []
    names = token.project_names
    if names is not None and project not in {canonicalize_name(n) for n in names}:
        findings.append(Finding(
            "RG510", f"the token (sha256 {fp}) is scoped to {_scope_text(token)}, not to {facts.project}: "
            f"{facts.target} would answer \"403 Invalid API Token: project-scoped token is not valid for "
            f"project: '{facts.project}'\"", hint=f"create a token scoped to {facts.project} at {url} (or "
            f"one of the account at {_token_page(facts)})"))
    elif names is None and token.project_ids is not None:
        findings.append(Finding(
            "RG511", f"the token (sha256 {fp}) is scoped to {_scope_text(token)}: whether {facts.project} "
            "is one of them cannot be told before the upload", hint="if the upload answers '403 ... "
            f"project-scoped token is not valid', create a token scoped to {facts.project} at {url}",
            severity="warning"))
    if facts.on_index is None:
        findings.append(Finding(
            "RG516", f"whether {facts.project} is on {facts.target} was not read ({facts.not_read}): the "
            "first-release check of the token's scope was skipped", severity="info"))
    elif facts.on_index and not token.project_scoped and not token.trusted_publishing:
        findings.append(Finding(
            "RG515", f"the token (sha256 {fp}) is account-wide: it can upload to every project of the "
            "account",
            hint=f"now that {facts.project} is on {facts.target}, replace it with a token scoped to "
            f"{facts.project} ({_token_page(facts)}) and delete the account-wide one", severity="info"))
    return findings


def _scope_text(token: Token) -> str:
    if token.project_names is not None:
        names = sorted(token.project_names)
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        return f"project{'s' if len(names) != 1 else ''} {shown or '(none)'}"
    if token.project_ids is not None:
        count = len(token.project_ids)
        return f"{count} project id{'s' if count != 1 else ''}"
    return "the whole account"


# ------------------------------------------------------------------ the ok line


def ok_line(facts: AuthFacts) -> str:
    """What would authenticate the upload, by source and fingerprint: never a secret."""
    password = facts.password.value
    head = f"release-guard: check-auth: {facts.target}:"
    if password is None and facts.trusted_publishing:
        return f"{head} no stored token; twine will try trusted publishing ({facts.trusted_publishing})"
    if password is None:
        return f"{head} no stored credentials; twine will ask for them at the prompt"
    user = facts.username
    who = "no username"
    if user.value is not None:
        who = f"username {_shown_user(user.value)} ({user.source})"
    try:
        token = decode(_bare(password))
    except TokenError:
        return f"{head} {who} and a password (sha256 {fingerprint(password)}) from {facts.password.source}"
    kind = ("trusted publishing, " if token.trusted_publishing else "") + (
        _scope_text(token) if token.project_scoped else "account-wide")
    until = f"valid until {_when(token.expires_at)}" if token.expires_at is not None else "no expiry date"
    issued = f", issued by {_issuer(facts, token.location)}" if token.location else ""
    return (f"{head} {who} and the token sha256 {fingerprint(password)} from {facts.password.source}"
            f"{issued}; scope: {kind}; {until}")
