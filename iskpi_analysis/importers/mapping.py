"""The mapping file of ``iskpi import`` (TOML): which vendor column is which contract column,
which value means what, and how to read the files. ``examples/mapping-*.toml`` documents every
key with a commented example per source; :func:`load_mapping` checks the file and names any
unknown key or bad value.

A mapping describes one table (``table = "calls"``, the default) with top-level ``[columns]``,
``[values.X]``, ``[[rules.X]]``, ``[defaults]`` and ``[derive]``, or several tables (generic
imports) as ``[tables.NAME]`` sections holding the same keys plus ``files`` (name patterns).
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .. import config
from .readers import ENCODINGS
from .values import DURATION_UNITS, ROUNDING

__all__ = [
    "TOP_KEYS",
    "TABLE_KEYS",
    "READ_KEYS",
    "OPTION_KEYS",
    "RULE_KEYS",
    "REP_KEYS",
    "REP_ENTRY_KEYS",
    "TALK_WHEN_NOT_CONNECTED",
    "SALESFORCE_DATE",
    "MappingError",
    "key",
    "Rule",
    "TableMapping",
    "Mapping",
    "TARGET_VALUES",
    "load_mapping",
]

TOP_KEYS = ("source", "table", "read", "columns", "values", "rules", "defaults", "derive", "options", "reps", "tables")
TABLE_KEYS = ("files", "columns", "values", "rules", "defaults", "derive")
READ_KEYS = (
    "encoding",
    "delimiter",
    "sheet",
    "header_line",
    "timezone",
    "date_formats",
    "duration_unit",
    "duration_rounding",
)
OPTION_KEYS = ("talk_when_not_connected", "salesforce_date")
RULE_KEYS = ("column", "contains", "regex", "value")
REP_KEYS = ("file", "list")
REP_ENTRY_KEYS = ("rep_id", "rep_name", "email", "aliases", "team_id", "role", "joined_on", "left_on")
TALK_WHEN_NOT_CONNECTED = ("error", "zero")
SALESFORCE_DATE = ("activity_date", "stamp")


class MappingError(ValueError):
    """The mapping file itself is wrong (unknown key, bad option); the message names the key."""


def key(text) -> str:
    """How a raw value is compared with a mapping key: NFKC, no whitespace, case-folded
    ("発信 (不在)" = "発信(不在)", "INBOUND" = "Inbound")."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(text))).casefold()


@dataclass
class Rule:
    """``[[rules.X]]``: when ``column`` (a field or an export column) contains a text or matches
    a regular expression, X = ``value``. Rules are tried in order; the first match wins."""

    value: object
    column: str | None = None
    contains: tuple[str, ...] = ()
    regex: re.Pattern | None = None

    def matches(self, text: str) -> bool:
        t = unicodedata.normalize("NFKC", text)
        if self.contains and any(unicodedata.normalize("NFKC", c) in t for c in self.contains):
            return True
        return bool(self.regex and self.regex.search(t))

    def describe(self) -> str:
        what = (f"contains {list(self.contains)}" if self.contains else "") + (
            f"{' or ' if self.contains else ''}regex {self.regex.pattern!r}" if self.regex else ""
        )
        return f"{self.column or ''} {what}".strip()


@dataclass
class TableMapping:
    table: str
    prefix: str = ""  # "tables.NAME." when the table has its own section (for fix hints)
    files: list[str] = field(default_factory=lambda: ["*"])
    columns: dict[str, str] = field(default_factory=dict)  # export column → field
    values: dict[str, dict[str, object]] = field(default_factory=dict)  # field → {key(raw): value}
    raw_keys: dict[str, dict[str, str]] = field(default_factory=dict)  # field → {key(raw): raw as written}
    rules: dict[str, list[Rule]] = field(default_factory=dict)
    defaults: dict[str, object] = field(default_factory=dict)
    derive: dict[str, str] = field(default_factory=dict)  # target → source field


@dataclass
class Mapping:
    path: Path | None
    source: str | None = None
    encoding: str = "auto"
    delimiter: str = ","
    sheet: str | None = None
    header_line: int | None = None
    timezone: str = config.DEFAULT_TZ
    date_formats: list[str] = field(default_factory=list)
    duration_unit: str | None = None  # None: the source's own unit
    duration_rounding: str = "error"
    talk_when_not_connected: str = "error"
    salesforce_date: str = "activity_date"
    reps_file: Path | None = None
    reps_list: list[dict] = field(default_factory=list)
    tables: dict[str, TableMapping] = field(default_factory=dict)


