"""checks.auth, pure: the credentials twine would send in, every reason for a 403 out — with
tokens minted as the index mints them, the clock passed in, and no secret in any text."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import twine.utils

from conftest import LeakGuard
from release_guard.checks.auth import AuthFacts, check, ok_line
from release_guard.findings import Finding, render_text
from release_guard.index.credentials import TOKEN_USERNAME, TWINE_DEFAULT_USERNAME, Credential
from release_guard.token import fingerprint
from upload_tokens import account_wide, index_host, mint, project_scoped

NOW = 1_900_000_000
KNOWN = (("pypi", index_host("pypi")), ("testpypi", index_host("testpypi")))
PYPISERVER = "http://127.0.0.1:8080/"

Check = Callable[..., tuple[list[Finding], str]]


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, leak_guard: LeakGuard) -> Check:
    """check() on facts made of `password` and the rest; the password is set in the
    environment as a secret first, so the leak guard looks for it in every text made."""

    def run(password: str | None, *, username: str | None = TOKEN_USERNAME,
            username_source: str = TWINE_DEFAULT_USERNAME, source: str = "TWINE_PASSWORD",
            upload_url: str = twine.utils.DEFAULT_REPOSITORY, target: str = "pypi",
            project: str = "demo-pkg", on_index: bool | None = False,
            **more: object) -> tuple[list[Finding], str]:
        if password:
            monkeypatch.setenv("CHECKED_PASSWORD", password)
        facts = AuthFacts(project=project, target=target, upload_url=upload_url,
                          twine_default=upload_url.startswith((twine.utils.DEFAULT_REPOSITORY,
                                                               twine.utils.TEST_REPOSITORY)),
                          username=Credential(username, username_source if username is not None else ""),
                          password=Credential(password, source if password is not None else ""),
                          now=NOW, known_indexes=KNOWN, on_index=on_index,
                          not_read="--offline" if on_index is None else "", **more)  # type: ignore[arg-type]
        findings = check(facts)
        line = ok_line(facts)
        leak_guard.saw("findings", render_text(findings))
        leak_guard.saw("ok line", line)
        return findings, line

    return run


def codes(findings: list[Finding]) -> list[tuple[str, str]]:
    return [(f.code, f.severity) for f in findings]


# ------------------------------------------------------------------ all is well


def test_an_account_wide_token_for_a_first_release(run: Check) -> None:
    token = account_wide()
    findings, line = run(token, on_index=False)
    assert findings == []
    assert f"token sha256 {fingerprint(token)} from TWINE_PASSWORD" in line
    assert f"issued by pypi ({index_host()})" in line
    assert "scope: account-wide; no expiry date" in line


def test_a_token_scoped_to_the_project_compares_normalized_names(run: Check) -> None:
    findings, line = run(project_scoped("demo-pkg", location=index_host("testpypi")),
                         project="Demo_Pkg", upload_url=twine.utils.TEST_REPOSITORY, target="testpypi",
                         on_index=True)
    assert findings == []
    assert "scope: project demo-pkg" in line


def test_the_ok_line_names_dates_and_the_source(run: Check) -> None:
    token = mint([1, ["demo-pkg"]], [0, NOW + 86400, NOW - 10])
    findings, line = run(token, source=".pypirc [pypi]", on_index=True)
    assert findings == []
    assert "from .pypirc [pypi]" in line
    assert "valid until 2030-03-18 17:46 UTC" in line


# ------------------------------------------------------------------ no credentials


def test_no_credentials_names_the_variable_twine_does_not_read(run: Check) -> None:
    findings, _ = run(None, unread_variables=("PYPI_API_TOKEN",), keyring="keyring was not asked")
    assert codes(findings) == [("RG501", "error")]
    assert "PYPI_API_TOKEN is set, but twine does not read it" in findings[0].message
    assert "keyring was not asked" in findings[0].message
    assert findings[0].hint.startswith("pass it as twine reads it: TWINE_PASSWORD=$PYPI_API_TOKEN")


def test_no_credentials_on_a_terminal_is_a_warning(run: Check) -> None:
    findings, line = run(None, interactive=True)
    assert codes(findings) == [("RG501", "warning")]
    assert "will ask for them at the prompt" in line


def test_no_token_but_trusted_publishing(run: Check) -> None:
    findings, line = run(None, trusted_publishing="GitHub Actions")
    assert codes(findings) == [("RG502", "info")]
    assert "/manage/project/demo-pkg/settings/publishing/" in findings[0].hint
    assert "trusted publishing (GitHub Actions)" in line


def test_no_token_and_no_oidc_permission(run: Check) -> None:
    findings, _ = run(None, oidc_missing="GitHub Actions")
    assert codes(findings) == [("RG501", "error")]
    assert "permissions: id-token: write" in findings[0].hint


def test_an_empty_secret(run: Check) -> None:
    findings, _ = run("")
    assert codes(findings) == [("RG503", "error")]
    assert "the password from TWINE_PASSWORD is set but empty" in findings[0].message


def test_an_empty_username_for_another_index(run: Check) -> None:
    findings, _ = run("a-plain-password", username="", username_source="TWINE_USERNAME",
                      upload_url=PYPISERVER, target=PYPISERVER)
    assert codes(findings) == [("RG503", "error")]


# ------------------------------------------------------------------ the password's shape


@pytest.mark.parametrize(("wrap", "words"), [
    ("{}\n", "a trailing line break"),
    (" {}", "leading whitespace"),
    ("{}  ", "trailing whitespace"),
    ('"{}"', "surrounding quotes"),
    ("{}\r\n", "a trailing line break"),
], ids=["newline", "leading-space", "trailing-space", "quotes", "crlf"])
def test_whitespace_quotes_and_line_breaks_around_a_token(run: Check, wrap: str, words: str) -> None:
    token = account_wide()
    findings, _ = run(wrap.format(token))
    assert codes(findings) == [("RG504", "error")]  # and nothing else: the token inside is fine
    assert words in findings[0].message
    assert f"sha256 {fingerprint(wrap.format(token))}" in findings[0].message


def test_a_line_break_inside_a_password_of_another_index_is_a_warning(run: Check) -> None:
    findings, _ = run("first-half\nsecond-half", username="guard", username_source="TWINE_USERNAME",
                      upload_url=PYPISERVER, target=PYPISERVER)
    assert codes(findings) == [("RG504", "warning")]
    assert "a line break inside" in findings[0].message


# ------------------------------------------------------------------ token or password


def test_a_password_that_is_no_token(run: Check) -> None:
    findings, _ = run("correct-horse-battery-staple")
    assert codes(findings) == [("RG505", "error")]
    assert "upload tokens start with pypi-" in findings[0].message
    assert "403 Invalid or non-existent authentication information" in findings[0].message


def test_a_token_without_its_prefix(run: Check) -> None:
    findings, _ = run(account_wide()[len("pypi-"):])
    assert codes(findings) == [("RG505", "error")]
    assert "it is a token without its pypi- prefix" in findings[0].message
    assert findings[0].hint == "put pypi- back in front of it"


def test_username_and_password_are_no_longer_supported(run: Check) -> None:
    findings, _ = run("correct-horse-battery-staple", username="alice", username_source="TWINE_USERNAME")
    assert codes(findings) == [("RG506", "error")]
    assert "username 'alice' (from TWINE_USERNAME)" in findings[0].message
    assert "Username/Password authentication is no longer supported" in findings[0].message


def test_a_token_with_another_username(run: Check) -> None:
    findings, _ = run(account_wide(), username="alice", username_source="TWINE_USERNAME")
    assert codes(findings) == [("RG507", "error")]
    assert "it must be __token__" in findings[0].message


def test_a_token_pasted_as_the_username_is_shown_by_fingerprint(run: Check,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    pasted = account_wide()
    monkeypatch.setenv("PASTED_USERNAME_TOKEN", pasted)
    findings, _ = run(account_wide(), username=pasted, username_source="TWINE_USERNAME")
    assert codes(findings) == [("RG507", "error")]
    assert f"sha256 {fingerprint(pasted)}" in findings[0].message


def test_a_token_cut_short(run: Check) -> None:
    findings, _ = run(account_wide()[:50])
    assert codes(findings) == [("RG508", "error")]
    assert "but is not a token release-guard can read: " in findings[0].message
    assert "cut short" in findings[0].message


# ------------------------------------------------------------------ which index


def test_a_token_of_the_test_instance_for_the_main_index(run: Check) -> None:
    findings, _ = run(account_wide(location=index_host("testpypi")))
    assert codes(findings) == [("RG509", "error")]
    assert f"issued by testpypi ({index_host('testpypi')}), not by pypi" in findings[0].message


def test_a_token_of_the_main_index_for_the_test_instance(run: Check) -> None:
    findings, _ = run(project_scoped("demo-pkg"), upload_url=twine.utils.TEST_REPOSITORY, target="testpypi")
    assert codes(findings) == [("RG509", "error")]
    assert f"issued by pypi ({index_host()}), not by testpypi" in findings[0].message


def test_a_token_of_the_public_index_sent_to_another_server(run: Check) -> None:
    findings, _ = run(account_wide(), username="guard", username_source="TWINE_USERNAME",
                      upload_url=PYPISERVER, target=PYPISERVER)
    assert codes(findings) == [("RG509", "error")]
    assert "sending it there hands it to another server" in findings[0].message


def test_a_self_hosted_warehouse_takes_its_own_tokens(run: Check) -> None:
    url = "https://upload.packages.example.invalid/legacy/"
    findings, _ = run(account_wide(location="packages.example.invalid"), upload_url=url, target=url)
    assert findings == []
    findings, _ = run("a-plain-password", upload_url=url, target=url)
    assert codes(findings) == [("RG505", "error")]


def test_another_index_may_take_any_password(run: Check) -> None:
    findings, line = run("pypi-looking-but-no-token", username="guard", username_source=".pypirc [local]",
                         upload_url=PYPISERVER, target=f"local ({PYPISERVER})")
    assert findings == []
    assert "username 'guard' (.pypirc [local]) and a password (sha256" in line


# ------------------------------------------------------------------ scope and dates


def test_a_token_scoped_to_another_project(run: Check) -> None:
    findings, _ = run(project_scoped("other", "third"), on_index=True)
    assert codes(findings) == [("RG510", "error")]
    assert "scoped to projects other, third, not to demo-pkg" in findings[0].message
    assert "project-scoped token is not valid for project: 'demo-pkg'" in findings[0].message


def test_a_legacy_token_scoped_to_another_project(run: Check) -> None:
    findings, _ = run(mint({"version": 1, "permissions": {"projects": ["other"]}}), on_index=True)
    assert codes(findings) == [("RG510", "error")]


def test_a_token_scoped_by_project_ids_only(run: Check) -> None:
    findings, line = run(mint([2, ["8d5f-project-id"]]), on_index=True)
    assert codes(findings) == [("RG511", "warning")]
    assert "scoped to 1 project id" in findings[0].message
    assert "scope: 1 project id" in line


@pytest.mark.parametrize("token", [project_scoped("demo-pkg"), mint([2, ["id"]]),
                                   mint({"version": 1, "permissions": {"projects": ["demo-pkg"]}})],
                         ids=["names-and-ids", "ids", "legacy"])
def test_a_first_release_needs_an_account_wide_token(run: Check, token: str) -> None:
    findings, _ = run(token, on_index=False)
    assert codes(findings) == [("RG514", "error")]
    assert "a project-scoped token cannot create a project" in findings[0].message
    assert "account-wide token" in findings[0].hint


def test_after_the_first_release_an_account_wide_token_could_be_scoped(run: Check) -> None:
    findings, _ = run(mint({"version": 1, "permissions": "user"}), on_index=True)
    assert codes(findings) == [("RG515", "info")]
    assert "replace it with a token scoped to demo-pkg" in findings[0].hint


def test_offline_the_first_release_is_not_checked_and_says_so(run: Check) -> None:
    findings, _ = run(project_scoped("demo-pkg"), on_index=None)
    assert codes(findings) == [("RG516", "info")]
    assert "(--offline)" in findings[0].message


@pytest.mark.parametrize(("caveat", "code"), [
    ([0, NOW, NOW - 900], "RG512"),  # the index: now >= expires_at is expired
    ([0, NOW - 1, NOW - 900], "RG512"),
    ({"exp": NOW - 1, "nbf": NOW - 900}, "RG512"),
    ([0, NOW + 900, NOW + 1], "RG513"),
], ids=["expires-now", "expired", "legacy-expired", "not-yet"])
def test_expired_or_not_yet_valid(run: Check, caveat: object, code: str) -> None:
    findings, _ = run(mint([3, "user"], caveat), on_index=False)
    assert codes(findings) == [(code, "error")]


def test_a_trusted_publishing_token(run: Check) -> None:
    token = mint([4, "publisher"], [2, ["id"]], [0, NOW + 600, NOW - 300])
    findings, line = run(token, on_index=True)
    assert codes(findings) == [("RG511", "warning")]
    assert "scope: trusted publishing, 1 project id" in line


def test_caveats_of_an_unknown_kind(run: Check) -> None:
    findings, _ = run(mint([3, "user"], [17, "future"]), on_index=False)
    assert codes(findings) == [("RG518", "warning")]
    assert "a caveat of kind 17" in findings[0].message


def test_a_pypirc_others_can_read(run: Check) -> None:
    findings, _ = run(account_wide(), source=".pypirc [pypi]", on_index=False,
                      shared_config="~/.pypirc (mode 0644)")
    assert codes(findings) == [("RG519", "warning")]
    assert findings[0].hint == "chmod 600 ~/.pypirc"


def test_no_username_for_an_index_that_is_not_twines_default(run: Check) -> None:
    url = "http://127.0.0.1:8080/legacy/"
    token = account_wide(location="127.0.0.1")
    findings, _ = run(token, username=None, upload_url=url, target=url)
    assert codes(findings) == [("RG501", "error")]
    assert findings[0].message.startswith(f"no username for {url}: twine finds none")
    assert findings[0].hint == "with a token, set TWINE_USERNAME=__token__"
    findings, _ = run(token, username=None, upload_url=url, target=url, interactive=True)
    assert codes(findings) == [("RG501", "warning")]
