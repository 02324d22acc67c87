"""``iskpi import``: vendor exports (Salesforce, HubSpot, MiiTel, Zoho, any CSV/xlsx) → contract
files, through a mapping file. See README "Importing CRM exports" and ``examples/``.

Modules: :mod:`.readers` (CSV encodings, xlsx, physical lines), :mod:`.values` (booleans,
durations, amounts, dates), :mod:`.mapping` (the TOML mapping), :mod:`.reps` (owner → rep_id),
one module per vendor (:mod:`.salesforce`, :mod:`.hubspot`, :mod:`.miitel`, :mod:`.zoho`,
:mod:`.generic`), :mod:`.convert` (rows → contract rows), :mod:`.log` (the import log) and
:mod:`.driver` (the whole import).
"""

from .driver import SOURCES, ImportResult, import_files
from .mapping import MappingError, load_mapping
from .problems import ImportProblem, ImportProblems
from .readers import ReadError

__all__ = [
    "SOURCES",
    "ImportResult",
    "import_files",
    "MappingError",
    "load_mapping",
    "ImportProblem",
    "ImportProblems",
    "ReadError",
]
