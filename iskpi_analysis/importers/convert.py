"""Rows of an export → rows of a contract table. One :class:`Converter` per file: it knows which
export column feeds which field (the source's names, overridden by the mapping's ``[columns]``),
converts each value with :mod:`.values`, counts every conversion in the log and turns every
value the mapping does not cover into a problem naming file, line, column, value and the
mapping key that would fix it.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from ..dataset import CONTRACT
from .log import ImportLog
from .mapping import TARGET_VALUES, Mapping, MappingError, TableMapping, key
from .problems import Collector
from .readers import RawTable
from .reps import Reps
from .source import HELPER_FIELDS, Source
from .values import Unconvertible, _whole, to_amount, to_bool, to_date, to_int, to_month, to_seconds, to_timestamp

__all__ = ["IGNORE", "REP_REFS", "CALLS_EXTRA", "TARGETS", "Skip", "contract_columns", "Converter"]

IGNORE = "ignore"
#: columns whose value is a rep (resolved through the reps of the mapping)
REP_REFS = {"calls": "rep_id", "emails": "rep_id", "deals": "rep_id", "leads": "owner_rep_id"}
CALLS_EXTRA = {"direction": ("enum:in|out", False), "disposition_raw": ("str", False)}
#: derived calls values and the values a mapping may give them (one home: the mapping module)
TARGETS = TARGET_VALUES


class Skip(Exception):
    """The mapping says this row is not a rep's call (e.g. internal); counted, not written."""


def contract_columns(table: str) -> dict[str, tuple[str, bool]]:
    cols = dict(CONTRACT[table])
    if table == "calls":  # optional calls columns of issue 12; the contract's own definition wins
        for c, spec in CALLS_EXTRA.items():
            cols.setdefault(c, spec)
    return cols


