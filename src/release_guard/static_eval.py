"""Evaluate a module-level `__version__` expression without importing the module.

Projects that format a version tuple at import time (`"{}.{}.{}".format(*VERSION)`,
`".".join(map(str, VERSION))`, a namedtuple's fields) would otherwise need the build
backend. This walks the AST with a small whitelist of pure operations on strings, ints
and tuples; anything else raises `Unsupported`, and the caller takes the slow path.

The module is untrusted text, so nothing it names reaches Python's own machinery:

- Values are plain data (None, bool, int, str, and tuples or lists of those, including
  namedtuple instances) or one of the callables below. No other object is ever produced,
  and no attribute whose name starts with `_` is ever read.
- Callables are tokens (`_Builtin`, `_Method`, a namedtuple class made here), dispatched
  by this module: a bound method of a real object is never handed out, so `map()` cannot
  call one past the checks.
- `str.format`, `%` and f-strings are rebuilt here from their parsed pieces, and only
  plain fields are accepted (`{}`, `{0}`, `{name}`, `%s`, `%d`): no attribute or index
  lookup, conversion, width or format spec. `'{0.__class__}'.format(x)` is refused.

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

import ast
import collections
import re
import string
from collections.abc import Mapping
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


class _Evaluator:
    def __init__(self, assignments: Mapping[str, ast.expr]) -> None:
        self.assignments = assignments
        self.cache: dict[str, Any] = {}
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

    # -- nodes ------------------------------------------------------------------------

    def name(self, name: str) -> Any:
        if name in self.cache:
            return self.cache[name]
        node = self.assignments.get(name)
        if node is None:
            if name in _BUILTINS:  # a module-level assignment would shadow it
                return _Builtin(name)
            raise Unsupported(f"unknown name {name}")
        value = self.eval(node)
        self.cache[name] = value
        return value

    def eval(self, node: ast.expr) -> Any:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise Unsupported("too deep")
        self.nodes += 1
        if self.nodes > _MAX_NODES:
            raise Unsupported("too many operations")
        try:
            return self.admit(self._eval(node))
        finally:
            self.depth -= 1

    def _eval(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Constant) and type(node.value) in (str, int, bool, type(None)):
            return node.value
        if isinstance(node, (ast.Tuple, ast.List)):
            _check_size(len(node.elts))
            items = [self.data(self.eval(e)) for e in node.elts]
            return tuple(items) if isinstance(node, ast.Tuple) else items
        if isinstance(node, ast.Name):
            return self.name(node.id)
        if isinstance(node, ast.JoinedStr):
            return self._fstring(node)
        if isinstance(node, ast.BinOp):
            return self._binop(node)
        if isinstance(node, ast.UnaryOp):
            return self._unaryop(node)
        if isinstance(node, ast.Subscript):
            return self._subscript(node)
        if isinstance(node, ast.Attribute):
            return self._attribute(node)
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, ast.IfExp):
            test = self.data(self.eval(node.test))
            return self.eval(node.body) if test else self.eval(node.orelse)
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            return self._compare(node)
        raise Unsupported(type(node).__name__)

    def _fstring(self, node: ast.JoinedStr) -> str:
        pieces: list[str] = []
        total = 0
        for part in node.values:
            if isinstance(part, ast.Constant) and type(part.value) is str:
                value = part.value
            elif isinstance(part, ast.FormattedValue) and part.conversion == -1 and part.format_spec is None:
                value = self.eval(part.value)
                if type(value) not in (str, int, bool):
                    raise Unsupported("f-string value")
            else:
                raise Unsupported("f-string conversion or format spec")
            total = _check_size(total + self.text_size(value))
            pieces.append(str(value))
        return "".join(pieces)

    def _binop(self, node: ast.BinOp) -> Any:
        left, right = self.data(self.eval(node.left)), self.data(self.eval(node.right))
        if isinstance(node.op, ast.Mod) and type(left) is str:
            return self._percent(left, right)
        if not isinstance(node.op, ast.Add):
            raise Unsupported("operator")
        if type(left) in (int, bool) and type(right) in (int, bool):
            return left + right  # the result is measured like any other
        if type(left) is str and type(right) is str:
            _check_size(len(left) + len(right))
            return left + right
        if not ((type(left) is list and type(right) is list)
                or (isinstance(left, tuple) and isinstance(right, tuple))):
            raise Unsupported("operand types")
        _check_size(self.size(left) + self.size(right))  # covers the result's repr()
        if isinstance(left, tuple):
            return tuple(left) + tuple(right)
        return list(left) + list(right)

    def _unaryop(self, node: ast.UnaryOp) -> int:
        value = self.data(self.eval(node.operand))
        if isinstance(node.op, (ast.USub, ast.UAdd)) and type(value) in (int, bool):
            return int(-value if isinstance(node.op, ast.USub) else value)
        raise Unsupported("unary operator")

    def _subscript(self, node: ast.Subscript) -> Any:
        value = self.data(self.eval(node.value))
        if not isinstance(value, (str, tuple, list)):
            raise Unsupported("subscript of non-sequence")
        if isinstance(node.slice, ast.Slice):
            parts = [None if p is None else self.data(self.eval(p)) for p in
                     (node.slice.lower, node.slice.upper, node.slice.step)]
            if not all(p is None or type(p) in (int, bool) for p in parts):
                raise Unsupported("slice")
            if isinstance(value, tuple):
                value = tuple(value)  # a namedtuple's slice is a plain tuple
            return value[slice(*parts)]
        index = self.data(self.eval(node.slice))
        if type(index) not in (int, bool):
            raise Unsupported("index")
        return value[index]

    def _attribute(self, node: ast.Attribute) -> Any:
        if node.attr.startswith("_"):
            raise Unsupported(f"attribute {node.attr}")
        if (isinstance(node.value, ast.Name) and node.value.id == "collections"
                and "collections" not in self.assignments):
            if node.attr == "namedtuple":
                return _Builtin("namedtuple")
            raise Unsupported(f"collections.{node.attr}")
        value = self.eval(node.value)
        if type(value) is str and node.attr in _STR_METHODS:
            return _Method(value, node.attr)
        if self.is_namedtuple(value) and node.attr in type(value)._fields:
            return getattr(value, node.attr)
        raise Unsupported(f"attribute {node.attr}")

    def _call(self, node: ast.Call) -> Any:
        func = self.eval(node.func)
        args: list[Any] = []
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                args.extend(self.iterate(self.eval(arg.value)))
            else:
                args.append(self.eval(arg))
        kwargs: dict[str, Any] = {}
        for keyword in node.keywords:
            if keyword.arg is None:
                raise Unsupported("**kwargs")
            kwargs[keyword.arg] = self.data(self.eval(keyword.value))
        return self.apply(func, args, kwargs)

    def apply(self, func: Any, args: list[Any], kwargs: dict[str, Any]) -> Any:
        """Call one of the whitelisted callables; every argument is checked here."""
        self.spend(_CALL_STEPS)
        if isinstance(func, _Builtin) and func.name == "map":
            if len(args) != 2 or kwargs:
                raise Unsupported("map() takes one function and one iterable here")
            results = []
            total = 0
            for item in self.iterate(args[1]):
                result = self.apply(args[0], [item], {})
                total = _check_size(total + self.text_size(result))
                results.append(result)
            return _MapObject(tuple(results))
        if isinstance(func, _Builtin) and func.name in ("tuple", "list"):
            if len(args) > 1 or kwargs:
                raise Unsupported(f"{func.name}() arguments")
            items = self.iterate(args[0]) if args else ()  # at most _MAX_SIZE of them
            for item in items:
                self.data(item)
            return tuple(items) if func.name == "tuple" else list(items)
        if isinstance(func, _Method) and func.name == "join":
            return self._join(func.target, args, kwargs)
        for value in args:
            self.data(value)
        if isinstance(func, _Method):
            return self._method(func, args, kwargs)
        if isinstance(func, _Builtin) and func.name == "str":
            if len(args) > 1 or kwargs:
                raise Unsupported("str() arguments")
            return self.text(args[0]) if args else ""
        if isinstance(func, _Builtin) and func.name == "int":
            if not all(type(value) in (str, int, bool) for value in args):
                raise Unsupported("int() arguments")
            return int(*args, **kwargs)
        if isinstance(func, _Builtin) and func.name == "namedtuple":
            return self._namedtuple(*args, **kwargs)
        if isinstance(func, type) and func in self.classes:
            return func(*args, **kwargs)
        raise Unsupported("call")

    def _namedtuple(self, typename: Any, field_names: Any) -> type:
        if type(typename) is not str or not (type(field_names) is str or (
                type(field_names) in (tuple, list) and all(type(f) is str for f in field_names))):
            raise Unsupported("namedtuple arguments")
        fields = field_names.replace(",", " ").split() if type(field_names) is str else field_names
        self.spend(_NAMEDTUPLE_STEPS + _NAMEDTUPLE_FIELD_STEPS * len(fields))
        cls = collections.namedtuple(typename, field_names)  # type: ignore[misc]
        self.classes.append(cls)
        return cls

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

    def _compare(self, node: ast.Compare) -> bool:
        left = self.data(self.eval(node.left))
        right = self.data(self.eval(node.comparators[0]))
        op = node.ops[0]
        if isinstance(op, ast.Eq):
            return bool(left == right)
        if isinstance(op, ast.NotEq):
            return bool(left != right)
        if isinstance(op, (ast.In, ast.NotIn)) and isinstance(right, (str, tuple, list)):
            return (left in right) is isinstance(op, ast.In)
        raise Unsupported("comparison")


def module_assignments(tree: ast.Module) -> dict[str, ast.expr]:
    """Module-level `NAME = expr` (and `NAME: T = expr`) assignments, last one wins."""
    found: dict[str, ast.expr] = {}
    for stmt in tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target = stmt.targets[0]
            if isinstance(target, ast.Name):
                found[target.id] = stmt.value
        elif isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) and stmt.value:
            found[stmt.target.id] = stmt.value
    return found


def evaluate(expr: ast.expr, assignments: Mapping[str, ast.expr]) -> str:
    """The string value of `expr`, or `Unsupported`."""
    try:
        value = _Evaluator(assignments).eval(expr)
    except Unsupported:
        raise
    except (TypeError, ValueError, IndexError, KeyError, AttributeError, RecursionError,
            OverflowError, MemoryError) as exc:
        # only the type: a message could quote a value the module computed
        raise Unsupported(type(exc).__name__) from None
    if type(value) is not str:
        raise Unsupported("not a string")
    return value
