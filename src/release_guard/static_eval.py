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
"""

from __future__ import annotations

import ast
import collections
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_MAX_DEPTH = 40
_MAX_LEN = 200
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


def _checked_len(text: str) -> str:
    if len(text) > _MAX_LEN:
        raise Unsupported("value too long")
    return text


class _Evaluator:
    def __init__(self, assignments: Mapping[str, ast.expr]) -> None:
        self.assignments = assignments
        self.cache: dict[str, Any] = {}
        self.classes: list[type] = []  # the namedtuple classes made by this evaluation
        self.depth = 0

    # -- values -----------------------------------------------------------------------

    def is_namedtuple(self, value: object) -> bool:
        return any(type(value) is cls for cls in self.classes)

    def is_data(self, value: object) -> bool:
        if value is None or type(value) in (bool, int, str):
            return True
        if type(value) in (tuple, list) or self.is_namedtuple(value):
            return all(self.is_data(item) for item in value)  # type: ignore[attr-defined]
        return False

    def data(self, value: Any) -> Any:
        """`value`, which must be plain data (not a callable, not a map object)."""
        if not self.is_data(value):
            raise Unsupported(f"{type(value).__name__} is not plain data")
        return value

    def iterate(self, value: Any) -> tuple[Any, ...]:
        """The items of a str, tuple, list or map object, as Python would iterate them."""
        if isinstance(value, _MapObject):
            return value.consume()
        if type(value) in (str, tuple, list) or self.is_namedtuple(value):
            return tuple(value)
        raise Unsupported(f"{type(value).__name__} is not iterable here")

    def text(self, value: Any) -> str:
        """`str(value)` (also `format(value, "")`) for plain data."""
        return _checked_len(str(self.data(value)))

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
        try:
            return self._eval(node)
        finally:
            self.depth -= 1

    def _eval(self, node: ast.expr) -> Any:
        if isinstance(node, ast.Constant) and type(node.value) in (str, int, bool, type(None)):
            return node.value
        if isinstance(node, ast.Tuple):
            return tuple(self.data(self.eval(e)) for e in node.elts)
        if isinstance(node, ast.List):
            return [self.data(self.eval(e)) for e in node.elts]
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
        for part in node.values:
            if isinstance(part, ast.Constant) and type(part.value) is str:
                pieces.append(part.value)
            elif isinstance(part, ast.FormattedValue) and part.conversion == -1 and part.format_spec is None:
                value = self.eval(part.value)
                if type(value) not in (str, int, bool):
                    raise Unsupported("f-string value")
                pieces.append(str(value))
            else:
                raise Unsupported("f-string conversion or format spec")
        return _checked_len("".join(pieces))

    def _binop(self, node: ast.BinOp) -> Any:
        left, right = self.data(self.eval(node.left)), self.data(self.eval(node.right))
        if isinstance(node.op, ast.Mod) and type(left) is str:
            return self._percent(left, right)
        if not isinstance(node.op, ast.Add):
            raise Unsupported("operator")
        if type(left) in (str, list) and type(right) is type(left):
            result = left + right
        elif isinstance(left, tuple) and isinstance(right, tuple):
            result = tuple(left) + tuple(right)
        elif type(left) in (int, bool) and type(right) in (int, bool):
            result = left + right
        else:
            raise Unsupported("operand types")
        if isinstance(result, (str, tuple, list)) and len(result) > _MAX_LEN:
            raise Unsupported("value too long")
        return result

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
        if isinstance(func, _Builtin) and func.name == "map":
            if len(args) != 2 or kwargs:
                raise Unsupported("map() takes one function and one iterable here")
            return _MapObject(tuple(self.apply(args[0], [item], {}) for item in self.iterate(args[1])))
        if isinstance(func, _Builtin) and func.name in ("tuple", "list"):
            if len(args) > 1 or kwargs:
                raise Unsupported(f"{func.name}() arguments")
            items = self.iterate(args[0]) if args else ()
            return tuple(map(self.data, items)) if func.name == "tuple" else list(map(self.data, items))
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
        cls = collections.namedtuple(typename, field_names)  # type: ignore[misc]
        self.classes.append(cls)
        return cls

    def _join(self, separator: str, args: list[Any], kwargs: dict[str, Any]) -> str:
        if len(args) != 1 or kwargs:
            raise Unsupported("str.join() arguments")
        items = self.iterate(args[0])
        if not all(type(item) is str for item in items):
            raise Unsupported("str.join() of non-strings")
        return _checked_len(separator.join(items))

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
            return _checked_len(target.replace(*args))
        if name in ("strip", "lstrip", "rstrip"):
            if len(args) > 1 or not all(a is None or type(a) is str for a in args):
                raise Unsupported(f"str.{name}() arguments")
            return str(getattr(target, name)(*args))
        if args:  # lower, upper
            raise Unsupported(f"str.{name}() arguments")
        return _checked_len(target.lower() if name == "lower" else target.upper())

    def _format(self, template: str, args: list[Any], kwargs: dict[str, Any]) -> str:
        """`template.format(*args, **kwargs)` with plain fields only, built here."""
        try:
            parsed = list(string.Formatter().parse(template))
        except ValueError:
            raise Unsupported("malformed format string") from None
        pieces: list[str] = []
        numbering = ""  # "auto" or "manual" once a positional field is seen: they cannot mix
        next_index = 0
        for literal, field, spec, conversion in parsed:
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
                pieces.append(self.text(args[index]))
            elif field.isidentifier() and field in kwargs:
                pieces.append(self.text(kwargs[field]))
            else:
                raise Unsupported("format field")
        return _checked_len("".join(pieces))

    def _percent(self, template: str, right: Any) -> str:
        """`template % right` with only `%s`, `%d` and `%%`, built here."""
        args = tuple(right) if isinstance(right, tuple) else (right,)
        pieces: list[str] = []
        used = end = 0
        for match in _PERCENT.finditer(template):
            pieces.append(template[end:match.start()])
            end = match.end()
            kind = match.group(1)
            if kind == "%":
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
            pieces.append(self.text(int(value) if kind == "d" else value))
        if used != len(args):
            raise Unsupported("not all arguments converted during string formatting")
        pieces.append(template[end:])
        return _checked_len("".join(pieces))

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
