"""Salesforce Task (活動 / ToDo) report or Data Loader exports.

Columns by API name (Data Loader, Workbench) and by the labels a report CSV carries, Japanese
and English: ActivityDate's label is 期日 (report columns are often titled 日付 or 活動日);
CallType 通話種別, CallDisposition 通話結果, CallDurationInSeconds 通話時間 (秒),
OwnerId 割り当て先 (the user's display name in reports). ActivityDate has no time of day: the
time comes from CompletedDateTime (完了日時), else CreatedDate (作成日). CallDisposition is free
text set by each org, so the mapping must say which results are connections.
"""

from __future__ import annotations

from datetime import datetime

from .source import Source
from .values import Unconvertible, to_date, to_timestamp

__all__ = ["COLUMNS", "VALUES", "started_at", "SOURCE"]

COLUMNS = {
    # API names
    "Id": "call_id",
    "OwnerId": "rep_id",
    "Owner.Name": "rep_id",
    "WhoId": "lead_id",
    "ActivityDate": "activity_date",
    "CompletedDateTime": "completed_at",
    "CreatedDate": "created_at",
    "CallType": "direction",
    "CallDisposition": "disposition_raw",
    "CallDurationInSeconds": "talk_seconds",
    "Subject": "subject",
    "Description": "memo",
    # Japanese labels (report exports)
    "活動 ID": "call_id",
    "活動ID": "call_id",
    "ToDo ID": "call_id",
    "割り当て先": "rep_id",
    "任命先": "rep_id",
    "期日": "activity_date",
    "活動日": "activity_date",
    "日付": "activity_date",
    "完了日時": "completed_at",
    "作成日": "created_at",
    "作成日時": "created_at",
    "通話種別": "direction",
    "通話結果": "disposition_raw",
    "通話時間 (秒)": "talk_seconds",
    "通話時間(秒)": "talk_seconds",
    "件名": "subject",
    "コメント": "memo",
    "説明": "memo",
    # English labels
    "Activity ID": "call_id",
    "Assigned": "rep_id",
    "Assigned To": "rep_id",
    "Date": "activity_date",
    "Due Date": "activity_date",
    "Completed Date/Time": "completed_at",
    "Created Date": "created_at",
    "Call Type": "direction",
    "Call Result": "disposition_raw",
    "Call Duration": "talk_seconds",
    "Comments": "memo",
}
VALUES = {
    "direction": {
        "Inbound": "in",
        "Outbound": "out",
        "Internal": "skip",
        "着信": "in",
        "受信": "in",
        "発信": "out",
        "内線": "skip",
        "内部": "skip",
    }
}


def started_at(row: dict, ctx) -> tuple[datetime, str]:
    """Time of day from CompletedDateTime, else CreatedDate; the day from ActivityDate unless
    ``[options] salesforce_date = "stamp"``. A disagreement is counted in the log."""
    for f, label in (("completed_at", "CompletedDateTime"), ("created_at", "CreatedDate")):  # noqa: B007 - label names the source after the loop
        text = row.get(f, "")
        if text.strip():
            stamp, _how = ctx.convert(f, text, to_timestamp, ctx.tz, ctx.date_formats)
            break
    else:
        raise Unconvertible(
            "no time of day: CompletedDateTime (完了日時) and CreatedDate (作成日) are "
            "both empty or not in the export (add one of them to the report)"
        )
    day_text = row.get("activity_date", "")
    local = stamp.astimezone(ctx.zone)
    if not day_text.strip() or ctx.mapping.salesforce_date == "stamp":
        return stamp, f"time and day from {label}"
    day, _ = ctx.convert("activity_date", day_text, to_date, ctx.date_formats)
    if day != local.date():
        ctx.log.count("calls", "started_at", f"ActivityDate ≠ the day of {label} (day from ActivityDate)")
    return local.replace(year=day.year, month=day.month, day=day.day), f"day from ActivityDate, time from {label}"


SOURCE = Source(
    name="salesforce",
    columns=COLUMNS,
    values=VALUES,
    derive={"connected": "disposition_raw", "direction": "direction", "appointment": "disposition_raw"},
    duration_unit="s",
    started_at=started_at,
)
