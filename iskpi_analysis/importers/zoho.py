"""Zoho CRM calls (Calls module export): Call Start Time, Call Duration as "mm:ss", Call Type
(Outbound / Inbound / Missed), Call Owner, Call Result (a picklist each org edits, so the
mapping says which results are connections). Japanese labels from Zoho CRM's 通話の記録
標準項目 (件名, 通話の種類, 通話の結果, 通話の開始時刻, 通話時間, 詳細)."""

from .mapping import Rule
from .source import Source

__all__ = ["COLUMNS", "VALUES", "RULES", "SOURCE"]

COLUMNS = {
    "Record Id": "call_id",
    "Call Id": "call_id",
    "Id": "call_id",
    "Call Owner": "rep_id",
    "Call Start Time": "started_at",
    "Call Duration": "talk_seconds",
    "Call Type": "direction",
    "Call Result": "disposition_raw",
    "Subject": "subject",
    "Description": "memo",
    "レコードID": "call_id",
    "通話の担当者": "rep_id",
    "通話の開始時刻": "started_at",
    "通話時間": "talk_seconds",
    "通話の種類": "direction",
    "通話の結果": "disposition_raw",
    "件名": "subject",
    "詳細": "memo",
}
VALUES = {
    "direction": {"Outbound": "out", "Inbound": "in", "Missed": "in", "発信": "out", "受信": "in", "不在着信": "in"}
}
#: a missed call did not connect whatever its result says
RULES = {"connected": [Rule(False, column="direction", regex=__import__("re").compile(r"^(Missed|不在着信)$"))]}

SOURCE = Source(
    name="zoho",
    columns=COLUMNS,
    values=VALUES,
    rules=RULES,
    derive={"connected": "disposition_raw", "direction": "direction", "appointment": "disposition_raw"},
    duration_unit="mm:ss",
    date_formats=("%b %d, %Y %I:%M %p", "%d/%m/%Y %H:%M", "%m/%d/%Y %I:%M %p"),
)
