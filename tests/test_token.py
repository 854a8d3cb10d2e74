"""Reading upload tokens without their key: tokens minted as the index mints them, every
caveat form, and everything that is not a token refused with TokenError only — whose text
never holds a part of the token."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json

import pymacaroons
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import LeakGuard
from release_guard.token import (
    MAX_CAVEATS,
    MAX_TOKEN_CHARS,
    Token,
    TokenError,
    decode,
    macaroon_without_prefix,
)
from upload_tokens import IDENTIFIER, KEY, account_wide, index_host, mint, project_scoped


def _register(monkeypatch: pytest.MonkeyPatch, token: str) -> str:
    """The token, set as a secret in the environment: the leak guard then looks for it in
    everything the test saw (it is never printed)."""
    monkeypatch.setenv("MINTED_TOKEN", token)
    return token


def test_an_account_wide_token_of_the_index(monkeypatch: pytest.MonkeyPatch, leak_guard: LeakGuard) -> None:
    token = _register(monkeypatch, account_wide())
    read = decode(token)
    assert read.location == index_host()
    assert read.version == 2
    assert read.fingerprint == hashlib.sha256(token.encode()).hexdigest()[:8]
    assert read.user_restricted
    assert not read.project_scoped
    assert (read.expires_at, read.not_before, read.unknown) == (None, None, ())
    leak_guard.saw("repr", repr(read))
    assert IDENTIFIER not in repr(read)
    assert token[5:25] not in repr(read)


def test_a_project_scoped_token_of_the_test_instance(monkeypatch: pytest.MonkeyPatch) -> None:
    read = decode(_register(monkeypatch, project_scoped("demo-pkg", location=index_host("testpypi"))))
    assert read.location == index_host("testpypi") != index_host("pypi")
    assert read.project_names == frozenset({"demo-pkg"})
    assert read.project_ids == frozenset({"id-of-demo-pkg"})
    assert read.project_scoped
    assert not read.user_restricted


def test_dates_take_the_tightest_of_every_date_caveat(monkeypatch: pytest.MonkeyPatch) -> None:
    read = decode(_register(monkeypatch, mint([0, 2_000_000_000, 100], {"exp": 1_900_000_000, "nbf": 50},
                                              [3, "user"])))
    assert (read.expires_at, read.not_before) == (1_900_000_000, 100)


def test_several_name_caveats_each_hold_so_they_intersect(monkeypatch: pytest.MonkeyPatch) -> None:
    read = decode(_register(monkeypatch, mint([1, ["a", "b"]], [1, ["b", "c"]])))
    assert read.project_names == frozenset({"b"})


@pytest.mark.parametrize(("caveat", "expected"), [
    ({"version": 1, "permissions": "user"}, {"user_restricted": True}),
    ({"version": 1, "permissions": {"projects": ["demo-pkg", "other"]}},
     {"project_names": frozenset({"demo-pkg", "other"})}),
    ({"exp": 1_800_000_000, "nbf": 1_700_000_000},
     {"expires_at": 1_800_000_000, "not_before": 1_700_000_000}),
    ([4, "publisher-id"], {"trusted_publishing": True}),
    ([5, ["upload"]], {"permissions": ("upload",)}),
    ([9, "new"], {"unknown": ("a caveat of kind 9",)}),
    ({"future": 1}, {"unknown": ("a caveat with the keys future",)}),
    ("a string", {"unknown": ("a caveat of JSON type str",)}),
], ids=["legacy-user", "legacy-projects", "legacy-dates", "trusted-publishing", "permissions", "unknown-tag",
        "unknown-object", "unknown-type"])
def test_every_caveat_form(monkeypatch: pytest.MonkeyPatch, caveat: object,
                           expected: dict[str, object]) -> None:
    read = decode(_register(monkeypatch, mint(caveat)))
    plain = Token(read.fingerprint, index_host(), 2)
    assert read == plain._replace(**expected)  # what the caveat says, and nothing else


def test_a_trusted_publishing_token_as_the_index_mints_it(monkeypatch: pytest.MonkeyPatch) -> None:
    token = mint([4, "pub-id"], [2, ["proj-id"]], [0, 1_900_000_900, 1_900_000_000])
    read = decode(_register(monkeypatch, token))
    assert read.trusted_publishing
    assert read.project_ids == frozenset({"proj-id"})
    assert read.project_names is None
    assert read.expires_at == 1_900_000_900


def test_a_version_1_macaroon(monkeypatch: pytest.MonkeyPatch) -> None:
    token = _register(monkeypatch, mint([1, ["demo-pkg"]], [0, 1_900_000_000, 0],
                                        version=pymacaroons.MACAROON_V1))
    read = decode(token)
    assert (read.version, read.location, read.project_names, read.expires_at) == (
        1, index_host(), frozenset({"demo-pkg"}), 1_900_000_000)


def test_a_third_party_caveat_is_reported_as_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    macaroon = pymacaroons.Macaroon(location=index_host(), identifier=IDENTIFIER, key=KEY)
    macaroon.add_third_party_caveat("elsewhere.invalid", "a" * 32, "caveat-id")
    read = decode(_register(monkeypatch, "pypi-" + macaroon.serialize()))
    assert read.unknown == ("a third-party caveat",)


def test_the_macaroon_without_its_prefix_is_recognised(monkeypatch: pytest.MonkeyPatch) -> None:
    token = _register(monkeypatch, account_wide())
    assert macaroon_without_prefix(token[len("pypi-"):])
    assert not macaroon_without_prefix(token)
    assert not macaroon_without_prefix("hunter2-a-plain-account-password-x")


def _raw(data: bytes) -> str:
    return "pypi-" + base64.urlsafe_b64encode(data).decode().rstrip("=")


def _with(caveat: bytes) -> str:
    """A v2 macaroon with one raw caveat, serialized by hand (pymacaroons would refuse some)."""
    def field(kind: int, data: bytes) -> bytes:
        return bytes([kind, len(data)]) if len(data) < 128 else bytes([kind, 0x80 | len(data) & 0x7F,
                                                                      len(data) >> 7])
    head = field(1, b"h.invalid") + b"h.invalid" + field(2, b"id") + b"id" + b"\x00"
    return _raw(b"\x02" + head + field(2, caveat) + caveat + b"\x00" + b"\x00" + field(6, b"s" * 32)
                + b"s" * 32)


def _refusals() -> list[tuple[str, str]]:
    token = mint([1, ["demo-pkg"]])
    many = mint(*([3, "u"] for _ in range(MAX_CAVEATS + 1)))
    return [
        ("no-prefix", token[5:]),
        ("other-prefix", "pypj-" + token[5:]),
        ("empty", "pypi-"),
        ("too-long", "pypi-" + "A" * MAX_TOKEN_CHARS),
        ("space", token[:40] + " " + token[40:]),
        ("quote", token + '"'),
        ("newline", token + "\n"),
        ("cut-short", token[:60]),
        ("cut-by-one", token[:-1]),
        ("impossible-length", token[:-3] if len(token[5:]) % 4 != 1 else token[:-2]),
        ("format-byte", _raw(b"\x07" + b"x" * 40)),
        ("v1-garbage", _raw(b"0zzz")),
        ("too-many-caveats", many),
        ("deep-json", _with(b"[" * 50 + b"]" * 50)),
        ("not-json", _with(b"[1, ['x']")),
        ("not-utf8", _with(b"\xff\xfe")),
        ("huge-caveat", _with(b'"' + b"x" * 5000 + b'"')),
        ("date-not-int", _with(b'[0,"soon",1]')),
        ("date-bool", _with(b"[0,true,0]")),
        ("names-not-list", _with(b'[1,"demo-pkg"]')),
        ("names-not-strings", _with(b"[1,[1,2]]")),
        ("wrong-arity", _with(b"[1]")),
        ("legacy-bad", _with(b'{"permissions":{"nope":1},"version":1}')),
        ("trailing-data", _raw(base64.urlsafe_b64decode(token[5:] + "==") + b"more")),
        ("no-signature", _raw(b"\x02\x02\x02id\x00\x00")),
    ]


@pytest.mark.parametrize(("case", "text"), _refusals(), ids=[case for case, _ in _refusals()])
def test_what_is_not_a_token_is_refused_without_quoting_it(
        monkeypatch: pytest.MonkeyPatch, leak_guard: LeakGuard, case: str, text: str) -> None:
    _register(monkeypatch, text)
    with pytest.raises(TokenError) as caught:
        decode(text)
    message = str(caught.value)
    leak_guard.saw(f"TokenError for {case}", message)
    assert message.startswith("not a token release-guard can read: ")
    body = text[5:].strip()
    assert not any(body[i:i + 8] in message for i in range(0, max(len(body) - 8, 0), 4)), message
    assert IDENTIFIER not in message


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_after_the_prefix_give_a_token_or_token_error(data: bytes) -> None:
    for raw in (data, b"\x02" + data, b"00" + data):
        with contextlib.suppress(TokenError):
            decode(_raw(raw))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_any_text_gives_a_token_or_token_error(text: str) -> None:
    for candidate in (text, "pypi-" + text):
        with contextlib.suppress(TokenError):
            decode(candidate)


@settings(max_examples=100, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                                 max_size=3), max_leaves=12))
def test_any_json_caveat_gives_a_token_or_token_error(caveat: object) -> None:
    with contextlib.suppress(TokenError):
        decode(_with(json.dumps(caveat).encode()))
