"""Plain data for `static_eval`: what a value may be, how large, and how strings are built.

The text can also ask for enormous values cheaply (a tuple of ten references to a tuple of
ten references ..., whose `str()` is terabytes), so every evaluation is bounded:

- No value is ever larger than `_MAX_SIZE`: a string's length, or the length of a tuple's
  or list's `repr()` (which `str()` and formatting print). Every operation that could
  multiply sizes (`+`, `str()`, `%`, `.format`, f-strings, `.join`, `.replace`, `map`)
  works out its result's size from its operands' sizes *before* building it. Sizes of
  tuples are remembered, so sharing one tuple many times costs nothing to measure.
- Ints are at most `_MAX_INT_BITS` bits.
- At most `_MAX_NODES` AST nodes are evaluated and `_MAX_STEPS` units of other work
  done (measuring, iterating, calls, namedtuple classes); nesting is at most
  `_MAX_DEPTH` deep.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from typing import Any

# A version is a few dozen characters and an honest module needs a few dozen nodes; these
# leave ample room for that and hold a hostile module to tens of milliseconds and a few
# hundred kilobytes. Whatever is refused goes to the build backend, which is still right.
_MAX_SIZE = 1_000  # characters of any string, or of the repr() of any tuple or list
_MAX_INT_BITS = 128  # 39 digits: any build number or date, and no big-number arithmetic
_MAX_DEPTH = 40  # nested expressions and names referring to names
_MAX_NODES = 10_000  # AST nodes evaluated (each name once)
_MAX_STEPS = 50_000  # other work: an item measured or iterated costs 1,
_CALL_STEPS = 10  # a call 10,
_NAMEDTUPLE_STEPS = 1_000  # a namedtuple class (it compiles code) 1,000 + 200 per field
_NAMEDTUPLE_FIELD_STEPS = 200
_FIELD_INDEX = re.compile(r"[0-9]+")
_PERCENT = re.compile(r"%(.?)", re.DOTALL)
_BUILTINS = frozenset({"str", "int", "tuple", "list", "map", "namedtuple"})
_STR_METHODS = frozenset({"format", "join", "lower", "upper", "strip", "lstrip", "rstrip", "replace"})


class Unsupported(Exception):
    """The expression uses something outside the whitelist."""


@dataclass(frozen=True)
class _Builtin:
    """One of `_BUILTINS`, as a token: calling it goes through `_Evaluator.apply`."""

    name: str


@dataclass(frozen=True)
class _Method:
    """A whitelisted method of a string constant, as a token (never the bound method)."""

    target: str
    name: str


class _MapObject:
    """The result of `map()`: already computed, and empty once consumed, as in Python."""

    def __init__(self, items: tuple[Any, ...]) -> None:
        self.items: tuple[Any, ...] | None = items

    def consume(self) -> tuple[Any, ...]:
        items, self.items = self.items or (), ()
        return items


def _check_size(size: int) -> int:
    if size > _MAX_SIZE:
        raise Unsupported(f"a value over {_MAX_SIZE} characters")
    return size


class Values:
    """The bounded part of an evaluation: measuring and checking values, and building strings."""

    def __init__(self) -> None:
        self.classes: list[type] = []  # the namedtuple classes made by this evaluation
        self.sizes: dict[int, tuple[object, int]] = {}  # id -> (tuple or list, size), kept alive
        self.depth = self.nodes = self.steps = 0

    def spend(self, steps: int) -> None:
        self.steps += steps
        if self.steps > _MAX_STEPS:
            raise Unsupported("too much work")

    # -- values -----------------------------------------------------------------------

    def is_namedtuple(self, value: object) -> bool:
        return any(type(value) is cls for cls in self.classes)

    def size(self, value: Any) -> int:
        """`len(repr(value))` for plain data, at most `_MAX_SIZE`; `Unsupported` for anything else.

        Plain data is None, bool, int, str, and tuples (namedtuples too) and lists of plain
        data. A container is measured once, from its items' remembered sizes, stopping as
        soon as the total is over the limit.
        """
        kind = type(value)
        if value is None or kind is bool:
            return 5
        if kind is int:
            if value.bit_length() > _MAX_INT_BITS:
                raise Unsupported(f"an int over {_MAX_INT_BITS} bits")
            return len(str(value))
        if kind is str:
            _check_size(len(value))
            return len(repr(value))
        if not (kind in (tuple, list) or self.is_namedtuple(value)):
            raise Unsupported(f"{kind.__name__} is not plain data")
        known = self.sizes.get(id(value))
        if known is not None and known[0] is value:
            return known[1]
        _check_size(len(value))
        self.spend(len(value))
        total = 2 + 2 * max(len(value) - 1, 0) + (kind is tuple and len(value) == 1)  # (, ,)
        if kind not in (tuple, list):  # Name(field=..., ...)
            total += len(kind.__name__) + sum(len(field) + 1 for field in kind._fields)
        for item in value:
            total = _check_size(total + self.size(item))
        self.sizes[id(value)] = (value, total)
        return total

    def text_size(self, value: Any) -> int:
        """`len(str(value))` for plain data, without making the string."""
        return len(value) if type(value) is str else self.size(value)

    def data(self, value: Any) -> Any:
        """`value`, which must be plain data (not a callable, not a map object)."""
        self.size(value)
        return value

    def iterate(self, value: Any) -> tuple[Any, ...]:
        """The items of a str, tuple, list or map object, as Python would iterate them."""
        if isinstance(value, _MapObject):
            items = value.consume()
        elif type(value) in (str, tuple, list) or self.is_namedtuple(value):
            items = tuple(self.data(value))
        else:
            raise Unsupported(f"{type(value).__name__} is not iterable here")
        self.spend(len(items))
        return items

    def text(self, value: Any) -> str:
        """`str(value)` (also `format(value, "")`) for plain data."""
        _check_size(self.text_size(value))
        return str(value)

    def admit(self, value: Any) -> Any:
        """Any value an expression produced: plain data within the limits, or a callable."""
        if isinstance(value, (_Builtin, _Method, _MapObject)) or (
                isinstance(value, type) and value in self.classes):
            return value
        return self.data(value)

    # -- strings ----------------------------------------------------------------------

    def _join(self, separator: str, args: list[Any], kwargs: dict[str, Any]) -> str:
        if len(args) != 1 or kwargs:
            raise Unsupported("str.join() arguments")
        items = self.iterate(args[0])
        if not all(type(item) is str for item in items):
            raise Unsupported("str.join() of non-strings")
        _check_size(sum(map(len, items)) + len(separator) * max(len(items) - 1, 0))
        return separator.join(items)

    def _method(self, method: _Method, args: list[Any], kwargs: dict[str, Any]) -> str:
        target, name = method.target, method.name
        if name == "format":
            return self._format(target, args, kwargs)
        if kwargs:
            raise Unsupported(f"str.{name}() keyword arguments")
        if name == "replace":
            if not (2 <= len(args) <= 3 and type(args[0]) is str and type(args[1]) is str
                    and all(type(a) in (int, bool) for a in args[2:])):
                raise Unsupported("str.replace() arguments")
            old, new = args[0], args[1]
            count = target.count(old) if old else len(target) + 1
            if len(args) == 3 and args[2] >= 0:
                count = min(count, args[2])
            _check_size(len(target) + count * (len(new) - len(old)))
            return target.replace(*args)
        if name in ("strip", "lstrip", "rstrip"):
            if len(args) > 1 or not all(a is None or type(a) is str for a in args):
                raise Unsupported(f"str.{name}() arguments")
            return str(getattr(target, name)(*args))
        if args:  # lower, upper
            raise Unsupported(f"str.{name}() arguments")
        result = target.lower() if name == "lower" else target.upper()  # at most 3 times longer
        _check_size(len(result))
        return result

    def _format(self, template: str, args: list[Any], kwargs: dict[str, Any]) -> str:
        """`template.format(*args, **kwargs)` with plain fields only, built here."""
        try:
            parsed = list(string.Formatter().parse(template))
        except ValueError:
            raise Unsupported("malformed format string") from None
        pieces: list[str] = []
        total = 0
        numbering = ""  # "auto" or "manual" once a positional field is seen: they cannot mix
        next_index = 0
        self.spend(len(parsed))
        for literal, field, spec, conversion in parsed:
            total = _check_size(total + len(literal))
            pieces.append(literal)
            if field is None:
                continue
            if spec or conversion is not None:
                raise Unsupported("format spec or conversion")
            if field == "" or _FIELD_INDEX.fullmatch(field):
                style = "manual" if field else "auto"
                if numbering not in ("", style):
                    raise Unsupported("format fields mix automatic and manual numbering")
                numbering = style
                index = int(field) if field else next_index
                next_index += 1
                if index >= len(args):
                    raise Unsupported("format field without an argument")
                value = args[index]
            elif field.isidentifier() and field in kwargs:
                value = kwargs[field]
            else:
                raise Unsupported("format field")
            total = _check_size(total + self.text_size(value))
            pieces.append(str(value))
        return "".join(pieces)

    def _percent(self, template: str, right: Any) -> str:
        """`template % right` with only `%s`, `%d` and `%%`, built here."""
        args = tuple(right) if isinstance(right, tuple) else (right,)
        pieces: list[str] = []
        used = end = total = 0
        for match in _PERCENT.finditer(template):
            self.spend(1)
            pieces.append(template[end:match.start()])
            total += match.start() - end
            end = match.end()
            kind = match.group(1)
            if kind == "%":
                total += 1
                pieces.append("%")
                continue
            if kind not in ("s", "d"):
                raise Unsupported("only %s, %d and %% are evaluated")
            if used >= len(args):
                raise Unsupported("not enough arguments for format string")
            value = args[used]
            used += 1
            if kind == "d" and type(value) not in (int, bool):
                raise Unsupported("%d of a non-integer")
            if kind == "d":
                value = int(value)
            total = _check_size(total + self.text_size(value))
            pieces.append(str(value))
        if used != len(args):
            raise Unsupported("not all arguments converted during string formatting")
        _check_size(total + len(template) - end)
        pieces.append(template[end:])
        return "".join(pieces)