def _where(path, section) -> str:
    return f"{Path(path).name if path else 'mapping'}: [{section}]"


def _check_keys(d: dict, allowed, where: str) -> None:
    bad = [k for k in d if k not in allowed]
    if bad:
        raise MappingError(f"{where}: unknown key {bad[0]!r} (allowed: {', '.join(allowed)})")


def _choice(value, allowed, where: str):
    """config.check_option (the kit's one bad-option rule), raised as a MappingError."""
    try:
        config.check_option(where, value, allowed)
    except ValueError as exc:
        raise MappingError(str(exc)) from None
    return value


def _table(name: str, d: dict, path, section: str) -> TableMapping:
    """``section``: "" for the top level, "tables.NAME" otherwise (messages name keys as written)."""
    from ..dataset import CONTRACT

    sub = lambda k: f"{section}.{k}" if section else k  # noqa: E731 - the key as written in the file

    if name not in CONTRACT:
        raise MappingError(f"{_where(path, section)}: unknown table {name!r} (tables: {', '.join(CONTRACT)})")
    _check_keys(d, TABLE_KEYS, _where(path, section or "top level"))
    tm = TableMapping(name, prefix=section + "." if section else "")
    files = d.get("files", ["*"])
    tm.files = [files] if isinstance(files, str) else list(files)
    cols = d.get("columns", {})
    if not isinstance(cols, dict) or not all(isinstance(v, str) for v in cols.values()):
        raise MappingError(f'{_where(path, sub("columns"))}: write "export column" = "contract column"')
    tm.columns = dict(cols)
    for target, vals in d.get("values", {}).items():
        if not isinstance(vals, dict):
            raise MappingError(f'{_where(path, sub("values." + target))}: write "raw value" = value')
        tm.values[target], tm.raw_keys[target] = {}, {}
        for raw, v in vals.items():
            k = key(raw)
            if k in tm.values[target] and tm.values[target][k] != v:
                raise MappingError(
                    f"{_where(path, sub('values.' + target))}: {raw!r} and "
                    f"{tm.raw_keys[target][k]!r} are the same value written twice with different meanings"
                )
            tm.values[target][k], tm.raw_keys[target][k] = v, raw
    for target, rules in d.get("rules", {}).items():
        where = _where(path, f"[{sub('rules.' + target)}]")
        if not isinstance(rules, list):
            raise MappingError(f"{where}: write rules as [[rules.{target}]] tables")
        out = []
        for r in rules:
            _check_keys(r, RULE_KEYS, where)
            if "value" not in r or not ("contains" in r or "regex" in r):
                raise MappingError(f"{where}: a rule needs value and contains or regex")
            try:
                rx = re.compile(unicodedata.normalize("NFKC", r["regex"])) if "regex" in r else None
            except re.error as exc:
                raise MappingError(f"{where}: bad regex {r['regex']!r} ({exc})") from None
            c = r.get("contains", ())
            out.append(Rule(r["value"], r.get("column"), (c,) if isinstance(c, str) else tuple(c), rx))
        tm.rules[target] = out
    tm.defaults = dict(d.get("defaults", {}))
    tm.derive = dict(d.get("derive", {}))
    if name == "calls":
        _check_targets(tm, path, sub)
    return tm


#: what a calls mapping may set the derived values to
TARGET_VALUES = {
    "direction": ("in", "out", "skip"),
    "connected": (True, False),
    "appointment": (True, False),
    "decision_maker": (True, False),
}


def _show(v) -> str:
    return str(v).lower() if isinstance(v, bool) else str(v)


