"""Cells that no spreadsheet runs, and that read back exactly as they were written."""

from __future__ import annotations

import io

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from ce_service.cells import QUOTE, csv_value, printable, starts_formula, unquote
from ce_service.imports import tables
from ce_service.imports.tables import read_rows, table_bytes

# Each of these is read as a formula by Excel, WPS or LibreOffice (the full-width signs are folded into
# the ASCII ones; spaces and line breaks before "=" are skipped).
FORMULAS = ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", "\n=1", " =1+1", "  +cmd|' /C calc'!A0", "\u3000=1",
            "\xa0=1", "\u200b=1", "\ufeff=1", "＝HYPERLINK(\"http://x\")", "＋1", "－1", "＠SUM(A1)", "﹦1", "\n\n@x"]
TEXTS = ["课程", "1+1", "a=b", "'", "'abc", "", " ", "2024-05-01", "x-1"]


@pytest.mark.parametrize("text", FORMULAS)
def test_would_be_formulas_go_out_quoted_and_read_back_as_written(text):
    assert starts_formula(text)
    assert csv_value(text) == QUOTE + text
    assert unquote(csv_value(text)) == text


@pytest.mark.parametrize("text", TEXTS)
def test_plain_text_goes_out_as_it_is(text):
    assert not starts_formula(text)
    assert csv_value(text) == text and unquote(text) == text


def test_a_quote_before_a_formula_or_a_quote_is_quoted_again():
    """'=1 typed as text (a title, a name) must come back as '=1, not as =1."""
    for text in ("'=1+1", "''", "'''=x", "'＝1", "' =1"):
        assert csv_value(text) == QUOTE + text and unquote(csv_value(text)) == text
    # What a user typed as '=1+1 in a file of their own is the text =1+1, as spreadsheets read it.
    assert unquote("'=1+1") == "=1+1" and unquote("'abc") == "'abc"


# Any text, with the characters that matter here drawn often.
TRICKY = st.sampled_from(list("'=+-@＝＋－＠﹦ \t\r\n\u3000\u200bA1"))
ANY_TEXT = st.text(st.one_of(TRICKY, st.characters()))


@given(ANY_TEXT)
@example("'=1")
@settings(max_examples=3000)
def test_quoting_is_an_exact_round_trip_and_never_starts_a_formula(text):
    assert unquote(csv_value(text)) == text
    assert not starts_formula(csv_value(text))


# No lone surrogates and no NUL: no file we read can hold them (nor can the database).
ALPHABET = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
CELL = st.text(st.one_of(TRICKY, ALPHABET), min_size=1, max_size=40).filter(lambda t: t == t.strip())
COLUMNS = tables.COLUMNS["records"]


def report(fmt: str, titles: list[str]) -> bytes:
    """A report in the records template with these course titles (as a rejected-rows report is made)."""
    return table_bytes(fmt, [c.label for c in COLUMNS], [[t if c.key == "course_title" else "x" for c in COLUMNS]
                                                         for t in titles])


@given(st.lists(CELL, min_size=1, max_size=20))
@example(["'=1", "''", "＝1"])
@settings(max_examples=150, deadline=None)
def test_a_csv_report_sent_back_in_reads_as_written(titles):
    assert [cells["course_title"] for _, cells in read_rows(report("csv", titles), "records")] == titles


@given(st.lists(CELL.map(printable).filter(lambda t: t and t == t.strip()), min_size=1, max_size=20))
@example(["'=1", "''", "＝1"])
@settings(max_examples=100, deadline=None)
def test_an_xlsx_report_sent_back_in_reads_as_written(titles):
    content = report("xlsx", titles)
    sheet = load_workbook(io.BytesIO(content)).active
    assert all(c.data_type == "s" for row in sheet.iter_rows(min_row=2) for c in row)   # text, never a formula
    assert [cells["course_title"] for _, cells in read_rows(content, "records")] == titles


def test_what_users_typed_survives_a_report_and_an_upload_again():
    """A title the registry holds as '=1+1 (typed in the app) goes out in a report and comes back the same."""
    assert [cells["course_title"] for _, cells in read_rows(report("xlsx", ["a\uffffb\ufffe"]), "records")] == ["ab"]
    for fmt in ("csv", "xlsx"):
        titles = ["'=1+1", "'abc", "=1+1", " ＝1", "''"]
        assert [cells["course_title"] for _, cells in read_rows(report(fmt, titles), "records")] == [
            "'=1+1", "'abc", "=1+1", "＝1", "''"]   # (cells are trimmed when read: " ＝1" is "＝1")
