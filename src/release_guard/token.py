"""An upload token (`pypi-` + a macaroon) read without its key: who issued it, and its scope.

A token is a macaroon (pymacaroons' binary serialization, base64url without padding) behind
the prefix `pypi-`. Its location names the index that issued it; its first-party caveats are
JSON and say where it may be used: `[0, expires_at, not_before]`, `[1, [normalized project
names]]`, `[2, [project ids]]`, `[3, user_id]` (an account-wide token), `[4, publisher id]`
(minted by trusted publishing), `[5, permissions]`, and the legacy objects `{"version": 1,
"permissions": "user"}`, `{"version": 1, "permissions": {"projects": [...]}}` and `{"exp": ...,
"nbf": ...}`. Reading them needs no key: only the signature, which is not checked here,
needs one.

Why not pypitoken (7.1, maintained): it reads caveats 0-3 and the legacy objects, but its
`restrictions` raises for a token that carries `[4, ...]` or `[5, ...]`, which the index puts
in every trusted-publishing token; it pulls in pymacaroons (with PyNaCl, a compiled library,
and six) and jsonschema (with referencing and rpds-py, compiled too) — every core dependency
lands in each user's pre-commit hook environment — and costs about 115 ms to import; its
errors quote the caveat and pymacaroons' own exception text; and nothing bounds what it
reads. The format is small: this module reads it in the standard library, within bounds,
raising only `TokenError`, whose messages never hold any part of the token.

Macaroon v2 (libmacaroons' format.txt): a version byte 2, then fields, each a type varint,
a length varint and that many bytes — location 1, identifier 2, vid 4, signature 6 — with
EOS (a single 0) closing the header and each caveat, an empty section closing the caveats,
and the signature last. v1 (base64 of `<4 hex digits of length>key value\n` packets) is read
too. The identifier and signature are skipped, never kept.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from typing import Any, NamedTuple

PREFIX = "pypi-"
MAX_TOKEN_CHARS = 8192  # real tokens are 150 to 400 characters
MAX_CAVEATS = 64
MAX_CAVEAT_BYTES = 4096
MAX_JSON_DEPTH = 4  # `[1, ["name"]]` is 2 deep; the legacy projects object 3
MAX_LIST_ITEMS = 1000

_BASE64URL = re.compile(r"[A-Za-z0-9_\-+/]+={0,2}")
_LOCATION, _IDENTIFIER, _VID, _SIGNATURE, _EOS = 1, 2, 4, 6, 0


class TokenError(Exception):
    """Raised when a text is not a token release-guard can read. The message says why in
    general terms (never a part of the token)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"not a token release-guard can read: {reason}")
        self.reason = reason


class Token(NamedTuple):
    """What a token says about itself. `project_names`/`project_ids` are None when no caveat
    restricts them (several caveats of one kind: each must hold, so they intersect);
    `expires_at`/`not_before` are Unix times, the tightest of every date caveat."""

    fingerprint: str  # the first 8 hex digits of the whole token's sha256
    location: str  # the host of the index that issued it, as the index wrote it
    version: int  # the macaroon format: 1 or 2
    expires_at: int | None = None
    not_before: int | None = None
    project_names: frozenset[str] | None = None
    project_ids: frozenset[str] | None = None
    user_restricted: bool = False  # [3, user_id] or the legacy "user" permission: account-wide
    trusted_publishing: bool = False  # [4, publisher id]: minted for a CI workflow
    permissions: tuple[str, ...] = ()  # [5, ...], as given
    unknown: tuple[str, ...] = ()  # caveats of a kind not known here, described without values

    @property
    def project_scoped(self) -> bool:
        return self.project_names is not None or self.project_ids is not None


def fingerprint(secret: str) -> str:
    """The first 8 hex digits of `secret`'s sha256: how a token or password is shown."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()[:8]


def decode(text: str) -> Token:
    """The token `text` (`pypi-` + a macaroon) read without its key. Raises TokenError only."""
    if not isinstance(text, str):
        raise TokenError("not text")
    if len(text) > MAX_TOKEN_CHARS:
        raise TokenError(f"longer than {MAX_TOKEN_CHARS} characters")
    if not text.startswith(PREFIX):
        raise TokenError(f"it does not start with {PREFIX}")
    raw = _base64(text[len(PREFIX):])
    if raw[:1] == b"\x02":
        location, caveats = _fields_v2(raw)
        version = 2
    elif raw[:1] and raw[:1] in b"0123456789abcdef":
        location, caveats = _fields_v1(raw)
        version = 1
    else:
        raise TokenError("not a macaroon (unknown format byte)")
    token = Token(fingerprint(text), location, version)
    for caveat in caveats:
        token = _apply(token, _caveat_json(caveat))
    return token


def macaroon_without_prefix(text: str) -> bool:
    """Whether `text` is a token's macaroon pasted without its `pypi-` prefix."""
    if text.startswith(PREFIX) or len(text) < 32:
        return False
    try:
        decode(PREFIX + text)
    except TokenError:
        return False
    return True


