"""The pure release checks (RG401-RG407): facts in, findings out.

The twine lines below are real: twine 7.0.0 (`twine upload --non-interactive
--disable-progress-bar`, COLUMNS=1000, as upload.run calls it) against pypiserver 2.4.2,
devpi-server 6.20.3 and the fault server's `/refuse/<key>/` (which answers with the public
index's own refusal texts, index_servers.UPLOAD_REFUSALS), each line masked by upload.mask.
test_release.py runs twine again and checks that it still prints exactly these lines.
"""

from __future__ import annotations

import pytest
from packaging.version import Version

from release_guard.checks import release as r

INDEX = "http://127.0.0.1:1/simple/"
UPLOAD = "http://127.0.0.1:1/"
WHERE = "pyproject.toml"
SHA_SDIST = "a" * 64
SHA_WHEEL = "b" * 64
SHA_OTHER = "c" * 64
SDIST = "demo_rel-1.0.tar.gz"
WHEEL = "demo_rel-1.0-py3-none-any.whl"

# ------------------------------------------------------------------ real twine output

PYPISERVER = "http://127.0.0.1:18571/"
DEVPI = "http://127.0.0.1:18572/guard/dev/"
FAULT = "http://127.0.0.1:39223/"
_ERROR = "WARNING  Error during upload. Retry with the --verbose option for more details."


def _refused(url: str, status: str, reason: str, filename: str = SDIST) -> list[str]:
    return [f"Uploading distributions to {url}", f"Uploading {filename}", _ERROR,
            f"ERROR    HTTPError: {status} from {url}", f"         {reason}", ""]


TWINE_OUTPUT: dict[str, list[str]] = {
    # pypiserver: the same file name with other content (twine's user agent gets 400)
    "pypiserver-exists": _refused(PYPISERVER, "400 Bad Request", "Bad Request"),
    "pypiserver-wrong-password": _refused(PYPISERVER, "403 Forbidden", "Forbidden"),
    "pypiserver-no-username": [f"Uploading distributions to {PYPISERVER}",
                               "ERROR    NonInteractive: Credential not found for username.", ""],
    "devpi-wrong-password": _refused(DEVPI, "401 Unauthorized", "Unauthorized"),
    # the public index's refusals, as twine prints them
    "exists": _refused(FAULT + "refuse/exists/", "400 Bad Request",
                       "File already exists ('demo_rel-1.0.tar.gz', with blake2_256 hash 'ab12')."),
    "previously-used": _refused(FAULT + "refuse/previously-used/", "400 Bad Request",
                                "This filename was previously used by a file that has since been deleted. "
                                "Use a different version."),
    "one-sdist": _refused(FAULT + "refuse/one-sdist/", "400 Bad Request",
                          "Only one sdist may be uploaded per release."),
    "too-old": _refused(FAULT + "refuse/too-old/", "400 Bad Request",
                        "Uploading new files to releases older than 14 days is not allowed."),
    "start-filename": _refused(FAULT + "refuse/start-filename/", "400 Bad Request",
                               "Start filename for 'Demo.Rel' with 'demo_rel'."),
    "invalid-auth": _refused(FAULT + "refuse/invalid-auth/", "403 Forbidden",
                             "Invalid or non-existent authentication information."),
    "project-scope": _refused(FAULT + "refuse/project-scope/", "403 Forbidden",
                              "Invalid API Token: project-scoped token is not valid for project: 'demo-rel'"),
    "not-allowed": _refused(FAULT + "refuse/not-allowed/", "403 Forbidden",
                            "The user 'guard' isn't allowed to upload to project 'demo-rel'."),
    "no-passwords": _refused(FAULT + "refuse/no-passwords/", "403 Forbidden",
                             "Username/Password authentication is no longer supported."),
    "name-conflict": _refused(FAULT + "refuse/name-conflict/", "409 Conflict", "Conflict"),
}

