"""``--from generic``: any CSV/xlsx; the mapping's ``[columns]`` names every column (contract
column names are taken as they are), nothing is assumed about values beyond the contract's
own forms, Japanese booleans, durations and yen amounts."""

from .source import Source

__all__ = ["SOURCE"]

SOURCE = Source(name="generic", columns={}, duration_unit="auto")
