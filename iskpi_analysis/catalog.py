"""The text catalog: every sentence, label and column heading a reader sees, one place per language.

Messages live in ``messages/<lang>/<domain>.toml`` beside this module (``ja`` is the default
language, ``en`` the other). A key is ``<domain>.<path>``: the file's stem, then the TOML path
inside it, e.g. ``timing.verdict.better`` is ``[verdict] better = "…"`` in
``messages/ja/timing.toml``. KPI labels are not here: they come only from the KPI dictionary
(``kpis.toml``).

Why TOML and not gettext/Babel: the kit already keeps its dictionary in TOML (``tomllib`` is in
the standard library, no compile step, nothing to install); gettext keys by the source-language
sentence, which here would be Japanese and would change whenever the wording does, while a
stable key (``timing.verdict.better``) lets the two languages move independently and lets a
test prove that every key exists in every language, with the same placeholders.

Placeholders are named (``{rate}``, ``{hour}``), because word order differs between Japanese and
English. A message that depends on a number is a table of plural forms selected by the field
named ``n`` (CLDR categories; Japanese uses only ``other``, English ``one``/``other``)::

    [window]
    months = { one = "{n} month", other = "{n} months" }   # en
    months = { other = "{n}ヶ月" }                           # ja

Examples
--------
>>> from iskpi_analysis.catalog import t
>>> t("catalog.example.months", lang="en", n=1)
'1 month'
>>> t("catalog.example.months", lang="en", n=3)
'3 months'
>>> t("catalog.example.months", lang="ja", n=3)
'3ヶ月'
"""

from __future__ import annotations

import string
import tomllib
from functools import cache
from pathlib import Path

from . import config

__all__ = ["MESSAGES_DIR", "t", "labels", "has", "keys", "placeholders", "messages"]

MESSAGES_DIR = Path(__file__).resolve().parent / "messages"
PLURAL_FORMS = ("zero", "one", "two", "few", "many", "other")


def _flatten(prefix: str, node: dict, out: dict) -> None:
    for k, v in node.items():
        key = f"{prefix}.{k}"
        if isinstance(v, dict) and not (set(v) <= set(PLURAL_FORMS) and "other" in v):
            _flatten(key, v, out)
        else:
            out[key] = v


@cache
def messages(lang: str) -> dict[str, str | dict]:
    """Every message of ``lang`` as ``{key: text or plural table}`` (read once, cached)."""
    config.check_option("lang", lang, config.LANGS)
    out: dict[str, str | dict] = {}
    for path in sorted((MESSAGES_DIR / lang).glob("*.toml")):
        _flatten(path.stem, tomllib.loads(path.read_text(encoding="utf-8")), out)
    return out


def keys(lang: str = config.DEFAULT_LANG) -> set[str]:
    """The keys of one language's catalog."""
    return set(messages(lang))


def has(key: str, *, lang: str = config.DEFAULT_LANG) -> bool:
    """Whether ``key`` exists in ``lang``'s catalog."""
    return key in messages(lang)


def _plural_form(lang: str, n) -> str:
    if lang == "en":
        return "one" if n == 1 else "other"
    return "other"


def _template(key: str, lang: str, n) -> str:
    try:
        msg = messages(lang)[key]
    except KeyError:
        raise KeyError(f"no message {key!r} in the {lang!r} catalog ({MESSAGES_DIR / lang})") from None
    if isinstance(msg, dict):
        if n is None:
            raise ValueError(f"message {key!r} has plural forms: pass n=")
        return msg.get(_plural_form(lang, n), msg["other"])
    return msg


def t(key: str, *, lang: str = config.DEFAULT_LANG, **fields) -> str:
    """The message ``key`` in ``lang``, with its named placeholders filled from ``fields``.

    Parameters
    ----------
    key : ``<domain>.<path>`` (see the module docstring).
    lang : ``"ja"`` or ``"en"``; anything else raises ValueError listing the allowed values.
    **fields : values of the placeholders; ``n`` also selects the plural form.

    Raises
    ------
    KeyError when the key is not in that language's catalog, or a placeholder has no field.

    Examples
    --------
    >>> t("catalog.example.greeting", lang="en", name="Tokyo")
    'Hello, Tokyo'
    """
    s = _template(key, lang, fields.get("n"))
    try:
        return s.format_map(fields) if fields or "{" in s else s
    except KeyError as e:
        raise KeyError(f"message {key!r} ({lang}) needs the field {e.args[0]!r}") from None


def labels(prefix: str, *, lang: str = config.DEFAULT_LANG) -> dict[str, str]:
    """All messages directly under ``prefix`` as ``{last key part: text}`` (a label table).

    >>> labels("catalog.example.status", lang="en")
    {'met': 'Yes', 'not_met': 'No'}
    """
    p = prefix + "."
    return {
        k[len(p) :]: v
        for k, v in messages(lang).items()
        if k.startswith(p) and "." not in k[len(p) :] and isinstance(v, str)
    }


def placeholders(msg: str | dict) -> set[str]:
    """The named fields a message (or every form of a plural message) uses."""
    forms = msg.values() if isinstance(msg, dict) else [msg]
    return {name.split(".")[0].split("[")[0] for s in forms for _, name, _, _ in string.Formatter().parse(s) if name}