class Converter:
    def __init__(
        self,
        raw: RawTable,
        tm: TableMapping,
        mapping: Mapping,
        source: Source,
        reps: Reps | None,
        log: ImportLog,
        problems: Collector,
    ):
        self.raw, self.tm, self.mapping, self.source = raw, tm, mapping, source
        self.reps, self.log, self.problems = reps, log, problems
        self.table = tm.table
        self.tz = mapping.timezone
        self.zone = ZoneInfo(self.tz)
        self.date_formats = tuple(mapping.date_formats) + tuple(source.date_formats)
        self.unit = mapping.duration_unit or source.duration_unit
        self.line = None
        self.field_of, self.column_of, ignored = self._columns()
        self.ignored = ignored

    # --- which column is which field ---------------------------------------------------
    def _columns(self):
        mine = {key(c): f for c, f in self.tm.columns.items()}
        vendor = {key(c): f for c, f in self.source.columns.items()}
        allowed = set(contract_columns(self.table)) | (set(HELPER_FIELDS) if self.table == "calls" else set())
        for c, f in self.tm.columns.items():
            if f != IGNORE and f not in allowed:
                raise MappingError(
                    f'[{self.tm.prefix}columns] "{c}" = "{f}": {f!r} is not a column of '
                    f'{self.table} (allowed: {", ".join(sorted(allowed))}, or "ignore")'
                )
        field_of, column_of, ignored = {}, {}, []
        present = {key(h) for h in self.raw.header}
        # a field the mapping names takes precedence over the source's own name for it
        claimed = {f for k, f in mine.items() if k in present and f != IGNORE}
        self.unused = [c for c in self.tm.columns if key(c) not in present]
        for h in self.raw.header:
            k = key(h)
            f = mine.get(k)
            if f is None:
                f = vendor.get(k) or (h if h in allowed else None)
                if f in claimed:
                    f = None
            if f is None or f == IGNORE:
                ignored.append(h)
                continue
            if f in column_of:
                self.problems.add(
                    self.raw.name,
                    1,
                    h,
                    None,
                    f"both '{column_of[f]}' and '{h}' would be {f}",
                    f'[{self.tm.prefix}columns] "{h}" = "ignore"  (or map it to another column)',
                )
                continue
            field_of[h], column_of[f] = f, h
        return field_of, column_of, ignored

    def col(self, f: str) -> str:
        """The export's column name of field ``f`` (for messages)."""
        return self.column_of.get(f, f)

    # --- conversions -------------------------------------------------------------------
    def convert(self, f: str, text: str, fn, *args):
        value, how = fn(text, *args)
        self.log.count(self.table, f, how)
        return value, how

    def whole_seconds(self, secs: float, how: str):
        return _whole(secs, self.mapping.duration_rounding, how)

    def _fail(self, f: str, value, message: str, fix: str = "") -> None:
        self.problems.add(self.raw.name, self.line, self.col(f), value, message, fix)

    # --- one row -------------------------------------------------------------------------
    def rows(self):
        """Converted rows as dicts (contract column → value) with ``_file``/``_line``."""
        for raw_row, line in zip(self.raw.rows, self.raw.lines):
            self.line = line
            rec = {self.field_of[h]: v for h, v in raw_row.items() if h in self.field_of}
            try:
                out = self._calls(rec, raw_row) if self.table == "calls" else self._generic(rec, raw_row)
            except Skip as why:
                self.log.skipped[(self.table, str(why))] += 1
                continue
            if out is not None:
                out["_file"], out["_line"] = self.raw.name, line
                yield out

    def _calls(self, rec: dict, raw_row: dict) -> dict | None:
        ok = True
        out = {}
        direction = self.derive("direction", rec, raw_row)
        if direction == "skip":
            raise Skip(
                f'{self.col(self._src("direction"))} = {rec.get(self._src("direction"), "")!r} (mapped to "skip")'
            )
        if direction is not _MISSING:
            out["direction"] = direction
        ok &= direction is not _BAD
        out["call_id"] = rec.get("call_id", "").strip()
        if "call_id" not in self.column_of:
            self._fail(
                "call_id",
                None,
                "the export has no id column (overlapping files are de-duplicated by it)",
                "add the record id to the export (Salesforce report: 活動 ID; HubSpot: Record ID), and "
                f'if its name is not known, [{self.tm.prefix}columns] "<id column>" = "call_id"',
            )
            ok = False
        elif not out["call_id"]:
            self._fail(
                "call_id",
                "",
                "empty call id (every call needs its export id; overlapping files are de-duplicated by it)",
                f'[{self.tm.prefix}columns] "<id column>" = "call_id"',
            )
            ok = False
        out["rep_id"] = self._rep(rec)
        ok &= out["rep_id"] is not None
        out["lead_id"] = rec.get("lead_id", "").strip() or None
        out["started_at"] = self._started(rec)
        ok &= out["started_at"] is not None
        talk = self._talk(rec)
        ok &= talk is not None
        for t in ("connected", "appointment", "decision_maker"):
            v = self.derive(t, rec, raw_row)
            ok &= v is not _BAD
            out[t] = None if v in (_MISSING, _BAD) else v
        # the vendor's own result: its result column, else its call type (MiiTel has no other)
        out["disposition_raw"] = rec.get("disposition_raw", "").strip() or rec.get("call_type", "").strip() or None
        out["script"] = rec.get("script", "").strip() or None
        if not ok:
            return None
        if out["connected"] is None or out["appointment"] is None:  # required, reported by derive
            return None
        if not out["connected"] and talk:
            if self.mapping.talk_when_not_connected == "zero":
                self.log.count(
                    "calls",
                    "talk_seconds",
                    'talk time of a call that did not connect set to 0 (talk_when_not_connected = "zero")',
                )
                talk = 0
            else:
                self._fail(
                    "talk_seconds",
                    rec.get("talk_seconds", str(talk)).strip(),
                    f"{talk} s of talk on a call the mapping says did not connect "
                    f"({self.col(self._src('connected'))} = {rec.get(self._src('connected'), '')!r})",
                    '[options] talk_when_not_connected = "zero"  (ringing, voicemail or a gatekeeper '
                    f"is not a conversation), or map that result as connected in [{self.tm.prefix}values.connected]",
                )
                return None
        if out["appointment"] and not out["connected"]:
            self._fail(
                "appointment",
                None,
                "an appointment on a call that did not connect",
                f"check [{self.tm.prefix}values.connected] for {rec.get(self._src('connected'), '')!r} "
                "and the appointment rules",
            )
            return None
        out["talk_seconds"] = talk
        return out

    def _rep(self, rec: dict) -> str | None:
        owner = rec.get("rep_id", "").strip()
        if owner in self.source.no_owner or not owner:
            fb = rec.get("rep_fallback", "").strip()
            if not fb:
                why = f"{owner!r} is how {self.source.name} marks a call without a user" if owner else "empty rep"
                self._fail(
                    "rep_id",
                    owner,
                    why,
                    f'[{self.tm.prefix}columns] "<column naming the caller, e.g. '
                    'the line or extension>" = "rep_fallback", and that value as an alias of the rep',
                )
                return None
            owner = fb
            self.log.count(self.table, "rep_id", "rep from rep_fallback column")
        if self.reps is None:
            return owner
        rid = self.reps.resolve(owner)
        if rid is None:
            self._fail("rep_id", owner, "owner not found among the reps", self.reps.fix_hint(owner))
            return None
        self.log.count(self.table, "rep_id", None if rid == owner else "owner → rep_id")
        return rid

    def _started(self, rec: dict):
        try:
            if self.source.started_at is not None:
                value, how = self.source.started_at(rec, self)
                self.log.count("calls", "started_at", how)
                return value
            text = rec.get("started_at")
            if text is None:
                self._fail(
                    "started_at",
                    None,
                    "no column for the call's start time",
                    f'[{self.tm.prefix}columns] "<start time column>" = "started_at"',
                )
                return None
            return self.convert("started_at", text, to_timestamp, self.tz, self.date_formats)[0]
        except Unconvertible as exc:
            self._fail(
                "started_at",
                rec.get("started_at"),
                str(exc),
                '[read] date_formats = ["<strptime layout, e.g. %Y/%m/%d %H:%M>"] (naive times are in '
                f'[read] timezone = "{self.tz}")',
            )
            return None

    def _talk(self, rec: dict):
        try:
            if self.source.talk_seconds is not None:
                got = self.source.talk_seconds(rec, self)
                if got is not None:
                    self.log.count("calls", "talk_seconds", got[1])
                    return got[0]
            text = rec.get("talk_seconds")
            if text is None:
                self._fail(
                    "talk_seconds",
                    None,
                    "no column for the talk time",
                    f'[{self.tm.prefix}columns] "<duration column>" = "talk_seconds"',
                )
                return None
            if not text.strip():
                self._fail("talk_seconds", "", "empty talk time", "fill it in the export (0 for no talk)")
                return None
            return self.convert("talk_seconds", text, to_seconds, self.unit, self.mapping.duration_rounding)[0]
        except Unconvertible as exc:
            self._fail(
                "talk_seconds",
                rec.get("talk_seconds"),
                str(exc),
                '[read] duration_unit = "s" | "ms" | "mm:ss" | "h:mm:ss" | "auto"; '
                '[read] duration_rounding = "nearest" to round on purpose',
            )
            return None

    # --- derived values: exact values, rules, the source's defaults, booleans, default --
    def _src(self, target: str) -> str:
        return self.tm.derive.get(target) or self.source.derive.get(target) or target

    def derive(self, target: str, rec: dict, raw_row: dict):
        src = self._src(target)
        text = rec.get(src)
        allowed = TARGETS[target]
        where = f"[{self.tm.prefix}values.{target}]"
        if text is None:
            if target in self.tm.defaults:
                return self._check(
                    target, self.tm.defaults[target], f"[{self.tm.prefix}defaults] {target}", "default (no column)"
                )
            if target in ("decision_maker", "direction"):
                return _MISSING
            self._fail(
                target,
                None,
                f"no column for {target} (derived from {src})",
                f'[{self.tm.prefix}columns] "<column>" = "{src}", or [{self.tm.prefix}defaults] {target} = false',
            )
            return _BAD
        k = key(text)
        if k in self.tm.values.get(target, {}):
            return self._check(
                target,
                self.tm.values[target][k],
                f"{where} {text!r}",
                f"{text.strip()!r} → {_show(self.tm.values[target][k])}",
            )
        for rule in self.tm.rules.get(target, []):
            if rule.matches(self._rule_text(rule, text, rec, raw_row)):
                return self._check(
                    target,
                    rule.value,
                    f"[[{self.tm.prefix}rules.{target}]]",
                    f"rule {rule.describe()} → {_show(rule.value)}",
                )
        vendor = {key(r): v for r, v in self.source.values.get(target, {}).items()}
        if k in vendor:
            return self._check(
                target, vendor[k], "", f"{text.strip()!r} → {_show(vendor[k])} ({self.source.name} default)"
            )
        for rule in self.source.rules.get(target, []):
            if rule.matches(self._rule_text(rule, text, rec, raw_row)):
                return self._check(
                    target, rule.value, "", f"{rule.describe()} → {_show(rule.value)} ({self.source.name} default)"
                )
        if src == target and target == "direction" and key(text) in ("in", "out"):
            return key(text)  # already in contract form
        if src == target and target != "direction" and text.strip():
            try:
                return self.convert(target, text, to_bool)[0]
            except Unconvertible:
                pass
        if target in self.tm.defaults:
            return self._check(
                target,
                self.tm.defaults[target],
                f"[{self.tm.prefix}defaults] {target}",
                f"default → {_show(self.tm.defaults[target])}",
            )
        if not text.strip() and target == "decision_maker":
            return _MISSING
        choices = " | ".join(_show(a) if not isinstance(a, str) else f'"{a}"' for a in allowed)
        fix = f'{where} "{text.strip()}" = {choices}'
        if target == "appointment":
            fix += (
                f'  — or a rule [[{self.tm.prefix}rules.appointment]] column = "{self.col(src)}" '
                f'contains = "…" value = true, and [{self.tm.prefix}defaults] appointment = false'
            )
        self._fail(src, text.strip(), f"value not covered by the mapping for {target}", fix)
        return _BAD

    def _rule_text(self, rule, text, rec, raw_row) -> str:
        if rule.column is None:
            return text
        if rule.column in rec:
            return rec[rule.column]
        for h, v in raw_row.items():
            if key(h) == key(rule.column):
                return v
        return ""

    def _check(self, target: str, value, where: str, how: str):
        if value not in TARGETS[target] or isinstance(value, bool) != (target != "direction"):
            raise MappingError(
                f"{where}: {target} must be one of {', '.join(map(_show, TARGETS[target]))}, got {value!r}"
            )
        self.log.count(self.table, target, how)
        return value

    # --- any other table (generic) ---------------------------------------------------------
    def _generic(self, rec: dict, raw_row: dict) -> dict | None:
        out, ok = {}, True
        for c, (kind, req) in contract_columns(self.table).items():
            text = rec.get(c)
            if text is None or not text.strip():
                if c in self.tm.defaults:
                    text = str(self.tm.defaults[c])
                    self.log.count(self.table, c, "default")
                elif req:
                    self._fail(
                        c,
                        "" if text is not None else None,
                        "required value is empty" if text is not None else "no column for it",
                        f'[{self.tm.prefix}columns] "<column>" = "{c}"' if text is None else "fill it in the export",
                    )
                    ok = False
                    continue
                else:
                    out[c] = None
                    continue
            try:
                out[c] = self._value(c, kind, text)
            except Unconvertible as exc:
                self._fail(c, text, str(exc), _fix_for(kind, c, text, self.tm.prefix))
                ok = False
        return out if ok else None

    def _value(self, c: str, kind: str, text: str):
        k = key(text)
        mapped = self.tm.values.get(c, {})
        if k in mapped:
            self.log.count(self.table, c, f"{text.strip()!r} → {_show(mapped[k])}")
            text = mapped[k] if isinstance(mapped[k], str) else str(mapped[k]).lower()
            if kind == "bool" and isinstance(mapped[k], bool):
                return mapped[k]
        if REP_REFS.get(self.table) == c and self.reps is not None:
            rid = self.reps.resolve(text)
            if rid is None:
                raise Unconvertible(f"owner not found among the reps — {self.reps.fix_hint(text.strip())}")
            self.log.count(self.table, c, None if rid == text.strip() else "owner → rep_id")
            return rid
        if kind in ("id", "str"):
            return text.strip()
        if kind.startswith("enum:"):
            allowed = kind[5:].split("|")
            if text.strip() not in allowed:
                raise Unconvertible(f"not one of {', '.join(allowed)}")
            return text.strip()
        fn = {"bool": to_bool, "money": to_amount, "month": to_month}.get(kind)
        if fn:
            return self.convert(c, text, fn)[0]
        if kind == "ts":
            return self.convert(
                c, text, to_timestamp, self.tz, self.date_formats, self.table not in ("calls", "emails")
            )[0]
        if kind == "date":
            return self.convert(c, text, to_date, self.date_formats)[0]
        if kind == "int":
            if c == "talk_seconds":
                return self.convert(c, text, to_seconds, self.unit, self.mapping.duration_rounding)[0]
            return self.convert(c, text, to_int)[0]
        raise AssertionError(kind)  # pragma: no cover - contract kinds are fixed


class _Marker:
    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return self.name


_MISSING, _BAD = _Marker("missing"), _Marker("bad")


def _show(v) -> str:
    return str(v).lower() if isinstance(v, bool) else str(v)


def _fix_for(kind: str, c: str, text: str, prefix: str) -> str:
    if kind.startswith("enum:"):
        allowed = kind[5:].split("|")
        return f'[{prefix}values.{c}] "{text.strip()}" = "{allowed[0]}"  (one of {", ".join(allowed)})'
    if kind == "bool":
        return f'[{prefix}values.{c}] "{text.strip()}" = true  (or false)'
    if kind in ("ts", "date"):
        return '[read] date_formats = ["<strptime layout, e.g. %Y/%m/%d %H:%M>"]'
    if kind == "int" and c == "talk_seconds":
        return '[read] duration_unit = "s" | "ms" | "mm:ss" | "h:mm:ss" | "auto"'
    return f'[{prefix}values.{c}] "{text.strip()}" = <the value to use>'
