"""Record: the hook path's immutable records keep what the code used of NamedTuples."""

from __future__ import annotations

import pytest

from release_guard.config import Config
from release_guard.findings import Finding
from release_guard.git import Repo
from release_guard.project.model import Declaration, ProjectInfo, Source


def test_fields_in_order_with_defaults_and_keywords() -> None:
    finding = Finding("RG101", "bad", line=3)
    assert finding._fields == ("code", "message", "path", "line", "hint", "severity")
    assert finding._asdict() == {"code": "RG101", "message": "bad", "path": "", "line": 3, "hint": "",
                                 "severity": "error"}
    assert list(finding._asdict()) == list(Finding._fields)


def test_equality_and_hash_by_value() -> None:
    assert Source("a.py", 1) == Source("a.py", 1, "")
    assert Source("a.py", 1) != Source("a.py", 2)
    assert hash(Source("a.py", 1)) == hash(Source("a.py", 1))
    assert Declaration("1.0", Source("a.py")) == Declaration("1.0", Source("a.py"))
    assert len({Finding("RG101", "x"), Finding("RG101", "x"), Finding("RG102", "x")}) == 2
    assert Source("a.py") != ("a.py", None, "")  # a record equals only a record of its own class
    assert Source("a.py") != Declaration("a.py", Source("a.py"))


def test_repr_names_every_field() -> None:
    assert repr(Source("a.py", 2)) == "Source(path='a.py', line=2, detail='')"
    assert str(Source("a.py", 2, "how")) == "a.py:2 (how)"  # Source's own __str__


def test_immutable() -> None:
    repo = Repo("/top", "", True)
    with pytest.raises(AttributeError):
        repo.prefix = "sub/"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del repo.top  # type: ignore[misc]
    with pytest.raises(AttributeError):
        repo.other = 1  # type: ignore[attr-defined]


def test_replace_copies_and_refuses_unknown_fields() -> None:
    repo = Repo("/top", "", True, "abc")
    moved = repo._replace(prefix="sub/")
    assert moved == Repo("/top", "sub/", True, "abc", False)
    assert repo.prefix == ""
    assert Config()._replace(tag_format="x-{version}").tag_format == "x-{version}"
    with pytest.raises(ValueError, match="no field nope"):
        repo._replace(nope=1)


def test_project_info_defaults() -> None:
    info = ProjectInfo("demo", None, "1.0", Source("pyproject.toml", 3))
    assert (info.dynamic, info.vcs_tool, info.declarations, info.tree_label, info.packages) == (
        None, None, (), "working tree", ())
    assert info.normalized_name == "demo"
