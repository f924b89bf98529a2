"""Spreadsheet cells that are data, never formulas: what users typed goes out as text."""

from __future__ import annotations

import unicodedata
from typing import Any

MAX_CELL = 300  # characters of one cell in a document (titles are at most 200); longer text is cut: a PDF cell cannot span pages

# A cell that starts with one of these is read as a formula by Excel, WPS and LibreOffice (CSV too).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"


def csv_value(value: Any) -> Any:
    """A CSV cell that no spreadsheet runs: text that would start a formula gets a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return QUOTE + value
    return value


def unquote(value: Any) -> Any:
    """The text a csv_value() cell stood for, so a report sent back in is read as it was written."""
    if isinstance(value, str) and value.startswith(QUOTE) and value[1:].startswith(FORMULA_START):
        return value[1:]
    return value


def as_text(cell: Any) -> Any:
    """Make an openpyxl cell that holds a would-be formula hold it as plain text instead."""
    if cell.data_type == "f":
        cell.data_type = "s"
    return cell


def printable(value: Any) -> Any:
    """Text a document can hold: no control characters or lone surrogates, at most MAX_CELL characters."""
    if not isinstance(value, str):
        return value
    text = "".join(c for c in value if c in "\t\n" or unicodedata.category(c) not in ("Cc", "Cs"))
    return text if len(text) <= MAX_CELL else text[:MAX_CELL - 1] + "…"
