"""Arrow string formatting and the streaming CSV/Parquet writer of :mod:`core.demo.synth`.

CSV is serialised with Arrow compute kernels (fixed decimals for prices and
coordinates, RFC 4180 quoting only where needed, empty fields for nulls), so
the same tables always give byte-identical files.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

_DECIMALS = {"price": 2, "unit_price": 2, "lat": 4, "lon": 4}
_CSV_SLICE = 262_144


def _fmt_ids(prefix: str, nums: np.ndarray, width: int, empty: np.ndarray | None = None) -> pa.Array:
    """``prefix`` + zero-padded numbers as an Arrow string array, built from raw bytes."""
    nums = np.asarray(nums, dtype=np.int64)
    n, p = len(nums), prefix.encode()
    buf = np.empty((n, len(p) + width), dtype=np.uint8)
    buf[:, : len(p)] = np.frombuffer(p, dtype=np.uint8)
    x = np.abs(nums)
    for k in range(width - 1, -1, -1):
        buf[:, len(p) + k] = x % 10 + 48
        x = x // 10
    offsets = np.arange(n + 1, dtype=np.int32) * buf.shape[1]
    arr = pa.Array.from_buffers(pa.string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(buf.tobytes())])
    if empty is not None and empty.any():
        arr = pc.if_else(pa.array(empty), pa.scalar(""), arr)
    return arr


def _fmt_fixed(values: np.ndarray, decimals: int) -> pa.Array:
    """Floats as strings with exactly ``decimals`` decimals (no exponent)."""
    v = np.asarray(values, dtype=np.float64)
    scale = 10**decimals
    scaled = np.rint(np.abs(v) * scale).astype(np.int64)
    whole = pc.cast(pa.array(scaled // scale), pa.string())
    frac = pc.utf8_lpad(pc.cast(pa.array(scaled % scale), pa.string()), width=decimals, padding="0")
    sign = pc.if_else(pa.array((v < 0) & (scaled > 0)), "-", "")
    return pc.binary_join_element_wise(sign, whole, ".", frac, "")


def _csv_text(col: pa.ChunkedArray | pa.Array) -> pa.Array | pa.ChunkedArray:
    col = pc.fill_null(col, "")
    need = pc.match_substring_regex(col, '[",\r\n]')
    if not pc.any(need).as_py():
        return col
    quoted = pc.binary_join_element_wise('"', pc.replace_substring(col, '"', '""'), '"', "")
    return pc.if_else(need, quoted, col)


def _csv_chunk(table: pa.Table) -> bytes:
    cols = []
    for name in table.column_names:
        col = table.column(name)
        if name in _DECIMALS and pa.types.is_floating(col.type):
            cols.append(_fmt_fixed(col.to_numpy(), _DECIMALS[name]))
        elif pa.types.is_string(col.type):
            cols.append(_csv_text(col))
        else:
            cols.append(pc.fill_null(pc.cast(col, pa.string()), ""))
    lines = pc.binary_join_element_wise(pc.binary_join_element_wise(*cols, ","), "", "\n")
    if isinstance(lines, pa.ChunkedArray):
        lines = lines.combine_chunks()
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)[lines.offset: lines.offset + len(lines) + 1]
    return lines.buffers()[2].to_pybytes()[offsets[0]: offsets[-1]]


class _TableWriter:
    """Streams Arrow tables to one CSV (own fast serializer) or Parquet file."""

    def __init__(self, path: Path, schema: pa.Schema, fmt: str) -> None:
        self.path, self.schema, self.fmt, self.rows = path, schema, fmt, 0
        if fmt == "csv":
            self._fh = path.open("wb")
            self._fh.write((",".join(schema.names) + "\n").encode())
        else:
            self._pq = pq.ParquetWriter(path, schema, compression="zstd")

    def write(self, table: pa.Table) -> None:
        table = table.select(self.schema.names).cast(self.schema)
        self.rows += table.num_rows
        if self.fmt == "csv":
            for lo in range(0, table.num_rows, _CSV_SLICE):
                self._fh.write(_csv_chunk(table.slice(lo, _CSV_SLICE)))
        elif table.num_rows:
            self._pq.write_table(table)

    def close(self) -> None:
        if self.fmt == "csv":
            self._fh.close()
        else:
            self._pq.close()


def _check_fmt(fmt: str) -> str:
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"fmt must be 'csv' or 'parquet', not {fmt!r}")
    return fmt
