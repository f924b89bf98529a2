"""Spreadsheet cells that are data, never formulas: what users typed goes out as text."""

from __future__ import annotations

import unicodedata
from typing import Any

MAX_CELL = 300  # characters of one cell in a document (titles are at most 200); longer text is cut: a PDF cell cannot span pages

# A cell whose first visible character is one of these is read as a formula by Excel, WPS or LibreOffice
# (CSV too). Spreadsheets skip leading spaces and line breaks before "=" and fold the full-width and
# small forms (＝＋－＠, ﹦﹢﹣﹫) into the ASCII ones, so those count too (compared after NFKC).
FORMULA_CHARS = ("=", "+", "-", "@")
FORMULA_START = ("=", "+", "-", "@", "＝", "＋", "－", "＠", "\t", "\r", "\n")
QUOTE = "'"


def starts_formula(text: str) -> bool:
    """True when a spreadsheet could read this text as a formula."""
    if text.startswith(FORMULA_START):
        return True
    for c in text:
        # Whitespace of every kind (the ideographic space too), control and invisible format characters
        # (zero-width space, BOM) before the first visible character.
        if c.isspace() or unicodedata.category(c) in ("Cc", "Cf", "Zs", "Zl", "Zp"):
            continue
        return unicodedata.normalize("NFKC", c).startswith(FORMULA_CHARS)
    return False


def _escaped(text: str) -> bool:
    """True when `text` is one that quoting made: QUOTE before a would-be formula or before another QUOTE."""
    return text.startswith(QUOTE) and (starts_formula(text[1:]) or text[1:].startswith(QUOTE))


def csv_value(value: Any) -> Any:
    """A CSV cell that no spreadsheet runs: text that could start a formula gets a leading quote.

    Text that would otherwise read back as quoted (a quote before a would-be formula or before another
    quote) gets one too, so that unquote(csv_value(x)) == x for every string x.
    """
    if isinstance(value, str) and (starts_formula(value) or _escaped(value)):
        return QUOTE + value
    return value


def xlsx_value(value: Any) -> Any:
    """A text cell of an XLSX file (typed as text, never a formula) that unquote() reads back as it was."""
    if isinstance(value, str) and _escaped(value):
        return QUOTE + value
    return value


def unquote(value: Any) -> Any:
    """The text a csv_value() or xlsx_value() cell stood for, so a report sent back in is read as it was written.

    A cell someone typed as '=1+1 is read as =1+1 (the quote is how spreadsheets mark text); 'abc stays 'abc.
    """
    if isinstance(value, str) and _escaped(value):
        return value[1:]
    return value


def as_text(cell: Any) -> Any:
    """Make an openpyxl cell that holds a would-be formula hold it as plain text instead."""
    if cell.data_type == "f":
        cell.data_type = "s"
    return cell


def printable(value: Any) -> Any:
    """Text a document can hold: no control characters, lone surrogates or U+FFFE/U+FFFF (not allowed in XML),
    at most MAX_CELL characters."""
    if not isinstance(value, str):
        return value
    text = "".join(c for c in value if c in "\t\n" or (unicodedata.category(c) not in ("Cc", "Cs")
                                                        and c not in "\ufffe\uffff"))
    return text if len(text) <= MAX_CELL else text[:MAX_CELL - 1] + "…"
