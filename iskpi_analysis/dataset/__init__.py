"""Load and validate a data directory (DESIGN §3, data contract v1).

A data directory holds one file per table, ``NAME.csv`` or ``NAME.parquet`` (both is an error
unless ``prefer`` says which). CSV may be UTF-8, UTF-8 with BOM or CP932; it is streamed
(pyarrow's CSV reader, quoted line breaks allowed) into DuckDB with every column as text, so a
5-million-row export validates in bounded memory. Every table is checked against the contract and
exposed as a typed view with derived local-time columns. pandas frames are materialised on first
access (``data.calls``), so the aggregation hot path (``aggregate``) never has to build a
25-million-row pandas frame.

Problems are collected across all tables and raised together as one
:class:`DataValidationError`, each naming the file, the column, the rows (first few row numbers
and the count), an example value and what to do. Errors are for data that cannot be right.
Consistent data is kept and counted in ``Dataset.warnings`` (``Dataset.notes`` as objects):
rows dropped (exact duplicate rows), kept despite a doubt (calls outside the rep's employment),
events after the data's last call or e-mail but not after today (deals created days after the
appointment, MQL/SQL stamps), inbound calls (kept in ``data.calls``, left out of the views the
analyses read), columns outside the contract (ignored). No row disappears silently.

Row numbers: for CSV the physical line in the file where the record starts (the header is line
1; blank lines and line breaks inside quoted values are counted); for Parquet and DataFrames the
1-based row position.
"""

from __future__ import annotations

from .checks import _build  # noqa: F401
from .contract import (  # noqa: F401
    CONTRACT,
    ENUM_ALIASES,
    EVENT_TIME,
    FALSE_WORDS,
    HOW_TO_EXPORT,
    MAX_ROWS_SHOWN,
    REQUIRED_TABLES,
    TABLES,
    TRUE_WORDS,
    DataValidationError,
    MonthWithoutCalls,
    Problem,
)
from .core import Dataset, load_data, month_bounds, require_month_calls  # noqa: F401
from .files import OTHER_SUFFIXES, _CsvFile, _detect_encoding, _find_files, _ident, _q, _sniff, file_sha256  # noqa: F401
from .views import _create_views  # noqa: F401

__all__ = [
    "CONTRACT",
    "TABLES",
    "REQUIRED_TABLES",
    "Problem",
    "DataValidationError",
    "MonthWithoutCalls",
    "Dataset",
    "file_sha256",
    "load_data",
    "month_bounds",
    "require_month_calls",
]
