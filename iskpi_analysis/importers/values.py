"""Value conversions of ``iskpi import``: text from a vendor export → a contract value.

Each function returns ``(value, how)``: ``how`` names the conversion (counted in the import
log, e.g. ``"mm:ss → s"``) and is ``None`` when the text was already in contract form. A value
that cannot be converted raises :class:`Unconvertible` with the reason; the caller adds the file,
line, column and the mapping key that would fix it. Nothing is rounded or dropped silently:
a fractional duration is an error unless the mapping sets ``duration_rounding``.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from zoneinfo import ZoneInfo

__all__ = [
    "TRUE_WORDS",
    "FALSE_WORDS",
    "DURATION_UNITS",
    "ROUNDING",
    "TS_FORMATS",
    "DATE_FORMATS",
    "Unconvertible",
    "norm",
    "to_bool",
    "to_seconds",
    "to_amount",
    "to_timestamp",
    "to_date",
    "to_month",
    "to_int",
]

#: Japanese and English spellings of booleans an export may use (compared after NFKC + lower)
TRUE_WORDS = ("true", "t", "yes", "y", "1", "はい", "○", "◯", "〇", "有", "あり", "済", "✓", "✔", "on")
FALSE_WORDS = ("false", "f", "no", "n", "0", "いいえ", "×", "✕", "✗", "無", "なし", "未", "off")
DURATION_UNITS = ("s", "ms", "mm:ss", "h:mm:ss", "auto")
ROUNDING = ("error", "nearest", "floor")
#: timestamp layouts tried after ISO 8601 (the mapping's ``date_formats`` come first)
TS_FORMATS = (
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y年%m月%d日 %H:%M:%S",
    "%Y年%m月%d日 %H:%M",
    "%Y年%m月%d日 %H時%M分",
    "%Y.%m.%d %H:%M",
)
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日", "%Y.%m.%d")


class Unconvertible(ValueError):
    """The text cannot become the wanted value; ``str(exc)`` says why."""


def norm(text: str) -> str:
    """NFKC (full-width digits, letters and spaces → half-width), trimmed, inner spaces collapsed.
    Used to compare a value with the mapping's keys, never to change what is stored."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", str(text))).strip()


def to_bool(text: str) -> tuple[bool, str | None]:
    t = norm(text).lower()
    if t in TRUE_WORDS or t in FALSE_WORDS:
        value = t in TRUE_WORDS
        return value, None if t in ("true", "false") else f"'{t}' → {str(value).lower()}"
    raise Unconvertible("not a boolean (known: " + ", ".join(TRUE_WORDS[:8]) + " / " + ", ".join(FALSE_WORDS[:8]) + ")")


_CLOCK = re.compile(r"(?:(\d+):)?(\d+):(\d{1,2}(?:\.\d+)?)")


def _whole(seconds: float, rounding: str, how: str) -> tuple[int, str]:
    if seconds == int(seconds):
        return int(seconds), how
    if rounding == "nearest":
        return int(seconds + 0.5), how + " (rounded to the nearest second)"
    if rounding == "floor":
        return int(seconds), how + ' (fraction of a second dropped: duration_rounding = "floor")'
    raise Unconvertible(
        f"{seconds:g} s is not a whole number of seconds (talk time is counted in "
        'whole seconds; set duration_rounding = "nearest" or "floor" in [read] '
        "to round on purpose)"
    )


def to_seconds(text: str, unit: str = "auto", rounding: str = "error") -> tuple[int, str | None]:
    """Duration in whole seconds from ``s`` / ``ms`` / ``mm:ss`` / ``h:mm:ss`` text.

    ``unit="auto"``: text with colons is a clock duration (two parts mm:ss, three h:mm:ss),
    otherwise seconds.
    """
    t = norm(text).replace(",", "")
    m = _CLOCK.fullmatch(t)
    if m and unit in ("auto", "mm:ss", "h:mm:ss"):
        h, mi, s = m.group(1), m.group(2), m.group(3)
        if float(s) >= 60 or (h is not None and int(mi) >= 60):
            raise Unconvertible("not a clock duration (minutes and seconds must be below 60)")
        secs = (int(h) * 3600 if h else 0) + int(mi) * 60 + float(s)
        return _whole(secs, rounding, "h:mm:ss → s" if h else "mm:ss → s")
    if m:
        raise Unconvertible(f"looks like a clock duration but duration_unit is {unit!r}")
    try:
        num = float(t)
    except ValueError:
        raise Unconvertible(f"not a duration in {unit if unit != 'auto' else 's, mm:ss or h:mm:ss'}") from None
    if num < 0:
        raise Unconvertible("negative duration")
    if unit == "ms":
        return _whole(num / 1000, rounding, "ms → s")
    if unit in ("s", "auto"):
        return _whole(num, rounding, None if num == int(num) and "." not in t else "s")
    raise Unconvertible(f"a plain number but duration_unit is {unit!r} (expected {unit})")


