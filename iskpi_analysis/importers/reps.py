"""Who made the call: the export's owner (display name, e-mail, user id) → the contract's
``rep_id``, from a reps table file or the mapping's ``[[reps.list]]``. Names are compared without
spaces and width differences ("佐藤 花子" = "佐藤花子" = "佐藤　花子"), e-mails case-insensitively.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .mapping import Mapping, MappingError, key
from .readers import read_table

__all__ = ["REP_COLUMNS", "Reps", "load_reps"]

#: reps columns written to the contract (the rest of a reps file, e.g. email/aliases, only matches)
REP_COLUMNS = ("rep_id", "rep_name", "team_id", "role", "joined_on", "left_on")


class Reps:
    """Owner spelling → rep_id, and the reps table to write."""

    def __init__(self, entries: list[dict], origin: str):
        self.origin = origin
        self.table = pd.DataFrame(
            [{c: str(e.get(c, "") or "") for c in REP_COLUMNS} for e in entries], columns=list(REP_COLUMNS)
        )
        self._by_key: dict[str, str] = {}
        for e in entries:
            rid = str(e["rep_id"]).strip()
            aliases = e.get("aliases", [])
            if isinstance(aliases, str):
                aliases = [a for a in aliases.split("|") if a.strip()]
            for spelling in [rid, e.get("rep_name"), e.get("email"), *aliases]:
                if spelling is None or not str(spelling).strip():
                    continue
                k = key(spelling)
                if self._by_key.get(k, rid) != rid:
                    raise MappingError(
                        f"{origin}: {spelling!r} names two reps ({self._by_key[k]} and {rid}); "
                        "make names/aliases unique"
                    )
                self._by_key[k] = rid

    def resolve(self, owner: str) -> str | None:
        return self._by_key.get(key(owner))

    def fix_hint(self, owner: str) -> str:
        if self.origin.startswith("[[reps.list]]"):
            return (
                f'add aliases = ["{owner}"] to that rep\'s [[reps.list]] entry in the mapping '
                "(or a new [[reps.list]] entry with rep_id, rep_name, team_id, role, joined_on)"
            )
        return f'add "{owner}" to that rep\'s aliases column in {self.origin} (aliases are separated by |)'


def load_reps(mapping: Mapping) -> Reps | None:
    """The mapping's reps, or None when it names none (owners are then taken as rep ids)."""
    if mapping.reps_file is not None:
        path = Path(mapping.reps_file)
        raw = read_table(path)
        missing = [c for c in ("rep_id",) if c not in raw.header]
        if missing:
            raise MappingError(f"{path.name}: reps file needs a rep_id column (columns: {', '.join(raw.header)})")
        entries = [dict(r) for r in raw.rows]
        return Reps(entries + mapping.reps_list, path.name)
    if mapping.reps_list:
        return Reps(mapping.reps_list, "[[reps.list]] in the mapping")
    return None
