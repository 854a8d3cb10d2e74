"""What the commit hook's start-up savings must not change (benchmarks/README.md lists them)."""

from __future__ import annotations

import pytest

from release_guard.errors import ProjectError
from release_guard.tree import WorkTree, decode

BOM = b"\xef\xbb\xbf"


@pytest.mark.parametrize("data", [b"", b"a = 1\n", BOM, BOM + b"x", BOM + BOM + b"y",
                                  "v = '\u00e9'\n".encode(), BOM + "\u20ac".encode()])
def test_decode_is_the_utf_8_sig_codec(data: bytes) -> None:
    assert decode(WorkTree("."), "f.txt", data) == data.decode("utf-8-sig")


@pytest.mark.parametrize("data", [b"ab\xff", BOM + b"ab\xff", BOM + BOM + b"x\xff", b"\xef\xbb"])
def test_decode_reports_the_byte_the_utf_8_sig_codec_reports(data: bytes) -> None:
    with pytest.raises(UnicodeDecodeError) as codec:
        data.decode("utf-8-sig")
    with pytest.raises(ProjectError, match=rf"f\.txt: not valid UTF-8 \(byte {codec.value.start}\)"):
        decode(WorkTree("."), "f.txt", data)
