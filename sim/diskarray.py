"""A (months, worlds, ...) float32 array kept on disk in month-major order.

A streamed run writes each block of worlds into it as the block finishes; summaries and plots
then read it a few months at a time (all worlds of those months are contiguous), so memory
stays bounded whatever the number of worlds. It supports what those readers need: `shape`,
`dtype`, `ndim` and indexing by a month or a slice of months on the first axis.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


class MonthMajorArray:
    def __init__(self, path: str | Path, shape: tuple[int, ...], dtype=np.float32):
        self.path, self.shape, self.dtype = Path(path), tuple(shape), np.dtype(dtype)
        self.ndim = len(self.shape)
        self._row = int(np.prod(self.shape[2:])) * self.dtype.itemsize  # one world, one month
        self._month_values = int(np.prod(self.shape[1:]))
        if not self.path.exists():
            with open(self.path, "wb") as f:
                f.truncate(int(np.prod(self.shape)) * self.dtype.itemsize)

    @property
    def _month_bytes(self) -> int:
        return self._month_values * self.dtype.itemsize

    def write(self, first_world: int, block: np.ndarray) -> None:
        """Write block (months, count, ...) at worlds first_world .. first_world + count - 1."""
        block = np.ascontiguousarray(block, dtype=self.dtype)
        with open(self.path, "r+b") as f:
            for month in range(self.shape[0]):
                f.seek(month * self._month_bytes + first_world * self._row)
                f.write(block[month].tobytes())

    def __getitem__(self, key) -> np.ndarray:
        months = range(self.shape[0])[key]
        if isinstance(months, int):
            return self[months : months + 1][0]
        if months.step != 1:
            raise IndexError("MonthMajorArray reads contiguous months only")
        with open(self.path, "rb") as f:
            f.seek(months.start * self._month_bytes)
            data = np.fromfile(f, dtype=self.dtype, count=len(months) * self._month_values)
        return data.reshape(len(months), *self.shape[1:])

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        data = self[:]
        return data if dtype is None else data.astype(dtype)
