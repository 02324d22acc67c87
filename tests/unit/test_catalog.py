"""The text catalog: every key in every language, same placeholders, no unused key, clear errors."""

from __future__ import annotations

import doctest
import json
import re

import pytest

from iskpi_analysis import catalog, config
from iskpi_analysis.catalog import t

SOURCES = [*config.PACKAGE_DIR.rglob("*.py"), *config.NOTEBOOKS_DIR.glob("*.ipynb")]


def _source_text() -> str:
    parts = []
    for p in SOURCES:
        s = p.read_text(encoding="utf-8")
        if p.suffix == ".ipynb":
            s = "\n".join("".join(c["source"]) for c in json.loads(s)["cells"])
        parts.append(s)
    return "\n".join(parts)


def test_every_key_exists_in_every_language():
    ref = catalog.keys("ja")
    for lang in config.LANGS:
        assert catalog.keys(lang) == ref, (
            f"{lang}: missing {sorted(ref - catalog.keys(lang))}, extra {sorted(catalog.keys(lang) - ref)}"
        )


def test_placeholders_agree_between_languages():
    ja, en = catalog.messages("ja"), catalog.messages("en")
    bad = {
        k: (catalog.placeholders(ja[k]), catalog.placeholders(en[k]))
        for k in ja
        if k in en and catalog.placeholders(ja[k]) != catalog.placeholders(en[k])
    }
    assert not bad


def test_no_unused_key():
    """A key is used when its literal appears in the package or a notebook, or when an f-string
    builds it from a literal prefix (``f"phase.status.{s}"`` uses every key under that prefix)."""
    src = _source_text()
    prefixes = set(re.findall(r"""f["']([a-z0-9_.]+\.)\{""", src))
    unused = [
        k
        for k in catalog.keys("ja")
        if f'"{k}"' not in src
        and f"'{k}'" not in src
        and not any(k.startswith(p) for p in prefixes)
        and not k.startswith("catalog.example.")
    ]
    assert not unused, f"unused catalog keys: {unused}"


def test_plural_forms():
    assert t("catalog.example.months", lang="en", n=1) == "1 month"
    assert t("catalog.example.months", lang="en", n=2) == "2 months"
    assert t("catalog.example.months", lang="ja", n=2) == "2ヶ月"
    with pytest.raises(ValueError, match="plural"):
        t("catalog.example.months", lang="en")


def test_errors_name_the_key_and_field():
    with pytest.raises(KeyError, match="no_such_key"):
        t("catalog.no_such_key", lang="ja")
    with pytest.raises(KeyError, match="name"):
        t("catalog.example.greeting", lang="en")
    with pytest.raises(ValueError, match="lang must be one of"):
        t("catalog.example.greeting", lang="fr", name="x")


def test_labels_table():
    assert catalog.labels("catalog.example.status", lang="ja") == {"met": "該当", "not_met": "非該当"}


def test_docstring_examples():
    assert doctest.testmod(catalog).failed == 0
