"""HubSpot calls (CRM export or API): ``hs_timestamp``, ``hs_call_duration`` in
**milliseconds**, ``hs_call_direction`` (INBOUND/OUTBOUND), ``hs_call_disposition`` as outcome
GUIDs. The default outcome map is HubSpot's documented default call outcomes (a portal's own
outcomes have their own GUIDs: add them under ``[values.connected]``)."""

from .source import Source

__all__ = ["OUTCOMES", "CONNECTED", "COLUMNS", "VALUES", "SOURCE"]

#: HubSpot's default call outcomes (GUID → label), as listed by GET /calling/v1/dispositions
OUTCOMES = {
    "9d9162e7-6cf3-4944-bf63-4dff82258764": "Busy",
    "f240bbac-87c9-4f6e-bf70-924b57d47db7": "Connected",
    "a4c4c377-d246-4b32-a13b-75a56a4cd0ff": "Left live message",
    "b2cf5968-551e-4856-9783-52b3da59a7d0": "Left voicemail",
    "73a0d17f-1163-4015-bdd5-ec830791da20": "No answer",
    "17b47fee-58de-441e-a44c-c6300d46f273": "Wrong number",
}
#: connected = reached the person; a live message left with someone else is not a connection
CONNECTED = {"Connected"}

COLUMNS = {
    "hs_object_id": "call_id",
    "Record ID": "call_id",
    "hubspot_owner_id": "rep_id",
    "Activity assigned to": "rep_id",
    "hs_timestamp": "started_at",
    "Activity date": "started_at",
    "hs_call_duration": "talk_seconds",
    "hs_call_direction": "direction",
    "Call direction": "direction",
    "hs_call_disposition": "disposition_raw",
    "Call outcome": "disposition_raw",
    "hs_call_body": "memo",
    "Call notes": "memo",
    "hs_call_title": "subject",
    "Call title": "subject",
}
VALUES = {
    "direction": {"INBOUND": "in", "OUTBOUND": "out"},
    "connected": {
        **{g: label in CONNECTED for g, label in OUTCOMES.items()},
        **{label: label in CONNECTED for label in OUTCOMES.values()},
    },
}

SOURCE = Source(
    name="hubspot",
    columns=COLUMNS,
    values=VALUES,
    derive={"connected": "disposition_raw", "direction": "direction", "appointment": "disposition_raw"},
    duration_unit="ms",
)
