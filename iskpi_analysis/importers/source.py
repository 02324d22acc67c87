"""What a vendor adapter declares: its export's column names (API names and UI labels, English
and Japanese) → fields, its default value maps, which field each derived value comes from,
its duration unit and, where the vendor needs it, how the call's start time is found.

Fields are the contract's calls columns (call_id, rep_id, lead_id, started_at, talk_seconds,
direction, disposition_raw, connected, appointment, decision_maker, script) plus helpers an
adapter reads: memo, subject, call_type, activity_date, completed_at, created_at, call_begin_at,
call_end_at, rep_fallback.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from .mapping import Rule

__all__ = ["HELPER_FIELDS", "Source"]

HELPER_FIELDS = (
    "memo",
    "subject",
    "call_type",
    "activity_date",
    "completed_at",
    "created_at",
    "call_begin_at",
    "call_end_at",
    "rep_fallback",
)


@dataclass(frozen=True)
class Source:
    name: str
    columns: dict[str, str]
    values: dict[str, dict[str, object]] = field(default_factory=dict)
    rules: dict[str, list[Rule]] = field(default_factory=dict)
    derive: dict[str, str] = field(default_factory=dict)
    duration_unit: str = "auto"
    date_formats: tuple[str, ...] = ()
    #: (row, ctx) → (aware datetime, how) — None: the started_at field as a timestamp
    started_at: Callable | None = None
    #: (row, ctx) → (seconds, how) or None — None: the talk_seconds field as a duration
    talk_seconds: Callable | None = None
    #: owner values that mean "no user" (MiiTel writes "-" on unanswered calls)
    no_owner: tuple[str, ...] = ()