def _check_targets(tm: TableMapping, path, sub) -> None:
    """Every value a calls mapping gives connected/appointment/decision_maker/direction is
    checked when the file is read, not when (or whether) a row happens to use it."""
    given = [
        (f"values.{t}", raw, v)
        for t, vals in tm.values.items()
        if t in TARGET_VALUES
        for k, v in vals.items()
        for raw in [tm.raw_keys[t][k]]
    ]
    given += [(f"rules.{t}", "value", r.value) for t, rules in tm.rules.items() if t in TARGET_VALUES for r in rules]
    given += [("defaults", t, v) for t, v in tm.defaults.items() if t in TARGET_VALUES]
    for section, k, v in given:
        t = section.split(".")[-1] if section != "defaults" else k
        ok = v in TARGET_VALUES[t] and (isinstance(v, bool) == (t != "direction"))
        if not ok:
            raise MappingError(
                f"{_where(path, sub(section))} {k!r}: {t} must be one of "
                f"{', '.join(map(_show, TARGET_VALUES[t]))}, got {v!r}"
            )


def load_mapping(path: str | Path | None, *, source: str | None = None) -> Mapping:
    """Read and check a mapping file (``None``: an empty mapping, the source's defaults only)."""
    if path is None:
        m = Mapping(None, source=source)
        m.tables["calls"] = TableMapping("calls")
        return m
    path = Path(path)
    try:
        d = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"mapping file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(f"{path.name}: not valid TOML ({exc})") from None
    _check_keys(d, TOP_KEYS, f"{path.name}")
    m = Mapping(path, source=d.get("source", source))
    if source and m.source and m.source != source:
        raise MappingError(
            f"{path.name}: source = {m.source!r} but --from {source}; use the mapping written for this source"
        )
    rd = d.get("read", {})
    _check_keys(rd, READ_KEYS, _where(path, "read"))
    m.encoding = _choice(rd.get("encoding", "auto"), ENCODINGS, f"{_where(path, 'read')} encoding")
    m.delimiter = rd.get("delimiter", ",")
    m.sheet = rd.get("sheet") or None
    m.header_line = rd.get("header_line")
    if m.header_line is not None and (not isinstance(m.header_line, int) or m.header_line < 1):
        raise MappingError(
            f"{_where(path, 'read')} header_line must be a line number (1 = the first line), got {m.header_line!r}"
        )
    m.timezone = rd.get("timezone", config.DEFAULT_TZ)
    try:
        ZoneInfo(m.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise MappingError(
            f'{_where(path, "read")} timezone: unknown time zone {m.timezone!r} (e.g. "Asia/Tokyo", "UTC")'
        ) from None
    m.date_formats = list(rd.get("date_formats", []))
    if "duration_unit" in rd:
        m.duration_unit = _choice(rd["duration_unit"], DURATION_UNITS, f"{_where(path, 'read')} duration_unit")
    m.duration_rounding = _choice(
        rd.get("duration_rounding", "error"), ROUNDING, f"{_where(path, 'read')} duration_rounding"
    )
    op = d.get("options", {})
    _check_keys(op, OPTION_KEYS, _where(path, "options"))
    m.talk_when_not_connected = _choice(
        op.get("talk_when_not_connected", "error"),
        TALK_WHEN_NOT_CONNECTED,
        f"{_where(path, 'options')} talk_when_not_connected",
    )
    m.salesforce_date = _choice(
        op.get("salesforce_date", "activity_date"), SALESFORCE_DATE, f"{_where(path, 'options')} salesforce_date"
    )
    reps = d.get("reps", {})
    _check_keys(reps, REP_KEYS, _where(path, "reps"))
    if "file" in reps:
        m.reps_file = (path.parent / reps["file"]).resolve()
    for i, r in enumerate(reps.get("list", []), start=1):
        where = f"{path.name}: [[reps.list]] entry {i}"
        _check_keys(r, REP_ENTRY_KEYS, where)
        if "rep_id" not in r:
            raise MappingError(f"{where}: rep_id is required")
        m.reps_list.append(dict(r))
    if "tables" in d:
        stray = [k for k in ("columns", "values", "rules", "defaults", "derive") if k in d]
        if stray:
            raise MappingError(
                f"{path.name}: [{stray[0]}] at the top level and [tables.*] sections together; "
                f"move it into [tables.NAME.{stray[0]}]"
            )
        for name, td in d["tables"].items():
            m.tables[name] = _table(name, td, path, f"tables.{name}")
    else:
        name = d.get("table", "calls")
        m.tables[name] = _table(name, {k: d[k] for k in TABLE_KEYS if k in d}, path, "")
    return m