PARSED: dict[str, tuple[int | None, str]] = {
    "pypiserver-exists": (400, "Bad Request"),
    "pypiserver-wrong-password": (403, "Forbidden"),
    "pypiserver-no-username": (None, "NonInteractive: Credential not found for username."),
    "devpi-wrong-password": (401, "Unauthorized"),
    "exists": (400, "Bad Request File already exists ('demo_rel-1.0.tar.gz', with blake2_256 hash 'ab12')."),
    "previously-used": (400, "Bad Request This filename was previously used by a file that has since been "
                        "deleted. Use a different version."),
    "one-sdist": (400, "Bad Request Only one sdist may be uploaded per release."),
    "too-old": (400, "Bad Request Uploading new files to releases older than 14 days is not allowed."),
    "start-filename": (400, "Bad Request Start filename for 'Demo.Rel' with 'demo_rel'."),
    "invalid-auth": (403, "Forbidden Invalid or non-existent authentication information."),
    "project-scope": (403, "Forbidden Invalid API Token: project-scoped token is not valid for project: "
                      "'demo-rel'"),
    "not-allowed": (403, "Forbidden The user 'guard' isn't allowed to upload to project 'demo-rel'."),
    "no-passwords": (403, "Forbidden Username/Password authentication is no longer supported."),
    "name-conflict": (409, "Conflict"),
}

# What each refusal means (RG406's message after the colon) and the hint, for demo-rel 1.0
# with 1.0 on the index.
FREE = "1.0.1, 1.1.0, 2.0.0, 1.0.1.dev0"
MEANING: dict[str, tuple[str, str]] = {
    "pypiserver-exists": ("the index refused the upload",
                          "run `twine upload --verbose` with the same files to see the whole answer"),
    "pypiserver-wrong-password": (
        "the index refused the credentials for this upload",
        f"check TWINE_USERNAME/TWINE_PASSWORD (or the .pypirc section) for {UPLOAD}"),
    "pypiserver-no-username": (
        "twine found no credentials for this target, and without a terminal it cannot ask",
        "set TWINE_USERNAME and TWINE_PASSWORD, or username and password in the .pypirc section"),
    "devpi-wrong-password": ("the index asked for credentials, or refused the ones sent",
                             f"set TWINE_USERNAME and TWINE_PASSWORD (or the .pypirc section) for {UPLOAD}"),
    "exists": ("a file of this name is already on the index with other content: a version is never "
               "re-released", f"bump the version ({FREE}) and release again"),
    "previously-used": ("a file of this name was uploaded once and deleted: the index never takes that "
                        "name again", f"release a new version ({FREE}, or a post-release)"),
    "one-sdist": ("the release already has an sdist: the index takes one sdist per release",
                  "upload the wheels only (twine upload dist/*.whl), or release a new version"),
    "too-old": ("the index takes no new files for a release older than 14 days",
                f"release a new version ({FREE})"),
    "start-filename": ("the index refused the upload",
                       "run `twine upload --verbose` with the same files to see the whole answer"),
    "invalid-auth": (
        "the token is unknown to this index: mistyped, deleted, or made for the other instance "
        "(a test-instance token does not work on the main index, nor the reverse)",
        f"set TWINE_PASSWORD (or the password of the .pypirc section) to a token of {UPLOAD}"),
    "project-scope": ("the token is scoped to another project",
                      "use a token scoped to demo-rel, or an account-wide token for its first release"),
    "not-allowed": (
        "your account may not upload to demo-rel: the name usually belongs to someone else (or the "
        "account lacks a verified e-mail address or two-factor authentication)",
        "choose another project name, or ask its owners to add you"),
    "no-passwords": ("the index takes API tokens only",
                     "set TWINE_USERNAME=__token__ and TWINE_PASSWORD to an API token"),
    "name-conflict": ("a conflict: the index holds a file of this name with other content, or the project "
                      "name is taken", f"release a new version ({FREE}), or choose another name"),
}


def listed(filename: str, version: str | None, sha256: str | None, yanked: bool = False) -> r.Listed:
    return r.Listed(filename, Version(version) if version else None, sha256, yanked)


def local(filename: str, sha256: str) -> r.Local:
    return r.Local(f"dist/{filename}", filename, sha256)


def new(version: str, versions: tuple[str, ...] = (), files: tuple[r.Listed, ...] = (),
        mine: tuple[r.Local, ...] = (), allow_older: bool = False) -> r.Verdict:
    return r.version_is_new("demo-rel", Version(version), [Version(v) for v in versions], files, mine, INDEX,
                            WHERE, allow_older)


def codes(findings: tuple[r.Finding, ...] | list[r.Finding]) -> list[str]:
    return [f.code for f in findings]


ON_INDEX = (listed(SDIST, "1.0", SHA_SDIST), listed(WHEEL, "1.0", SHA_WHEEL))

# ------------------------------------------------------------------ version_is_new: a new version


def test_a_first_release_is_new() -> None:
    assert new("1.0") == r.Verdict(r.NEW)


def test_a_version_above_the_newest_is_new() -> None:
    assert new("1.1", ("0.9", "1.0"), ON_INDEX) == r.Verdict(r.NEW)