_YEN = re.compile(r"^(?P<num>\d[\d,]*(?:\.\d+)?)\s*(?P<unit>万円|万|千円|千|円)?$")


def to_amount(text: str) -> tuple[float, str | None]:
    """Yen amount from ``1,200,000`` / ``¥1,200,000`` / ``1200000円`` / ``120万円``."""
    t = norm(text).replace("¥", "").replace("\\", "").replace("JPY", "").strip()
    m = _YEN.fullmatch(t)
    if not m or not re.search(r"\d", m.group("num")):
        raise Unconvertible("not a yen amount (e.g. 1200000, ¥1,200,000, 1,200,000円, 120万円)")
    num_txt = m.group("num")
    if "," in num_txt and not re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", num_txt):
        raise Unconvertible("thousands separators in the wrong places")
    num = float(num_txt.replace(",", ""))
    unit = m.group("unit") or ""
    factor = {"万円": 10_000, "万": 10_000, "千円": 1_000, "千": 1_000}.get(unit, 1)
    marks = [
        k
        for k, present in (
            ("¥", "¥" in text or "￥" in text),
            (",", "," in num_txt or "，" in text),
            (unit or "円", bool(unit)),
        )
        if present
    ]
    return num * factor, ("amount " + " ".join(marks) if marks else None)


def to_timestamp(text: str, tz: str, formats=(), date_only: bool = False) -> tuple[datetime, str | None]:
    """Aware datetime. With an offset (or ``Z``) as given; naive text is in ``tz``;
    13-digit numbers are Unix epoch milliseconds (HubSpot's API form). A date without a time is
    an error unless ``date_only`` (then local midnight: deals and leads are often dated only)."""
    t = norm(text)
    if re.fullmatch(r"\d{13}", t):
        return datetime.fromtimestamp(int(t) / 1000, ZoneInfo("UTC")), "epoch ms → timestamp"
    for f in formats:
        try:
            return _aware(datetime.strptime(t, f), tz, f"'{f}'")
        except ValueError:
            continue
    try:
        d = datetime.fromisoformat(t.replace("Z", "+00:00"))
        if d.tzinfo is not None:
            return d, None
        if ("T" in t or " " in t) and ":" in t:
            return _aware(d, tz, "ISO")
    except ValueError:
        pass
    for f in TS_FORMATS:
        try:
            return _aware(datetime.strptime(t, f), tz, f"'{f}'")
        except ValueError:
            continue
    for f in DATE_FORMATS:
        try:
            d = datetime.strptime(t, f)
        except ValueError:
            continue
        if date_only:
            return _aware(d, tz, f"date only '{f}' → 00:00")
        raise Unconvertible("a date without a time of day (calls and e-mails need their hour)")
    raise Unconvertible(
        "unparseable timestamp (ISO 8601, YYYY/MM/DD HH:MM[:SS], YYYY年MM月DD日 HH:MM, "
        "or a layout in [read] date_formats)"
    )


def _aware(d: datetime, tz: str, layout: str) -> tuple[datetime, str]:
    return d.replace(tzinfo=ZoneInfo(tz)), f"{layout} naive → {tz}"


def to_date(text: str, formats=()) -> tuple[date, str | None]:
    t = norm(text)
    for f in tuple(formats) + DATE_FORMATS:
        try:
            d = datetime.strptime(t, f).date()
            return d, None if f == "%Y-%m-%d" else f"'{f}' → date"
        except ValueError:
            continue
    # a timestamp whose time is midnight (Excel date cells, "2026/10/01 0:00")
    m = re.fullmatch(r"(.+?)[ T]0{1,2}:00(:00)?", t)
    if m:
        d, how = to_date(m.group(1), formats)
        return d, (how or "date") + " (midnight time dropped)"
    raise Unconvertible("unparseable date (YYYY-MM-DD, YYYY/MM/DD, YYYY年MM月DD日 or [read] date_formats)")


def to_month(text: str) -> tuple[str, str | None]:
    t = norm(text)
    m = re.fullmatch(r"(\d{4})[-/年.](\d{1,2})月?", t)
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise Unconvertible("unparseable month (YYYY-MM, YYYY/MM or YYYY年MM月)")
    out = f"{m.group(1)}-{int(m.group(2)):02d}"
    return out, None if out == t else "month → YYYY-MM"


def to_int(text: str) -> tuple[int, str | None]:
    t = norm(text).replace(",", "")
    if not re.fullmatch(r"\d+", t):
        raise Unconvertible("not a whole non-negative number")
    return int(t), None
