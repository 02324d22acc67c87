"""Import errors: each names the file, the physical line(s), the column, the value and the
mapping key that would fix it. Identical problems (same file, column, value and fix) are grouped
into one entry with their line numbers, so a thousand rows with one unmapped result make one
line of the message."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["MAX_LINES_SHOWN", "MAX_PROBLEMS_SHOWN", "ImportProblem", "ImportProblems", "Collector"]

MAX_LINES_SHOWN = 5
MAX_PROBLEMS_SHOWN = 40


@dataclass
class ImportProblem:
    file: str
    column: str | None
    value: str | None
    message: str
    fix: str = ""
    lines: list[int] = field(default_factory=list)

    def __str__(self) -> str:
        where = self.file
        if self.lines:
            shown = ", ".join(map(str, self.lines[:MAX_LINES_SHOWN]))
            more = ", …" if len(self.lines) > MAX_LINES_SHOWN else ""
            where += f", line{'s' if len(self.lines) > 1 else ''} {shown}{more}"
            if len(self.lines) > 1:
                where += f" ({len(self.lines)} rows)"
        if self.column:
            where += f", column '{self.column}'"
        text = f"{where}: {self.message}"
        if self.value is not None:
            text += f" — value {self.value!r}"
        if self.fix:
            text += f"\n      fix: {self.fix}"
        return text


class ImportProblems(ValueError):
    """The export cannot be converted as mapped; ``problems`` lists every problem."""

    def __init__(self, problems: list[ImportProblem]):
        self.problems = problems
        shown = problems[:MAX_PROBLEMS_SHOWN]
        lines = [f"{len(problems)} import problem(s):"] + [f"  - {p}" for p in shown]
        if len(problems) > len(shown):
            lines.append(f"  … and {len(problems) - len(shown)} more")
        super().__init__("\n".join(lines))


class Collector:
    """Collects problems while every row of every file is converted (all are reported at once)."""

    def __init__(self):
        self._by_key: dict[tuple, ImportProblem] = {}

    def add(self, file, line, column, value, message, fix="") -> None:
        key = (file, column, value, message, fix)
        p = self._by_key.get(key)
        if p is None:
            p = self._by_key[key] = ImportProblem(file, column, value, message, fix)
        if line is not None:
            p.lines.append(line)

    @property
    def problems(self) -> list[ImportProblem]:
        return list(self._by_key.values())

    def raise_if_any(self) -> None:
        if self._by_key:
            raise ImportProblems(self.problems)
