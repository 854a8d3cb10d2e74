"""The tokens of an HTML page, in time linear in its length: start tags with their attributes,
end tags and text, as `html.parser.HTMLParser(convert_charrefs=True)` fed the page at once and
closed reports them, on the pages an index sends.

html.parser rescans an unterminated construct from each `<` after it: a page of `"<a " * N`
costs it O(N^2) (about 80 s for 64 KiB, hours for 2 MiB). Here every search for an end (`>`,
a closing quote, `-->`) is answered once: a `>`, `'` or `"` is looked for only before the
last one in the page, and a failed comment search is remembered. A start tag left unfinished
makes the text up to the first `>` after it data and is read again from there, as html.parser
does; the part of such a tag read past that `>` (a quoted value holding `>`) is counted, and
a page that would have it read again and again (more than its length in all) is refused with
`HtmlTooBroken`.

Same tokens as html.parser: tag and attribute names lower-cased; values quoted with `'` or
`"`, bare, or absent (None), with character references decoded by `html.unescape`, as in text;
`<tag/>` is a start and an end; comments, `<!...>`, `<?...>` are skipped; the text of
`<script>` and `<style>` is data up to their end tag, kept raw. Known differences, on broken
pages only: after the last `>` of a page all is text (html.parser keeps the odd tag-like
piece raw, not unescaped), and `<![` opens a section to the next `>` (html.parser raises
AssertionError on most of them).
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterator

Attrs = list[tuple[str, str | None]]
START, END, DATA = "start", "end", "data"
Token = tuple[str, str, Attrs]  # (START, tag, attrs), (END, tag, []), (DATA, text, [])

# The patterns of html.parser (tagfind_tolerant, attrfind_tolerant, endtagfind, ...), cut at
# each part that could run to the end of the page: none has a quantifier inside another.
_CONSTRUCT = re.compile(r"<[a-zA-Z/!?]")
_TAG_NAME = re.compile(r"[a-zA-Z][^\t\n\r\f />\x00]*")
_SEP = re.compile(r"(?:\s|/(?!>))*")
# a quoted value stops at the first `>` here: one holding `>` is read by `_StartTag.quoted`
_ATTR = re.compile(r"""(?<=['"\s/])([^\s/>][^\s/=>]*)(?:\s*=+\s*('[^'>]*'|"[^">]*"|(?!['"])[^>\s]*))?""")
_VALUE_START = re.compile(r"\s*=+\s*")
_END_TAG = re.compile(r"</\s*([a-zA-Z][-.a-zA-Z0-9:_]*)\s*>")
_COMMENT_END = re.compile(r"--\s*>")
_RAW_TEXT = ("script", "style")


class HtmlTooBroken(ValueError):
    """A page whose unfinished tags would be read again more than its length in all."""


def _skip(text: str, at: int) -> int:
    """Past the spaces and lone slashes at `at`."""
    sep = _SEP.match(text, at)
    return at if sep is None else sep.end()


def _unescape(text: str) -> str:
    if "&" not in text:
        return text
    import html

    return html.unescape(text)


def tokens(text: str, rescan_budget: int | None = None) -> Iterator[Token]:
    """The page's tokens in order. Text may come in more than one DATA token; joined, it is
    html.parser's. `rescan_budget` (default: the page's length) bounds what unfinished start
    tags make read twice; past it, HtmlTooBroken."""
    return _Tokenizer(text, len(text) if rescan_budget is None else rescan_budget).run()


class _Tokenizer:
    def __init__(self, text: str, budget: int) -> None:
        self.text, self.n, self.budget = text, len(text), budget
        self.last = {c: text.rfind(c) for c in ">'\""}  # nothing of the kind after these
        self.no_comment_end = self.n + 1  # no `--\s*>` from here on

    def find(self, char: str, at: int) -> int:
        return -1 if at > self.last[char] else self.text.find(char, at)

    def run(self) -> Iterator[Token]:
        text, n = self.text, self.n
        pos = data_from = 0  # the text from data_from to pos is data not yet sent
        while pos < n:
            match = _CONSTRUCT.search(text, pos)
            if match is None or match.start() > self.last[">"]:
                break  # no `>` after it: nothing can close, the rest is text
            at = match.start()
            found = self.construct(at)
            if found is None:  # unfinished: data up to the first `>` after it, as html.parser
                pos = max(at + 1, self.find(">", at + 1) + 1)
                continue
            end, made = found
            if at > data_from:
                yield DATA, _unescape(text[data_from:at]), []
            yield from made
            pos = data_from = end
            if made and made[-1][0] == START and made[-1][1] in _RAW_TEXT:
                pos = data_from = yield from self.raw_text(made[-1][1], end)
        if data_from < n:
            yield DATA, _unescape(text[data_from:]), []

    def raw_text(self, tag: str, at: int) -> Generator[Token, None, int]:
        """<script>/<style> text up to its end tag (raw); without one, the rest is dropped."""
        close = re.compile(rf"</\s*{tag}\s*>", re.IGNORECASE).search(self.text, at)
        if close is None:
            return self.n
        if close.start() > at:
            yield DATA, self.text[at:close.start()], []
        yield END, tag, []
        return close.end()

    def construct(self, at: int) -> tuple[int, list[Token]] | None:
        """(end, tokens) of the tag, comment or declaration at `at`; None if unfinished."""
        text = self.text
        second = text[at + 1]
        if second == "/":
            return self.end_tag(at)
        if second == "?":
            close = self.find(">", at + 2)
            return None if close < 0 else (close + 1, [])
        if second == "!":
            if text.startswith("<!--", at):
                return self.comment(at)
            close = self.find(">", at + 9 if text[at:at + 9].lower() == "<!doctype" else at + 2)
            return None if close < 0 else (close + 1, [])
        return _StartTag(self, at).read()

    def comment(self, at: int) -> tuple[int, list[Token]] | None:
        if at + 4 >= self.no_comment_end:
            return None
        close = _COMMENT_END.search(self.text, at + 4)
        if close is None:
            self.no_comment_end = at + 4
            return None
        return close.end(), []

    def end_tag(self, at: int) -> tuple[int, list[Token]] | None:
        close = self.find(">", at + 1)
        if close < 0:
            return None
        found = _END_TAG.match(self.text, at)
        if found is not None:
            return found.end(), [(END, found.group(1).lower(), [])]
        name = _TAG_NAME.match(self.text, at + 2)
        if name is None:  # `</>`, or a bogus comment up to the `>`
            return close + 1, []
        return self.find(">", name.end()) + 1, [(END, name.group().lower(), [])]


class _StartTag:
    """One start tag, read as html.parser's locatestarttagend_tolerant and attrfind_tolerant
    read it."""

    def __init__(self, page: _Tokenizer, at: int) -> None:
        self.page, self.at = page, at
        self.reach = at  # the furthest this reading looked

    def read(self) -> tuple[int, list[Token]] | None:
        text, at = self.page.text, self.at
        name = _TAG_NAME.match(text, at + 1)
        assert name is not None  # _CONSTRUCT saw a letter
        tag = name.group().lower()
        attrs: Attrs = []
        k = _skip(text, name.end())
        while (attr := _ATTR.match(text, k)) is not None:
            value: str | None = attr.group(2)
            k = attr.end()
            if value is None or not value.startswith(("'", '"')):
                spanned = self.quoted(attr.end(1))
                if spanned is not None:
                    value, k = spanned
            elif value:
                value = value[1:-1]
            attrs.append((attr.group(1).lower(), _unescape(value) if value else value))
            k = _skip(text, k)
        self.reach = max(self.reach, k)
        after = text[k:k + 1]
        if after == ">":
            return k + 1, [(START, tag, attrs)]
        if text.startswith("/>", k):
            return k + 2, [(START, tag, attrs), (END, tag, [])]
        if after == "" or after == "/" or after == "=" or (after.isascii() and after.isalpha()):
            self.unfinished()
            return None
        # html.parser's bogus input: the tag's text is data, raw
        end = max(k, at + 1)
        return end, [(DATA, text[at:end], [])]

    def quoted(self, name_end: int) -> tuple[str, int] | None:
        """(value, end) when the attribute ending at `name_end` has a quoted value holding
        `>`, which _ATTR leaves; None when it has none."""
        page, text = self.page, self.page.text
        start = _VALUE_START.match(text, name_end)
        if start is None:
            return None
        quote = text[start.end():start.end() + 1]
        if quote not in ("'", '"'):
            return None
        close = page.find(quote, start.end() + 1)
        if close < 0:  # never closed: no value, as html.parser; _ATTR looked up to a `>`
            gt = page.find(">", start.end())
            self.reach = max(self.reach, page.n if gt < 0 else gt)
            return None
        self.reach = max(self.reach, close)
        return text[start.end() + 1:close], close + 1

    def unfinished(self) -> None:
        """Count what will be read again: the part of this tag past its first `>`."""
        page = self.page
        gt = page.find(">", self.at + 1)
        if gt >= 0 and self.reach > gt:
            page.budget -= self.reach - gt
            if page.budget < 0:
                raise HtmlTooBroken("unfinished tags whose quoted values hold '>' would be read again "
                                    "and again")
