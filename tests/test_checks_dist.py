"""The pure distribution checks (checks/dist.py), table-driven: facts in, finding codes out."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from packaging.version import Version

from release_guard.checks import dist as checks
from release_guard.checks.dist import SDIST, WHEEL, DistFacts, TwineResult
from release_guard.findings import Finding

KNOWN = frozenset({"Programming Language :: Python :: 3", "License :: OSI Approved :: MIT License",
                   "Framework :: Django CMS :: 5.0"})
DEPRECATED = {"Framework :: Django CMS :: 4.2": ["Framework :: Django CMS :: 5.0"],
              "License :: OSI Approved :: Intel Open Source License": []}


def sdist(**changes: Any) -> DistFacts:
    base = DistFacts("dist/demo_pkg-1.0.tar.gz", "demo_pkg-1.0.tar.gz", SDIST, 1000, "2.4", "demo-pkg", "1.0",
                     "A demo", ("Programming Language :: Python :: 3",), "MIT")
    return base._replace(**changes)


def wheel(**changes: Any) -> DistFacts:
    return sdist(path="dist/demo_pkg-1.0-py3-none-any.whl", filename="demo_pkg-1.0-py3-none-any.whl",
                 kind=WHEEL)._replace(**changes)


def codes(findings: list[Finding]) -> list[str]:
    return [f.code for f in findings]


def one_file(dist: DistFacts) -> list[Finding]:
    return checks.one_file(dist, KNOWN, DEPRECATED)


CASES: list[tuple[str, DistFacts, list[str]]] = [
    ("clean sdist", sdist(), []),
    ("clean wheel", wheel(), []),
    ("every accepted metadata version", sdist(metadata_version="1.0"), []),
    ("metadata 2.5", sdist(metadata_version="2.5"), []),
    ("metadata 3.0", sdist(metadata_version="3.0"), ["RG317"]),
    ("no metadata version", sdist(metadata_version=""), ["RG317"]),
    ("local version", sdist(version="1.0+abc", filename="demo_pkg-1.0+abc.tar.gz"), ["RG307"]),
    ("unknown classifier", sdist(classifiers=("Programming Language :: Pyton",)), ["RG308"]),
    ("deprecated classifier", sdist(classifiers=("Framework :: Django CMS :: 4.2",)), ["RG309"]),
    ("deprecated without successor",
     sdist(classifiers=("License :: OSI Approved :: Intel Open Source License",)), ["RG309"]),
    ("private classifier", sdist(classifiers=("Private :: Do Not Upload",)), ["RG310"]),
    ("summary with a line break", sdist(summary="A demo\n more"), ["RG311"]),
    ("summary with a carriage return", sdist(summary="A demo\r"), ["RG311"]),
    ("summary of 512", sdist(summary="x" * 512), []),
    ("summary of 513", sdist(summary="x" * 513), ["RG311"]),
    ("no summary", sdist(summary=None), []),
    ("license expression", sdist(license_expression="MIT OR Apache-2.0"), []),
    ("license expression, lower case", sdist(license_expression="mit"), []),
    ("bad license expression", sdist(license_expression="MIT OR"), ["RG312"]),
    ("unknown license", sdist(license_expression="Not-A-License"), ["RG312"]),
    ("sdist not normalized", sdist(filename="Demo-Pkg-1.0.tar.gz"), ["RG313"]),
    ("sdist with a dash", sdist(filename="demo-pkg-1.0.tar.gz"), ["RG313"]),
    ("sdist of another version", sdist(filename="demo_pkg-1.1.tar.gz"), ["RG313"]),
    ("sdist name not valid", sdist(filename="demo_pkg.tar.gz"), ["RG313"]),
    ("sdist of a dotted name", sdist(name="zope.interface", filename="zope_interface-1.0.tar.gz"), []),
    ("wheel of another version", wheel(filename="demo_pkg-1.1-py3-none-any.whl"), ["RG315"]),
    ("wheel of another name", wheel(filename="other-1.0-py3-none-any.whl"), ["RG315"]),
    ("wheel name not valid", wheel(filename="demo_pkg-py3-none-any.whl"), ["RG315"]),
    ("wheel with an uncanonical version", wheel(filename="demo_pkg-1.0.0-py3-none-any.whl"), []),
    ("100 MiB", sdist(size=100 * 1024 * 1024), []),
    ("over 100 MiB", sdist(size=100 * 1024 * 1024 + 1), ["RG316"]),
]


@pytest.mark.parametrize(("dist", "expected"), [(c[1], c[2]) for c in CASES], ids=[c[0] for c in CASES])
def test_one_file(dist: DistFacts, expected: list[str]) -> None:
    findings = one_file(dist)
    assert codes(findings) == expected
    assert all(f.hint and f.path == dist.path and f.severity == "error" for f in findings)


def test_zip_sdist_is_a_warning() -> None:
    (finding,) = one_file(sdist(filename="demo_pkg-1.0.zip"))
    assert (finding.code, finding.severity) == ("RG313", "warning")


def test_deprecated_classifier_names_its_successor() -> None:
    (finding,) = one_file(sdist(classifiers=("Framework :: Django CMS :: 4.2",)))
    assert "'Framework :: Django CMS :: 5.0'" in finding.hint


def test_sdist_prefix_is_quoted_as_the_index_says_it() -> None:
    (finding,) = one_file(sdist(name="Demo.Pkg", filename="Demo.Pkg-1.0.tar.gz"))
    assert "Start filename for 'Demo.Pkg' with 'demo_pkg'" in finding.message
    assert "demo_pkg-1.0.tar.gz" in finding.hint


TWINE: list[tuple[str, TwineResult, bool, list[tuple[str, str]]]] = [
    ("clean", TwineResult((), True), True, []),
    ("does not render", TwineResult((), False, "line 1: Warning: Inline interpreted text"), True,
     [("RG301", "error")]),
    ("content type missing, strict", TwineResult(
        ("`long_description_content_type` missing. defaulting to `text/x-rst`.",), True), True,
     [("RG302", "error")]),
    ("content type missing, not strict", TwineResult(
        ("`long_description_content_type` missing. defaulting to `text/x-rst`.",), True), False,
     [("RG302", "warning")]),
    ("both warnings", TwineResult(("`long_description_content_type` missing. defaulting to `text/x-rst`.",
                                   "`long_description` missing."), True), True,
     [("RG302", "error"), ("RG302", "error")]),
]


@pytest.mark.parametrize(("result", "strict", "expected"), [c[1:] for c in TWINE], ids=[c[0] for c in TWINE])
def test_twine_verdict(result: TwineResult, strict: bool, expected: list[tuple[str, str]]) -> None:
    findings = checks.twine_check(sdist(), result, strict)
    assert [(f.code, f.severity) for f in findings] == expected
    assert all(f.message.startswith("twine check") for f in findings)  # twine's, and says so


def test_render_failure_quotes_twine() -> None:
    (finding,) = checks.twine_check(sdist(), TwineResult((), False, "line 3: Error: bad\nmore"), True)
    assert finding.message == ("twine check: long_description has syntax errors in markup and would not be "
                               "rendered on PyPI: line 3: Error: bad")


RELEASE: list[tuple[str, Callable[[], list[Finding]], list[str]]] = [
    ("same project", lambda: checks.matches_project(sdist(), "Demo_Pkg", "1.0.0", "pyproject.toml"), []),
    ("other name", lambda: checks.matches_project(sdist(), "demo", "1.0", "pyproject.toml"), ["RG305"]),
    ("other version", lambda: checks.matches_project(sdist(), "demo-pkg", "1.1", "pyproject.toml"),
     ["RG306"]),
    ("vcs version", lambda: checks.matches_project(sdist(), "demo-pkg", None, "pyproject.toml"), []),
    ("tag matches", lambda: checks.matches_tag(sdist(), "v1.0.0", Version("1.0")), []),
    ("tag differs", lambda: checks.matches_tag(sdist(), "v1.1", Version("1.1")), ["RG306"]),
    ("one sdist each", lambda: checks.one_sdist_per_version(
        [sdist(), wheel(), sdist(version="1.1", filename="demo_pkg-1.1.tar.gz")]), []),
    ("two sdists", lambda: checks.one_sdist_per_version(
        [sdist(), wheel(), sdist(filename="demo_pkg-1.0.zip")]), ["RG314"]),
    ("two sdists, 1.0 and 1.0.0", lambda: checks.one_sdist_per_version(
        [sdist(), sdist(version="1.0.0", filename="demo_pkg-1.0.0.tar.gz")]), ["RG314"]),
    ("no stale files", lambda: checks.stale("dist", [], "demo-pkg", "1.0"), []),
    ("stale files", lambda: checks.stale("dist", ["demo_pkg-0.9.tar.gz"], "demo-pkg", "1.0"), ["RG318"]),
]


@pytest.mark.parametrize(("run", "expected"), [c[1:] for c in RELEASE], ids=[c[0] for c in RELEASE])
def test_release_checks(run: Callable[[], list[Finding]], expected: list[str]) -> None:
    assert codes(run()) == expected


def test_stale_lists_the_files_and_the_upload_answer() -> None:
    stale = [f"demo_pkg-0.{n}.tar.gz" for n in range(7)]
    (finding,) = checks.stale("dist", stale, "demo-pkg", "1.0")
    for part in ("7 file(s)", "and 2 more", "`twine upload dist/*`", "400 File already exists"):
        assert part in finding.message
    assert finding.hint.startswith("remove them (rm dist/demo_pkg-0.0.tar.gz dist/demo_pkg-0.1.tar.gz")