# ------------------------------------------------------------------ the binary formats


def _base64(text: str) -> bytes:
    if not text:
        raise TokenError(f"nothing follows {PREFIX}")
    if not _BASE64URL.fullmatch(text):
        raise TokenError("it holds characters that base64 does not use (a space, quote or line break?)")
    text = text.rstrip("=").replace("-", "+").replace("_", "/")
    if len(text) % 4 == 1:
        raise TokenError("it is cut short (its base64 length is impossible)")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise TokenError("its base64 does not decode") from None


def _varint(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    for i in range(at, min(at + 4, len(data))):  # 4 bytes hold 2**28: more than any field here
        byte = data[i]
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, i + 1
        shift += 7
    raise TokenError("the macaroon is cut short or malformed (a field length)")


def _packet(data: bytes, at: int) -> tuple[int, bytes | None, int]:
    """(field type, field data or None for EOS, the offset after it)."""
    kind, at = _varint(data, at)
    if kind == _EOS:
        return kind, None, at
    length, at = _varint(data, at)
    if at + length > len(data):
        raise TokenError("the macaroon is cut short (a field runs past its end)")
    return kind, data[at:at + length], at + length


def _section(data: bytes, at: int) -> tuple[list[tuple[int, bytes]], int]:
    """The fields up to the next EOS, in increasing type order as the format requires."""
    fields: list[tuple[int, bytes]] = []
    while True:
        if at >= len(data):
            raise TokenError("the macaroon is cut short (a section has no end)")
        kind, value, at = _packet(data, at)
        if value is None:
            return fields, at
        if fields and kind <= fields[-1][0]:
            raise TokenError("the macaroon's fields are out of order")
        fields.append((kind, value))


def _fields_v2(data: bytes) -> tuple[str, list[bytes]]:
    header, at = _section(data, 1)
    kinds = [kind for kind, _ in header]
    if kinds not in ([_LOCATION, _IDENTIFIER], [_IDENTIFIER]):
        raise TokenError("the macaroon's header is malformed")
    location = _text(header[0][1], "location") if kinds[0] == _LOCATION else ""
    caveats: list[bytes] = []
    while True:
        fields, at = _section(data, at)
        if not fields:
            break
        if len(caveats) == MAX_CAVEATS:
            raise TokenError(f"more than {MAX_CAVEATS} caveats")
        kinds = [kind for kind, _ in fields]
        if kinds == [_IDENTIFIER]:
            caveats.append(fields[0][1])
        elif kinds in ([_LOCATION, _IDENTIFIER, _VID], [_IDENTIFIER, _VID]):
            caveats.append(b'{"third-party": true}')  # a third-party caveat: no index issues one
        else:
            raise TokenError("a caveat of the macaroon is malformed")
    kind, signature, at = _packet(data, at)
    if kind != _SIGNATURE or signature is None or len(signature) != 32:
        raise TokenError("the macaroon has no signature where it should")
    if at != len(data):
        raise TokenError("data follows the macaroon's signature")
    return location, caveats


def _fields_v1(data: bytes) -> tuple[str, list[bytes]]:
    location = ""
    caveats: list[bytes] = []
    at, seen_signature = 0, False
    while at < len(data):
        try:
            length = int(data[at:at + 4].decode("ascii"), 16)
        except (UnicodeDecodeError, ValueError):
            raise TokenError("the macaroon (v1) is malformed (a packet length)") from None
        packet = data[at + 4:at + length]
        if length < 6 or at + length > len(data) or not packet.endswith(b"\n") or b" " not in packet:
            raise TokenError("the macaroon (v1) is cut short or malformed")
        key, _, value = packet[:-1].partition(b" ")
        if key == b"location":
            location = _text(value, "location")
        elif key == b"cid":
            if len(caveats) == MAX_CAVEATS:
                raise TokenError(f"more than {MAX_CAVEATS} caveats")
            caveats.append(value)
        elif key in (b"vid", b"cl"):
            if caveats:
                caveats[-1] = b'{"third-party": true}'
        elif key == b"signature":
            seen_signature = True
        elif key != b"identifier":
            raise TokenError("the macaroon (v1) holds an unknown packet")
        at += length
    if not seen_signature:
        raise TokenError("the macaroon (v1) has no signature")
    return location, caveats


def _text(value: bytes, what: str) -> str:
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError:
        raise TokenError(f"the macaroon's {what} is not UTF-8") from None
    if len(text) > 255 or any(ord(c) < 0x20 or ord(c) == 0x7F for c in text):
        raise TokenError(f"the macaroon's {what} is not a host name")
    return text


# ------------------------------------------------------------------ caveats


def _depth(text: str) -> int:
    """How deeply `text`'s JSON arrays and objects nest (strings skipped), before parsing it."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _caveat_json(caveat: bytes) -> Any:
    if len(caveat) > MAX_CAVEAT_BYTES:
        raise TokenError(f"a caveat is longer than {MAX_CAVEAT_BYTES} bytes")
    try:
        text = caveat.decode("utf-8")
    except UnicodeDecodeError:
        raise TokenError("a caveat is not UTF-8") from None
    if _depth(text) > MAX_JSON_DEPTH:
        raise TokenError(f"a caveat nests deeper than {MAX_JSON_DEPTH}")
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        raise TokenError("a caveat is not JSON") from None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _strings(value: Any, what: str) -> frozenset[str]:
    if not isinstance(value, list) or len(value) > MAX_LIST_ITEMS:
        raise TokenError(f"a {what} caveat does not hold a list (of at most {MAX_LIST_ITEMS})")
    if any(not isinstance(v, str) for v in value):
        raise TokenError(f"a {what} caveat does not hold a list of strings")
    return frozenset(value)


def _restrict(current: frozenset[str] | None, new: frozenset[str]) -> frozenset[str]:
    return new if current is None else current & new


def _dates(token: Token, expires_at: Any, not_before: Any) -> Token:
    if not (_is_int(expires_at) and _is_int(not_before)):
        raise TokenError("a date caveat does not hold two integers")
    return token._replace(
        expires_at=expires_at if token.expires_at is None else min(token.expires_at, expires_at),
        not_before=not_before if token.not_before is None else max(token.not_before, not_before))


def _apply(token: Token, caveat: Any) -> Token:
    """`token` with one caveat's restriction added (a caveat only ever narrows a token)."""
    if isinstance(caveat, list) and caveat and _is_int(caveat[0]):
        return _apply_list(token, caveat[0], caveat[1:])
    if isinstance(caveat, dict):
        return _apply_legacy(token, caveat)
    return token._replace(unknown=(*token.unknown, f"a caveat of JSON type {type(caveat).__name__}"))


def _apply_list(token: Token, tag: int, args: list[Any]) -> Token:
    if tag == 0 and len(args) == 2:
        return _dates(token, args[0], args[1])
    if tag == 1 and len(args) == 1:
        return token._replace(project_names=_restrict(token.project_names, _strings(args[0], "project name")))
    if tag == 2 and len(args) == 1:
        return token._replace(project_ids=_restrict(token.project_ids, _strings(args[0], "project id")))
    if tag == 3 and len(args) == 1:
        return token._replace(user_restricted=True)
    if tag == 4 and len(args) >= 1:
        return token._replace(trusted_publishing=True)
    if tag == 5 and len(args) == 1:
        given = args[0] if isinstance(args[0], list) else [args[0]]
        return token._replace(permissions=tuple(str(p)[:40] for p in given[:16]))
    if tag in (0, 1, 2, 3, 4, 5):
        raise TokenError(f"a caveat of kind {tag} has the wrong number of values")
    return token._replace(unknown=(*token.unknown, f"a caveat of kind {tag}"))


def _apply_legacy(token: Token, caveat: dict[str, Any]) -> Token:
    if set(caveat) == {"exp", "nbf"}:
        return _dates(token, caveat["exp"], caveat["nbf"])
    if caveat.get("version") == 1 and set(caveat) == {"version", "permissions"}:
        permissions = caveat["permissions"]
        if permissions == "user":
            return token._replace(user_restricted=True)
        if isinstance(permissions, dict) and set(permissions) == {"projects"}:
            names = _strings(permissions["projects"], "project name")
            return token._replace(project_names=_restrict(token.project_names, names))
        raise TokenError("a legacy permissions caveat is malformed")
    if caveat == {"third-party": True}:
        return token._replace(unknown=(*token.unknown, "a third-party caveat"))
    keys = ", ".join(sorted(str(k)[:20] for k in caveat)[:5])
    return token._replace(unknown=(*token.unknown, f"a caveat with the keys {keys}"))
