"""Record: the base of the immutable records on the commit hook's path.

A `typing.NamedTuple` costs 0.2-0.4 ms to define (collections.namedtuple compiles code for
every class), and the hook path defined eight of them: about 2 ms of a budget counted in
single milliseconds (benchmarks/README.md). A class with `__slots__` costs a tenth of that.
Records keep what the code used of NamedTuples: keyword or positional construction in
field order, equality and hashing by value, a readable repr, `_replace` and `_asdict`, and
no assignment after construction.

A subclass lists its fields in order in `_fields` and sets `__slots__ = _fields`, annotates
them in the class body, and its `__init__` passes the values, in field order, to `_set`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:  # a TypeVar bound to a name costs 2 ms at run time (typing compiles it)
    from typing import TypeVar

    _R = TypeVar("_R", bound="Record")

_setattr = object.__setattr__


class Record:
    __slots__ = ()
    _fields: ClassVar[tuple[str, ...]] = ()  # the field names, in order

    def _set(self, *values: object) -> None:
        """Store `values` into the fields, in the order of `__slots__` (from `__init__` only)."""
        for name, value in zip(self._fields, values, strict=True):
            _setattr(self, name, value)

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self._fields)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable: cannot delete {name!r}")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, Record)
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._values()))

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._fields)
        return f"{type(self).__name__}({fields})"

    def _asdict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self._fields}

    def _replace(self: _R, **changes: Any) -> _R:
        """A copy with some fields changed (an unknown field name is a ValueError)."""
        unknown = set(changes).difference(self._fields)
        if unknown:
            raise ValueError(f"{type(self).__name__} has no field {', '.join(sorted(unknown))}")
        new = object.__new__(type(self))
        for name in self._fields:
            _setattr(new, name, changes[name] if name in changes else getattr(self, name))
        return new
