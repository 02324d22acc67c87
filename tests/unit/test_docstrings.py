"""The Examples sections of the statistical primitives, formatters and package run as written (doctest)."""

from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.parametrize("name", ["iskpi_analysis.stats", "iskpi_analysis.fmt", "iskpi_analysis"])
def test_docstring_examples(name):
    module = importlib.import_module(name)
    res = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert res.attempted > 0, f"{name} has no Examples to check"
    assert res.failed == 0
