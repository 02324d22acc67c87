"""MiiTel 応対履歴 (call history) CSV.

Documented by MiiTel (support article on the list-view CSV): 通話種別 values 着信, 着信 (不在),
発信, 発信 (不在), 転送, 転送 (不在), 内線, 内線 (不在), 留守番電話; シーケンス ID; ユーザー名,
which is "-" on unanswered calls (発信 (不在), 着信 (不在)); 応対メモ. The English-UI export
names the same columns Call type ("Outbound call", "Outbound call (No Answer)", …), Sequence ID,
User name, Dial begin time, Call begin time (blank when the call did not connect) and Call end
time. Column names not found in MiiTel's documentation (発信日時, 通話開始日時, 通話終了日時 and
the English ones above) follow the issue's description of the export; map yours in [columns]
if they differ.

Connected and direction come from the call type; the talk time is call end − call begin
(0 when the call did not connect); the start of a call is when dialling began, so that
time-of-day analysis counts attempts at the hour they were made.
"""

from __future__ import annotations

from .source import Source
from .values import to_timestamp

__all__ = ["COLUMNS", "VALUES", "talk_seconds", "SOURCE"]

COLUMNS = {
    "Sequence ID": "call_id",
    "シーケンス ID": "call_id",
    "シーケンスID": "call_id",
    "User name": "rep_id",
    "ユーザー名": "rep_id",
    "Call type": "call_type",
    "通話種別": "call_type",
    "Dial begin time": "started_at",
    "発信日時": "started_at",
    "発信開始日時": "started_at",
    "Call begin time": "call_begin_at",
    "通話開始日時": "call_begin_at",
    "Call end time": "call_end_at",
    "通話終了日時": "call_end_at",
    "Talk time": "talk_seconds",
    "通話時間": "talk_seconds",
    "応対メモ": "memo",
    "Memo": "memo",
}
_TYPES = {  # call type → (direction, connected); "skip": not a rep's call (internal, transfers)
    "Outbound call": ("out", True),
    "Outbound call (No Answer)": ("out", False),
    "Inbound call": ("in", True),
    "Inbound call (No Answer)": ("in", False),
    "発信": ("out", True),
    "発信 (不在)": ("out", False),
    "着信": ("in", True),
    "着信 (不在)": ("in", False),
    "Internal call": ("skip", False),
    "Internal call (No Answer)": ("skip", False),
    "内線": ("skip", False),
    "内線 (不在)": ("skip", False),
    "転送": ("skip", False),
    "転送 (不在)": ("skip", False),
    "留守番電話": ("skip", False),
}
VALUES = {"direction": {t: d for t, (d, _c) in _TYPES.items()}, "connected": {t: c for t, (_d, c) in _TYPES.items()}}


def talk_seconds(row: dict, ctx):
    """Call end − call begin; 0 when call begin is blank (not connected)."""
    if row.get("talk_seconds", "").strip() or "call_end_at" not in row:
        return None  # a talk-time column, or no end column: the ordinary duration field
    begin = row.get("call_begin_at", "").strip()
    if not begin:
        return 0, "call begin time blank → 0 s"
    b, _ = ctx.convert("call_begin_at", begin, to_timestamp, ctx.tz, ctx.date_formats)
    e, _ = ctx.convert("call_end_at", row.get("call_end_at", ""), to_timestamp, ctx.tz, ctx.date_formats)
    secs = (e - b).total_seconds()
    if secs < 0:
        from .values import Unconvertible

        raise Unconvertible("call end time before call begin time")
    return ctx.whole_seconds(secs, "call end − call begin")


SOURCE = Source(
    name="miitel",
    columns=COLUMNS,
    values=VALUES,
    derive={"connected": "call_type", "direction": "call_type", "appointment": "memo"},
    duration_unit="auto",
    talk_seconds=talk_seconds,
    no_owner=("-", "プレディクティブコール"),
)