def test_an_older_version_is_rg402_before_anything_is_built() -> None:
    verdict = new("0.9", ("1.0", "1.1"))
    assert verdict.state == r.ALREADY
    [finding] = verdict.findings
    assert finding.code == "RG402"
    assert finding.message == f"demo-rel 0.9 is older than 1.1, the newest release on {INDEX}"
    assert finding.path == WHERE
    assert finding.hint == ("bump to 1.1.1, 1.2.0, 2.0.0, 1.1.1.dev0; for a backport set allow-older = true "
                            "in [tool.release-guard]")


def test_allow_older_lets_an_older_version_through() -> None:
    assert new("0.9", ("1.0", "1.1"), allow_older=True) == r.Verdict(r.NEW)


def test_pre_releases_do_not_make_a_final_release_older() -> None:
    assert new("1.5", ("1.0", "2.0rc1")) == r.Verdict(r.NEW)
    assert codes(new("2.0b1", ("1.0", "2.0rc1")).findings) == ["RG402"]


def test_a_yanked_newest_release_does_not_make_a_version_older() -> None:
    """As check-tag decides (test_checks_tags): a release yanked as a whole is no newest release."""
    yanked = (listed("demo_rel-2.0.tar.gz", "2.0", SHA_OTHER, yanked=True),
              listed("demo_rel-2.0-py3-none-any.whl", "2.0", SHA_OTHER, yanked=True))
    assert new("1.5", ("1.0", "2.0"), (*ON_INDEX, *yanked)) == r.Verdict(r.NEW)
    partly = (yanked[0], listed("demo_rel-2.0-py3-none-any.whl", "2.0", SHA_OTHER))
    assert codes(new("1.5", ("1.0", "2.0"), (*ON_INDEX, *partly)).findings) == ["RG402"]


# ------------------------------------------------------------------ version_is_new: already there


def test_a_released_version_is_rg401() -> None:
    verdict = new("1.0", ("1.0",), ON_INDEX)
    assert verdict.state == r.ALREADY
    [finding] = verdict.findings
    assert (finding.code, finding.path) == ("RG401", WHERE)
    assert finding.message == (f"demo-rel 1.0 is already on {INDEX}; the upload would answer "
                               "'400 File already exists'")
    assert finding.hint == f"bump to a free version: {FREE}"
    assert verdict.missing == ()


def test_1_0_0_is_1_0() -> None:
    [finding] = new("1.0.0", ("1.0",), ON_INDEX).findings
    assert finding.message == (f"demo-rel 1.0.0 is already on {INDEX} as 1.0; the upload would answer "
                               "'400 File already exists'")


def test_a_yanked_release_still_counts() -> None:
    yanked = tuple(f._replace(yanked=True) for f in ON_INDEX)
    [finding] = new("1.0", ("1.0",), yanked).findings
    assert finding.code == "RG401"
    assert f"already on {INDEX} (yanked, which still counts);" in finding.message
    partly = (yanked[0], ON_INDEX[1])
    [finding] = new("1.0", ("1.0",), partly).findings
    assert "yanked" not in finding.message


def test_a_version_listed_without_files_is_released() -> None:
    """PEP 700 `versions` may name a release whose files the page does not list."""
    [finding] = new("1.0", ("1.0",)).findings
    assert finding.message == (f"demo-rel 1.0 is already on {INDEX}; the upload would answer "
                               "'400 File already exists'")


def test_the_very_files_in_dist_already_uploaded_is_rg401() -> None:
    verdict = new("1.0", ("1.0",), ON_INDEX, (local(WHEEL, SHA_WHEEL), local(SDIST, SHA_SDIST)))
    assert verdict.state == r.ALREADY
    [finding] = verdict.findings
    assert finding.message == (f"demo-rel 1.0 is already on {INDEX} with the very files in dist/; the upload "
                               "would answer '400 File already exists'")


def test_files_in_dist_that_the_index_does_not_list_are_no_partial_upload() -> None:
    """Nothing of dist/ is on the index: the release is someone else's upload, not ours."""
    other_wheel = "demo_rel-1.0-cp312-cp312-manylinux_2_17_x86_64.whl"
    verdict = new("1.0", ("1.0",), ON_INDEX, (local(other_wheel, SHA_OTHER),))
    assert verdict.state == r.ALREADY
    assert codes(verdict.findings) == ["RG401"]
    assert "very files" not in verdict.findings[0].message


# ------------------------------------------------------------------ version_is_new: a partial upload


