"""Writing the sample: one Parquet (byte-identical per seed) or CSV file per table, and the CLI."""

from __future__ import annotations

import argparse
import hashlib
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .. import config
from .generator import generate
from .params import DEFAULT_SEED

__all__ = ["TABLE_NAMES", "ROW_GROUP_SIZE", "write_sample", "file_hashes", "main"]

TABLE_NAMES = ("teams", "reps", "calls", "emails", "leads", "deals", "costs")
ROW_GROUP_SIZE = 262_144


def _to_arrow(df: pd.DataFrame) -> pa.Table:
    return pa.Table.from_pandas(df, preserve_index=False)


def _csv_frame(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` as the contract's CSV text: ISO 8601 timestamps with offset, dates, true/false, whole yen."""
    d = df.copy()
    for c in d.columns:
        s = d[c]
        if isinstance(s.dtype, pd.DatetimeTZDtype):
            d[c] = s.dt.strftime("%Y-%m-%dT%H:%M:%S%z").str.replace(r"([+-]\d\d)(\d\d)$", r"\1:\2", regex=True)
        elif pd.api.types.is_datetime64_dtype(s):
            d[c] = s.dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_bool_dtype(s):
            d[c] = s.map({True: "true", False: "false"}).astype("str")
        elif s.dtype == "float64" and c in ("amount_jpy", "cost_jpy"):
            d[c] = s.map(lambda v: "" if pd.isna(v) else f"{v:.0f}").astype("str")
    return d


def _write_table(df: pd.DataFrame, path: Path, fmt: str) -> None:
    if fmt == "parquet":
        pq.write_table(
            _to_arrow(df),
            path,
            compression="zstd",
            compression_level=9,
            row_group_size=ROW_GROUP_SIZE,
            use_dictionary=True,
            write_statistics=True,
        )
    else:
        _csv_frame(df).to_csv(path, index=False, encoding="utf-8", lineterminator="\n", na_rep="")


def write_sample(
    out_dir=config.SAMPLE_DATA_DIR,
    seed: int = DEFAULT_SEED,
    fmt: str = "parquet",
    *,
    tables: dict[str, pd.DataFrame] | None = None,
    **gen_kwargs,
) -> dict[str, Path]:
    """Generate (or take ``tables``) and write ``NAME.parquet`` / ``NAME.csv`` per table.

    Parquet: pyarrow, zstd, fixed row groups, no run-time metadata → byte-identical per seed.
    CSV: UTF-8, ISO 8601 timestamps with offset (``2026-10-01T09:15:00+09:00``), empty = missing.

    Parameters
    ----------
    out_dir : path-like
        Output directory (created if missing); default ``data/sample/``.
    seed : int
        Seed for :func:`generate` (ignored with ``tables``).
    fmt : {"parquet", "csv"}
        File format.
    tables : dict of str to pandas.DataFrame, optional
        Already generated tables to write instead of generating.
    **gen_kwargs
        Further keyword arguments of :func:`generate` (``teams``, ``end``, …).

    Returns
    -------
    dict of str to pathlib.Path
        The written file of each table, in :data:`TABLE_NAMES` order.
    """
    if fmt not in ("parquet", "csv"):
        raise ValueError(f"fmt must be 'parquet' or 'csv', not {fmt!r}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    tables = generate(seed, **gen_kwargs) if tables is None else tables
    paths = {}
    for name in TABLE_NAMES:
        paths[name] = out_dir / f"{name}.{fmt}"
        _write_table(tables[name], paths[name], fmt)
    return paths


def file_hashes(paths) -> dict[str, str]:
    """sha256 of each written file (for determinism checks)."""
    return {k: hashlib.sha256(Path(p).read_bytes()).hexdigest() for k, p in dict(paths).items()}


def main(argv=None) -> int:
    """``iskpi sample`` / ``python -m iskpi_analysis.sample``: write the sample, print sizes and time."""
    ap = argparse.ArgumentParser(prog="iskpi sample", description="Write the deterministic sample data.")
    ap.add_argument("--out", default=str(config.SAMPLE_DATA_DIR), help="output directory")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--format", choices=("parquet", "csv"), default="parquet")
    a = ap.parse_args(argv)
    t0 = time.perf_counter()
    paths = write_sample(a.out, seed=a.seed, fmt=a.format)
    dt = time.perf_counter() - t0
    for name, p in paths.items():
        print(f"{name:7s} {p.stat().st_size / 1e6:8.2f} MB  {p}")
    print(f"done in {dt:.1f} s (seed {a.seed})")
    return 0
