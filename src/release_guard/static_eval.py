"""Evaluate a module-level `__version__` expression without importing the module.

Projects that format a version tuple at import time (`"{}.{}.{}".format(*VERSION)`,
`".".join(map(str, VERSION))`, a namedtuple's fields) would otherwise need the build
backend. This walks the AST with a small whitelist of pure operations on strings, ints
and tuples; anything else raises `Unsupported`, and the caller takes the slow path.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Mapping
from typing import Any

_MAX_DEPTH = 40
_MAX_LEN = 200
_WIDE_FORMAT = re.compile(r"\d{3,}|\*|\{[^{}]*\{")  # a width of 3+ digits, or taken from an argument


class Unsupported(Exception):
    """The expression uses something outside the whitelist."""


def _namedtuple_factory(type_name: Any, field_names: Any, *_: Any, **__: Any) -> Any:
    import collections

    if not isinstance(type_name, str) or not isinstance(field_names, (str, list, tuple)):
        raise Unsupported("namedtuple arguments")
    return collections.namedtuple(type_name, field_names)


def _checked_str(value: object) -> str:
    text = str(value)
    if len(text) > _MAX_LEN:
        raise Unsupported("value too long")
    return text


_SAFE_CALLS: dict[str, Callable[..., Any]] = {
    "str": _checked_str,
    "int": int,
    "tuple": tuple,
    "list": list,
    "map": lambda f, it: [f(x) for x in it],
    "namedtuple": _namedtuple_factory,
    "collections.namedtuple": _namedtuple_factory,
}
_STR_METHODS = {"format", "join", "lower", "upper", "strip", "lstrip", "rstrip", "replace"}


class _Evaluator:
    def __init__(self, assignments: Mapping[str, ast.expr]) -> None:
        self.assignments = assignments
        self.cache: dict[str, Any] = {}
        self.depth = 0

    def name(self, name: str) -> Any:
        if name in self.cache:
            return self.cache[name]
        if name in _SAFE_CALLS:
            return _SAFE_CALLS[name]
        node = self.assignments.get(name)
        if node is None:
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
        if isinstance(node, ast.Constant) and isinstance(node.value, (str, int, bool, type(None))):
            return node.value
        if isinstance(node, (ast.Tuple, ast.List)):
            return tuple(self.eval(e) for e in node.elts)
        if isinstance(node, ast.Name):
            return self.name(node.id)
        if isinstance(node, ast.JoinedStr):
            return "".join(self._fstring_part(v) for v in node.values)
        if isinstance(node, ast.BinOp):
            return self._binop(node)
        if isinstance(node, ast.Subscript):
            return self._subscript(node)
        if isinstance(node, ast.Attribute):
            return self._attribute(node)
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, ast.IfExp):
            return self.eval(node.body) if self.eval(node.test) else self.eval(node.orelse)
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            return self._compare(node)
        raise Unsupported(type(node).__name__)

    def _fstring_part(self, node: ast.expr) -> str:
        if isinstance(node, ast.Constant):
            return str(node.value)
        if isinstance(node, ast.FormattedValue) and node.format_spec is None:
            return _checked_str(self.eval(node.value))
        raise Unsupported("f-string part")

    def _binop(self, node: ast.BinOp) -> Any:
        left, right = self.eval(node.left), self.eval(node.right)
        same_kind = type(left) is type(right) and isinstance(left, (str, tuple, int))
        if isinstance(node.op, ast.Add) and same_kind:
            result = left + right
        elif isinstance(node.op, ast.Mod) and isinstance(left, str) and not _WIDE_FORMAT.search(left):
            result = left % right
        else:
            raise Unsupported("operator")
        if isinstance(result, (str, tuple)) and len(result) > _MAX_LEN:
            raise Unsupported("value too long")
        return result

    def _subscript(self, node: ast.Subscript) -> Any:
        value = self.eval(node.value)
        if not isinstance(value, (str, tuple)):
            raise Unsupported("subscript of non-sequence")
        if isinstance(node.slice, ast.Slice):
            parts = [None if p is None else self.eval(p) for p in
                     (node.slice.lower, node.slice.upper, node.slice.step)]
            return value[slice(*parts)]
        index = self.eval(node.slice)
        if not isinstance(index, int):
            raise Unsupported("index")
        return value[index]

    def _attribute(self, node: ast.Attribute) -> Any:
        if isinstance(node.value, ast.Name) and node.value.id == "collections":
            return self.name(f"collections.{node.attr}")
        value = self.eval(node.value)
        if isinstance(value, str) and node.attr in _STR_METHODS:
            return getattr(value, node.attr)
        if isinstance(value, tuple) and hasattr(value, "_fields") and node.attr in value._fields:
            return getattr(value, node.attr)
        raise Unsupported(f"attribute {node.attr}")

    def _call(self, node: ast.Call) -> Any:
        func = self.eval(node.func)
        args: list[Any] = []
        for arg in node.args:
            if isinstance(arg, ast.Starred):
                args.extend(self.eval(arg.value))
            else:
                args.append(self.eval(arg))
        kwargs = {k.arg: self.eval(k.value) for k in node.keywords if k.arg}
        if len(kwargs) != len(node.keywords):
            raise Unsupported("**kwargs")
        allowed = func in _SAFE_CALLS.values() or (
            callable(func) and getattr(func, "__self__", None).__class__ is str
        ) or (isinstance(func, type) and issubclass(func, tuple) and hasattr(func, "_fields"))
        if not allowed:
            raise Unsupported("call")
        if getattr(func, "__name__", "") == "format" and _WIDE_FORMAT.search(func.__self__):
            raise Unsupported("wide format")
        result = func(*args, **kwargs)
        if isinstance(result, str) and len(result) > _MAX_LEN:
            raise Unsupported("value too long")
        return result

    def _compare(self, node: ast.Compare) -> bool:
        left, right, op = self.eval(node.left), self.eval(node.comparators[0]), node.ops[0]
        if isinstance(op, ast.Eq):
            return bool(left == right)
        if isinstance(op, ast.NotEq):
            return bool(left != right)
        if isinstance(op, ast.In):
            return bool(left in right)
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
        raise Unsupported(str(exc)) from None
    if not isinstance(value, str):
        raise Unsupported("not a string")
    return value
