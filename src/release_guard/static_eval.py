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

Values, their size limits and the string building live in `static_values`.
"""

from __future__ import annotations

import ast
import collections
from collections.abc import Mapping
from typing import Any

from release_guard.static_values import (
    _BUILTINS,
    _CALL_STEPS,
    _MAX_DEPTH,
    _MAX_NODES,
    _NAMEDTUPLE_FIELD_STEPS,
    _NAMEDTUPLE_STEPS,
    _STR_METHODS,
    Unsupported,
    Values,
    _Builtin,
    _check_size,
    _MapObject,
    _Method,
)

__all__ = ["Unsupported", "evaluate", "module_assignments"]


class _Evaluator(Values):
    def __init__(self, assignments: Mapping[str, ast.expr]) -> None:
        super().__init__()
        self.assignments = assignments
        self.cache: dict[str, Any] = {}

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