def test_a_partial_upload_names_the_files_still_to_upload() -> None:
    wheel_only = (listed(WHEEL, "1.0", SHA_WHEEL.upper()),)  # an index may give the hash in capitals
    mine = (local(WHEEL, SHA_WHEEL), local(SDIST, SHA_SDIST))
    verdict = new("1.0", ("1.0",), wheel_only, mine)
    assert verdict == r.Verdict(r.PARTIAL, (), (local(SDIST, SHA_SDIST),))


def test_a_partial_upload_with_other_content_is_rg403_with_both_hashes() -> None:
    theirs = (listed(WHEEL, "1.0", SHA_OTHER),)
    verdict = new("1.0", ("1.0",), theirs, (local(WHEEL, SHA_WHEEL), local(SDIST, SHA_SDIST)))
    assert verdict.state == r.ALREADY
    assert verdict.missing == ()
    [finding] = verdict.findings
    assert (finding.code, finding.path) == ("RG403", f"dist/{WHEEL}")
    assert finding.message == (f"{WHEEL} on {INDEX} is not the file in dist/{WHEEL}: sha256 {SHA_OTHER} on "
                               f"the index, {SHA_WHEEL} here")
    assert finding.hint == ("the index keeps its file: upload the rest only with files of that same build, "
                            "or release a new version")


def test_each_differing_file_is_named() -> None:
    theirs = (listed(WHEEL, "1.0", SHA_OTHER), listed(SDIST, "1.0", SHA_OTHER))
    verdict = new("1.0", ("1.0",), theirs, (local(WHEEL, SHA_WHEEL), local(SDIST, SHA_SDIST)))
    assert [f.path for f in verdict.findings] == [f"dist/{WHEEL}", f"dist/{SDIST}"]


def test_an_index_without_hashes_cannot_prove_a_partial_upload() -> None:
    verdict = new("1.0", ("1.0",), (listed(WHEEL, "1.0", None),),
                  (local(WHEEL, SHA_WHEEL), local(SDIST, SHA_SDIST)))
    assert verdict.state == r.ALREADY
    [finding] = verdict.findings
    assert finding.code == "RG403"
    assert finding.message == (f"{WHEEL} is on {INDEX}, which gives no sha256 for it: whether it is the file "
                               f"in dist/{WHEEL} (sha256 {SHA_WHEEL}) cannot be told")
    assert finding.hint == "compare the file on the index by hand before uploading the rest"


# ------------------------------------------------------------------ files_are_new


def test_new_file_names_pass() -> None:
    built = [local("demo_rel-1.1.tar.gz", SHA_SDIST), local("demo_rel-1.1-py3-none-any.whl", SHA_WHEEL)]
    assert r.files_are_new(built, list(ON_INDEX), INDEX) == []


def test_a_file_name_the_index_lists_is_rg405() -> None:
    [finding] = r.files_are_new([local(SDIST, SHA_SDIST)], list(ON_INDEX), INDEX)
    assert (finding.code, finding.path) == ("RG405", f"dist/{SDIST}")
    assert finding.message == (f"{SDIST}: {INDEX} already lists {SDIST}; the upload would answer "
                               "'400 File already exists'")
    assert finding.hint == "release a new version"


def test_file_names_compare_as_the_index_compares_them() -> None:
    """Case and `-`/`_`/`.` in the name part do not make a file new; a file whose version
    the index could not tell (version None) still clashes by name."""
    on_index = [listed("Demo.Rel-1.0.tar.gz", None, None)]
    [finding] = r.files_are_new([local(SDIST, SHA_SDIST)], on_index, INDEX)
    assert "already lists Demo.Rel-1.0.tar.gz" in finding.message


def test_an_sdist_and_a_wheel_never_clash() -> None:
    assert r.files_are_new([local(WHEEL, SHA_WHEEL)], [listed(SDIST, "1.0", SHA_SDIST)], INDEX) == []
    other_version = [listed("demo_rel-1.0.0.tar.gz", "1.0.0", SHA_SDIST)]
    assert r.files_are_new([local(SDIST, SHA_SDIST)], other_version, INDEX) == []


def test_every_clashing_file_is_named() -> None:
    found = r.files_are_new([local(WHEEL, SHA_WHEEL), local(SDIST, SHA_SDIST)], list(ON_INDEX), INDEX)
    assert [f.path for f in found] == [f"dist/{WHEEL}", f"dist/{SDIST}"]


# ------------------------------------------------------------------ tag_required


