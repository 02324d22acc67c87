"""The import log: every conversion counted, rows per file, duplicates removed, rows the mapping
skipped, columns ignored. Written next to the contract files as ``import_log.json`` (for tools)
and ``import_log.txt`` (for people); the CLI prints the text."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["FileEntry", "ImportLog"]


@dataclass
class FileEntry:
    file: str
    table: str
    encoding: str
    rows: int
    blank_lines: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    lines_above_header: int = 0
    footer: list[str] = field(default_factory=list)
    mapped_columns_not_found: list[str] = field(default_factory=list)


@dataclass
class ImportLog:
    source: str
    mapping: str | None
    files: list[FileEntry] = field(default_factory=list)
    conversions: Counter = field(default_factory=Counter)  # (table, column, how) → rows
    skipped: Counter = field(default_factory=Counter)  # (table, reason) → rows
    duplicates: Counter = field(default_factory=Counter)  # table → rows removed
    written: dict[str, int] = field(default_factory=dict)  # table → rows written

    def count(self, table: str, column: str, how: str | None, n: int = 1) -> None:
        if how:
            self.conversions[(table, column, how)] += n

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "mapping": self.mapping,
            "files": [vars(f) for f in self.files],
            "conversions": [
                {"table": t, "column": c, "conversion": h, "rows": n}
                for (t, c, h), n in sorted(self.conversions.items())
            ],
            "skipped": [{"table": t, "reason": r, "rows": n} for (t, r), n in sorted(self.skipped.items())],
            "duplicates_removed": dict(self.duplicates),
            "written": self.written,
        }

    def text(self) -> str:
        out = [f"import from {self.source}" + (f" with {self.mapping}" if self.mapping else "")]
        out.append("files:")
        for f in self.files:
            out.append(
                f"  {f.file}: {f.rows} row(s) → {f.table} (encoding {f.encoding}"
                + (f", {f.blank_lines} blank line(s) skipped" if f.blank_lines else "")
                + ")"
            )
            if f.lines_above_header:
                out.append(f"    {f.lines_above_header} line(s) above the header skipped ([read] header_line)")
            if f.footer:
                out.append(
                    f"    {len(f.footer)} report footer line(s) skipped: "
                    + " / ".join(repr(x[:40]) for x in f.footer[:3])
                    + (" …" if len(f.footer) > 3 else "")
                )
            if f.mapped_columns_not_found:
                out.append(f"    [columns] entries not in this file: {', '.join(f.mapped_columns_not_found)}")
            if f.ignored_columns:
                out.append(f"    columns not imported: {', '.join(f.ignored_columns)}")
        if self.conversions:
            out.append("conversions (rows):")
            for (t, c, h), n in sorted(self.conversions.items()):
                out.append(f"  {t}.{c}: {h}: {n}")
        for (t, r), n in sorted(self.skipped.items()):
            out.append(f"skipped ({t}): {r}: {n} row(s)")
        for t, n in sorted(self.duplicates.items()):
            out.append(f"duplicates removed ({t}): {n} row(s) present in more than one file, identical")
        out.append("written: " + ", ".join(f"{t}={n}" for t, n in self.written.items()))
        return "\n".join(out)

    def write(self, out_dir: Path) -> None:
        (out_dir / "import_log.json").write_text(
            json.dumps(self.to_dict(), ensure_ascii=False, indent=1, default=str), encoding="utf-8"
        )
        (out_dir / "import_log.txt").write_text(self.text() + "\n", encoding="utf-8")
