"""Times pages.scan_html (the linear tokenizer, index/html_tokens.py) against the html.parser
reader it replaced: on a real-looking project page of 10,000 links, and on a hostile page of
`<a ` repeated (2 MiB for the new reader; a few KiB for the old one, whose time grows with
the square of the size). Reports numbers and ratios; asserts nothing.

    python benchmarks/bench_html.py                  # old reader on 8, 16 and 32 KiB of `<a `
    python benchmarks/bench_html.py --old-kib 16 64  # html.parser took ~80 s for 64 KiB

Run it with the development venv's python (release_guard importable).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from html.parser import HTMLParser

from release_guard.index.pages import scan_html

SHA = "ab" * 32


def old_scan(text: str) -> int:
    """The links html.parser finds (the old scan_html, reduced to what costs)."""
    found = 0

    class Scanner(HTMLParser):
        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            nonlocal found
            found += tag == "a" and bool(dict(attrs).get("href"))

    parser = Scanner(convert_charrefs=True)
    parser.feed(text)
    parser.close()
    return found


def new_scan(text: str) -> int:
    return len(scan_html(text).anchors)


def best_of(runs: int, read: Callable[[str], int], text: str) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        read(text)
        best = min(best, time.perf_counter() - started)
    return best


def real_page(links: int) -> str:
    return ('<!DOCTYPE html><html><head><meta name="pypi:repository-version" content="1.1">'
            "<title>Links for demo-pkg</title></head><body>\n" + "".join(
                f'<a href="/packages/demo_pkg-1.{i}.tar.gz#sha256={SHA}" data-requires-python="&gt;=3.8" '
                f'data-dist-info-metadata="sha256={SHA}">demo_pkg-1.{i}.tar.gz</a><br />\n'
                for i in range(links)) + "</body></html>\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--links", type=int, default=10_000, help="links on the real-looking page")
    parser.add_argument("--runs", type=int, default=3, help="rounds for the real-looking page (best kept)")
    parser.add_argument("--old-kib", type=int, nargs="+", default=[8, 16, 32],
                        help="sizes of the hostile page for html.parser, in KiB")
    parser.add_argument("--new-kib", type=int, default=2048,
                        help="size of the hostile page for the new reader, in KiB")
    args = parser.parse_args()

    page = real_page(args.links)
    old, new = best_of(args.runs, old_scan, page), best_of(args.runs, new_scan, page)
    assert old_scan(page) == new_scan(page) == args.links
    print(f"real-looking page, {args.links} links, {len(page) / 2**20:.1f} MiB: html.parser {old:.3f} s, "
          f"html_tokens {new:.3f} s, old/new {old / new:.1f}x")

    hostile = "<a " * (args.new_kib * 1024 // 3)
    new = best_of(1, new_scan, hostile)
    print(f"hostile '<a ' * N, {args.new_kib} KiB: html_tokens {new * 1000:.2f} ms")
    previous: tuple[int, float] | None = None
    for kib in args.old_kib:
        old = best_of(1, old_scan, "<a " * (kib * 1024 // 3))
        growth = "" if previous is None else (
            f", x{old / previous[1]:.1f} for x{kib / previous[0]:g} the size")
        print(f"hostile '<a ' * N, {kib} KiB: html.parser {old:.3f} s{growth}: "
              f"{old / new:,.0f}x html_tokens' time on {args.new_kib} KiB")
        previous = (kib, old)
    if previous is not None:
        kib, old = previous
        projected = old * (args.new_kib / kib) ** 2
        print(f"html.parser on {args.new_kib} KiB, projected from {kib} KiB (quadratic): "
              f"{projected:,.0f} s ({projected / 3600:.1f} h), {projected / new:,.0f}x html_tokens")


if __name__ == "__main__":
    main()
