"""Flat storage for what is fitted once and read ever after: rows of numbers kept end to end in one `array`.

A fitted corpus model held as Python containers is hundreds of thousands of dicts, tuples and boxed numbers: tens of
MiB resident, and a quarter of a second to unpickle. The same data as a few typed arrays is a few MiB, and pickles as
a handful of byte buffers that load in microseconds (`mockai.engine.fit_cache`). `Rows` is that layout for ragged
data (a value array plus row offsets, "compressed sparse rows"); readers slice one row at a time, when they need it.

>>> rows = Rows.of([[3, 1], [], [4, 1, 5]])
>>> len(rows), list(rows[2]), tuple(rows[1])
(3, [4, 1, 5], ())
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Sequence
from typing import Generic, TypeVar

__all__ = ["Rows", "float_array", "int_array"]

_INT32 = 1 << 31
N = TypeVar("N", int, float)


def int_array(values: Iterable[int]) -> array[int]:
    """The values in a typed array: 4 bytes each where they all fit, else 8."""
    found = values if isinstance(values, list) else list(values)
    small = not found or (min(found) >= -_INT32 and max(found) < _INT32)
    return array("i" if small else "q", found)


def float_array(values: Iterable[float]) -> array[float]:
    """The values as doubles: exactly the Python floats they were, so sums over them are bit for bit the same."""
    return array("d", values)


class Rows(Generic[N]):
    """A read-only sequence of rows of numbers stored end to end: `rows[i]` is a fresh array holding row `i`."""

    __slots__ = ("offsets", "values")
    values: array[N]
    offsets: array[int]  # row i is values[offsets[i]:offsets[i + 1]]

    def __init__(self, values: array[N], offsets: array[int]) -> None:
        self.values = values
        self.offsets = offsets

    @staticmethod
    def of(rows: Iterable[Sequence[int]]) -> Rows[int]:
        values: list[int] = []
        offsets = [0]
        for row in rows:
            values.extend(row)
            offsets.append(len(values))
        return Rows(int_array(values), int_array(offsets))

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, index: int) -> array[N]:
        if not 0 <= index < len(self.offsets) - 1:
            raise IndexError(f"row {index} of {len(self)}")
        return self.values[self.offsets[index] : self.offsets[index + 1]]
