"""GitHub's tag filter patterns (`on: push: tags:` / `tags-ignore:`), for RG535.

Pure and bounded: a pattern is compiled into tokens and matched by a sweep over the
positions reached so far — linear in the tag for each token, no regular expression to
backtrack, as a workflow is the project's data.
"""

from __future__ import annotations

from collections.abc import Sequence

MAX_PATTERNS = 64
MAX_PATTERN_LENGTH = 128
MAX_TAG_LENGTH = 200
SAMPLE_VERSIONS = ("1.0", "1.0.0", "2.1.0rc1")  # what a tag trigger must let through at least one of


def sample_tags(tag_format: str, name: str | None) -> list[str] | None:
    """A few release tags of the project (SAMPLE_VERSIONS in its tag-format); None when they
    cannot be made (a `{name}` format without a name) or are too long to match."""
    if "{name}" in tag_format and not name:
        return None
    tags = [tag_format.replace("{name}", name or "").replace("{version}", v) for v in SAMPLE_VERSIONS]
    return tags if all(len(tag) <= MAX_TAG_LENGTH for tag in tags) else None


# A compiled pattern is a list of (characters, operator): ("", "*") any run without "/", ("", "**")
# any run, ("", "**/") nothing or a run ending in "/"; (characters, "1") one character of
# `characters`, "?" zero or one of them, "+" one or more.
_Token = tuple[str, str]
_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


def _bracket(pattern: str, start: int) -> tuple[str, int] | None:
    """The characters of `[...]` opening at `start`, and the position after `]`: alphanumerics
    and ranges within a-z, A-Z or 0-9, as GitHub allows; None when invalid."""
    chars, pos = "", start + 1
    while pos < len(pattern) and pattern[pos] != "]":
        low = pattern[pos]
        if low not in _ALNUM:
            return None
        if pattern[pos + 1:pos + 2] == "-" and pos + 2 < len(pattern) and pattern[pos + 2] != "]":
            high = pattern[pos + 2]
            if high not in _ALNUM or low > high or not any(
                    a <= low and high <= b for a, b in (("a", "z"), ("A", "Z"), ("0", "9"))):
                return None
            chars += "".join(chr(c) for c in range(ord(low), ord(high) + 1))
            pos += 3
        else:
            chars += low
            pos += 1
    if pos >= len(pattern) or not chars:
        return None
    return chars, pos + 1


def compile_pattern(pattern: str) -> tuple[bool, list[_Token]] | None:
    """(negated, tokens) of one tag filter pattern as GitHub reads it: `*` any run without `/`,
    `**` any run, `?` zero or one and `+` one or more of the preceding character, `[...]` one
    of the listed characters, `\\` escapes, and `!` first negates. None when invalid."""
    negated = pattern.startswith("!")
    text = pattern[1:] if negated else pattern
    tokens: list[_Token] = []
    pos = 0
    while pos < len(text):
        char = text[pos]
        if char == "*":
            double = text[pos + 1:pos + 2] == "*"
            slash = double and text[pos + 2:pos + 3] == "/"
            tokens.append(("", "**/" if slash else "**" if double else "*"))
            pos += 3 if slash else 2 if double else 1
        elif char in "?+" and tokens:
            chars, operator = tokens[-1]
            if operator == "1":
                tokens[-1] = (chars, char)
            pos += 1  # a quantifier after a quantifier or a wildcard changes nothing
        elif char == "[":
            bracket = _bracket(text, pos)
            if bracket is None:
                return None
            tokens.append((bracket[0], "1"))
            pos = bracket[1]
        elif char == "\\":
            if pos + 1 >= len(text):
                return None
            tokens.append((text[pos + 1], "1"))
            pos += 2
        else:
            tokens.append((char, "1"))
            pos += 1
    return negated, tokens


def pattern_matches(tokens: Sequence[_Token], text: str) -> bool:
    """Whether `text` matches all of `tokens`: a sweep over the positions reached so far, linear
    in the text for each token (no regular expression to backtrack)."""
    size = len(text)
    reached = [True] + [False] * size
    for chars, operator in tokens:
        after = [False] * (size + 1)
        if operator in ("*", "**"):
            for i in range(size + 1):
                after[i] = reached[i] or (i > 0 and after[i - 1] and (operator == "**" or text[i - 1] != "/"))
        elif operator == "**/":
            seen = False
            for i in range(size + 1):
                after[i] = reached[i] or (seen and i > 0 and text[i - 1] == "/")
                seen = seen or (i > 0 and reached[i - 1])
        else:
            for i in range(size):
                fits = text[i] in chars
                after[i + 1] = fits and (reached[i] or (operator == "+" and after[i]))
            if operator == "?":
                after = [a or r for a, r in zip(after, reached, strict=True)]
        reached = after
    return reached[size]


def filter_matches(patterns: Sequence[tuple[bool, list[_Token]]], tag: str) -> bool:
    """GitHub's order rule: the last pattern that matches decides; `!` patterns exclude."""
    matched = False
    for negated, tokens in patterns:
        if pattern_matches(tokens, tag):
            matched = not negated
    return matched


def pattern_list(value: object) -> list[str] | None:
    """The patterns of `tags:`/`tags-ignore:` as text; None when they are too many or too long
    to judge (then nothing is said)."""
    items = value if isinstance(value, list) else [value]
    if len(items) > MAX_PATTERNS:
        return None
    patterns = [str(item) for item in items if item is not None]
    return None if any(len(p) > MAX_PATTERN_LENGTH for p in patterns) else patterns
