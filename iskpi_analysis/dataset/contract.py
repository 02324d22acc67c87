"""The data contract: tables, columns, enumerations, and the problems validation reports."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "CONTRACT",
    "TABLES",
    "REQUIRED_TABLES",
    "EVENT_TIME",
    "ENUM_ALIASES",
    "TRUE_WORDS",
    "FALSE_WORDS",
    "MAX_ROWS_SHOWN",
    "Problem",
    "DataValidationError",
    "MonthWithoutCalls",
    "HOW_TO_EXPORT",
]


# --- the contract --------------------------------------------------------------------------
# kind: id (unique string), str, ref (string, may be empty), ts (timestamp), date, bool,
# int (non-negative integer), money (non-negative number), month (YYYY-MM), enum:<a|b|c>
CONTRACT: dict[str, dict[str, tuple[str, bool]]] = {
    "teams": {"team_id": ("id", True), "team_name": ("str", False), "launched_on": ("date", True)},
    "reps": {
        "rep_id": ("id", True),
        "rep_name": ("str", False),
        "team_id": ("str", True),
        "role": ("enum:SDR|BDR", True),
        "joined_on": ("date", True),
        "left_on": ("date", False),
    },
    "calls": {
        "call_id": ("id", True),
        "rep_id": ("str", True),
        "lead_id": ("str", False),
        "started_at": ("ts", True),
        "connected": ("bool", True),
        "talk_seconds": ("int", True),
        "appointment": ("bool", True),
        "decision_maker": ("bool", False),
        "script": ("str", False),
        "direction": ("enum:in|out", False),
        "disposition_raw": ("str", False),
    },
    "emails": {
        "email_id": ("id", True),
        "rep_id": ("str", True),
        "lead_id": ("str", False),
        "sent_at": ("ts", True),
        "opened_at": ("ts", False),
        "clicked_at": ("ts", False),
        "replied_at": ("ts", False),
    },
    "leads": {
        "lead_id": ("id", True),
        "created_at": ("ts", True),
        "source": ("str", True),
        "segment": ("str", False),
        "owner_rep_id": ("str", False),
        "mql_at": ("ts", False),
        "sql_at": ("ts", False),
    },
    "deals": {
        "deal_id": ("id", True),
        "lead_id": ("str", False),
        "rep_id": ("str", True),
        "created_at": ("ts", True),
        "amount_jpy": ("money", False),
        "budget_confirmed": ("bool", False),
        "authority_confirmed": ("bool", False),
        "need_confirmed": ("bool", False),
        "timeline_confirmed": ("bool", False),
        "need_clarity": ("enum:clear|overview|unclear", False),
        "decision_process": ("enum:detailed|overview|unknown", False),
        "next_action": ("enum:scheduled|timing_only|none", False),
        "status": ("enum:open|won|lost", True),
        "closed_at": ("ts", False),
    },
    "costs": {"month": ("month", True), "team_id": ("str", True), "cost_jpy": ("money", True)},
}


TABLES = tuple(CONTRACT)


REQUIRED_TABLES = ("reps", "calls")


#: the event-time column of each table (date filters and "future" checks use it)
EVENT_TIME = {"calls": "started_at", "emails": "sent_at", "leads": "created_at", "deals": "created_at"}


#: spellings accepted for an enum value, read case-insensitively after trimming (calls.direction:
#: vendor exports say Inbound/Outbound or 受信/発信); an empty direction is outbound (contract v1)
ENUM_ALIASES = {
    "direction": {
        "in": "in",
        "inbound": "in",
        "incoming": "in",
        "受信": "in",
        "着信": "in",
        "out": "out",
        "outbound": "out",
        "outgoing": "out",
        "発信": "out",
        "架電": "out",
    }
}


TRUE_WORDS = ("true", "1", "yes", "y", "t")


FALSE_WORDS = ("false", "0", "no", "n", "f")


MAX_ROWS_SHOWN = 5


@dataclass
class Problem:
    """One validation problem: where (file, column, rows) and what."""

    file: str
    column: str | None
    message: str
    rows: list[int] = field(default_factory=list)
    count: int = 0
    examples: list[str] = field(default_factory=list)
    #: a short stable name of the kind of problem (warnings the report summarises carry one)
    code: str = ""
    #: the values a reader's sentence for ``code`` needs beyond file, column and count
    #: (e.g. the ignored column names); the report renders the note from the catalog
    fields: dict = field(default_factory=dict)

    def summary(self) -> str:
        """File, column, what and how many — no row numbers (the report's data-quality note)."""
        where = self.file + (f", column '{self.column}'" if self.column else "")
        return f"{where}: {self.message}" + (
            f" ({self.count:,} row{'s' if self.count != 1 else ''})" if self.count else ""
        )

    def __str__(self) -> str:
        where = self.file + (f", column '{self.column}'" if self.column else "")
        text = f"{where}: {self.message}"
        if self.count:
            shown = ", ".join(str(r) for r in self.rows[:MAX_ROWS_SHOWN])
            more = ", …" if self.count > len(self.rows[:MAX_ROWS_SHOWN]) else ""
            text += f" — {self.count} row{'s' if self.count != 1 else ''} (rows {shown}{more})"
        if self.examples:
            text += " e.g. " + ", ".join(repr(e) for e in self.examples[:3])
        return text


class DataValidationError(ValueError):
    """The data directory breaks the contract; ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        lines = [f"{len(problems)} data problem(s) found:"] + [f"  - {p}" for p in problems]
        super().__init__("\n".join(lines))


class MonthWithoutCalls(ValueError):
    """The report month has no (outbound) calls in this view of the data; see
    :func:`require_month_calls`."""


#: how to turn a file that is not CSV text into one (said by every "not CSV text" error)
HOW_TO_EXPORT = (
    "save it as CSV: in Excel 'File > Save As > CSV UTF-8 (comma delimited) (*.csv)' "
    "(or 'CSV (comma delimited)', which is CP932), or convert the export with `iskpi import`"
)