def test_a_tag_of_the_version_on_head_passes() -> None:
    assert r.tag_required({"v1.0": Version("1.0")}, Version("1.0"), "v1.0", WHERE) == []
    assert r.tag_required({"v1.0.0": Version("1.0.0"), "other": Version("3")}, Version("1.0"), "v1.0",
                          WHERE) == []


@pytest.mark.parametrize("tags", [{}, {"v0.9": Version("0.9")}], ids=["no tag", "another version"])
def test_no_tag_of_the_version_is_rg404(tags: dict[str, Version]) -> None:
    [finding] = r.tag_required(tags, Version("1.0"), "demo-rel-v1.0", WHERE)
    assert (finding.code, finding.path) == ("RG404", WHERE)
    assert finding.message == "HEAD carries no tag for 1.0 (require-tag = true)"
    assert finding.hint == "tag the release commit: git tag demo-rel-v1.0 && git push origin demo-rel-v1.0"


# ------------------------------------------------------------------ not_visible


def test_not_visible_is_rg407_with_the_wait() -> None:
    finding = r.not_visible("demo-rel", Version("1.0"), INDEX, 1.02)
    assert finding.code == "RG407"
    assert finding.message == f"the upload succeeded, but {INDEX} did not list demo-rel 1.0 within 1 s"
    assert finding.hint.startswith("look again in a minute;")


# ------------------------------------------------------------------ parse_twine_error


@pytest.mark.parametrize("case", list(TWINE_OUTPUT))
def test_parse_twine_error_on_real_twine_output(case: str) -> None:
    assert r.parse_twine_error(TWINE_OUTPUT[case]) == PARSED[case]


def test_parse_twine_error_without_an_error_line() -> None:
    assert r.parse_twine_error(["Uploading distributions to x", "Killed", ""]) == (None, "Killed")
    assert r.parse_twine_error(["", "  "]) == (None, "twine exited without saying why")
    assert r.parse_twine_error([]) == (None, "twine exited without saying why")


def test_parse_twine_error_takes_the_last_error_line() -> None:
    lines = ["ERROR    InvalidDistribution: Cannot find file (or expand pattern): 'x'",
             "ERROR    NonInteractive: Credential not found for password."]
    assert r.parse_twine_error(lines) == (None, "NonInteractive: Credential not found for password.")


# ------------------------------------------------------------------ upload_refused


def refused(status: int | None, reason: str) -> r.Finding:
    return r.upload_refused(status, reason, "demo-rel", Version("1.0"), [Version("1.0")], UPLOAD)


@pytest.mark.parametrize("case", list(TWINE_OUTPUT))
def test_each_refusal_is_explained(case: str) -> None:
    status, reason = PARSED[case]
    finding = refused(status, reason)
    meaning, hint = MEANING[case]
    said = f"{status} {reason}" if status else reason
    assert finding.code == "RG406"
    assert finding.message == f"upload to {UPLOAD} refused ({said}): {meaning}"
    assert finding.hint == hint


@pytest.mark.parametrize(("status", "meaning"), [
    (401, "the index asked for credentials, or refused the ones sent"),
    (403, "the index refused the credentials for this upload"),
    (409, "a conflict: the index holds a file of this name with other content, or the project name is taken"),
    (413, "the file is larger than the index allows"),
    (500, "the index refused the upload"),
])
def test_a_status_alone_is_explained_by_its_number(status: int, meaning: str) -> None:
    finding = refused(status, "Whatever")
    assert finding.message == f"upload to {UPLOAD} refused ({status} Whatever): {meaning}"


def test_the_message_beats_the_status() -> None:
    """Warehouse answers 403 for a foreign project: the text says more than the number."""
    finding = refused(403, "Forbidden The user 'guard' isn't allowed to upload to project 'demo-rel'.")
    assert "your account may not upload to demo-rel" in finding.message


def test_twine_failing_without_an_answer() -> None:
    finding = refused(None, "InvalidDistribution: Invalid distribution file: 'x.whl'")
    assert finding.message == (f"upload to {UPLOAD} refused (InvalidDistribution: Invalid distribution file: "
                               "'x.whl'): twine could not upload")
    assert finding.hint == "run `twine upload --verbose` with the same files to see the whole answer"


def test_the_quoted_reason_is_one_short_line() -> None:
    finding = refused(400, "Bad\nRequest\t" + "x" * 1000)
    quoted = finding.message.split("(", 1)[1].split("):", 1)[0]
    assert quoted == "400 " + ("Bad Request " + "x" * 1000)[:300]
    assert "\n" not in finding.message
