"""The pure lifecycle and content rules of a record."""

from __future__ import annotations

from datetime import date

import pytest

from ce_service.hours import half_hours_error, to_half_hours, to_hours
from ce_service.records.lifecycle import STATUSES
from ce_service.records.transitions import TRANSITIONS, TransitionRefused, check, status_on_arrival
from ce_service.records.validation import record_errors


@pytest.mark.parametrize(
    ("before", "action", "after"),
    [
        ("draft", "submit", "submitted"), ("returned", "submit", "submitted"), ("draft", "submit", "registered"),
        ("draft", "withdraw", "withdrawn"), ("submitted", "withdraw", "withdrawn"), ("returned", "withdraw", "withdrawn"),
        ("draft", "edit", "draft"), ("returned", "edit", "returned"),
        (None, "create", "draft"), (None, "create", "submitted"), (None, "create", "registered"),
        ("submitted", "approve", "unit_approved"), ("unit_approved", "register", "registered"),
        ("submitted", "register", "registered"), ("unit_approved", "return", "returned"),
        ("registered", "revoke", "revoked"), ("submitted", "supersede", "superseded"),
        ("superseded", "restore", "submitted"), ("superseded", "restore", "registered"),
    ],
)
def test_allowed_moves(before, action, after):
    check(action, before, after)


def test_every_other_move_is_refused():
    for action, moves in TRANSITIONS.items():
        for status in (None, *STATUSES):
            if status not in moves:
                with pytest.raises(TransitionRefused, match=f"cannot {action} a record that is {status}"):
                    check(action, status, "draft")


@pytest.mark.parametrize(("action", "before", "after"), [
    ("submit", "draft", "unit_approved"), ("approve", "submitted", "registered"), ("revoke", "registered", "draft"),
    ("create", None, "revoked"), ("restore", "superseded", "superseded"),
])
def test_a_wrong_destination_is_refused(action, before, after):
    with pytest.raises(TransitionRefused, match=f"cannot take a {before} record to {after}"):
        check(action, before, after)


def test_a_registered_record_is_never_superseded():
    """Registered hours are not taken away by a later arrival (both go to a reviewer instead)."""
    with pytest.raises(TransitionRefused):
        check("supersede", "registered", "superseded")


def test_status_on_arrival_follows_the_route():
    assert status_on_arrival([]) == "registered" and status_on_arrival(["hr"]) == "submitted"


@pytest.mark.parametrize(("hours", "half"), [(0.5, 1), (1, 2), (12.5, 25), (200, 400)])
def test_half_hours_round_trip(hours, half):
    assert half_hours_error(hours, 200) is None
    assert to_half_hours(hours) == half and to_hours(half) == hours


@pytest.mark.parametrize(("hours", "words"), [(0, "greater"), (-1, "greater"), (0.25, "0.5"), (12.3, "0.5"),
                                              (200.5, "at most"), (1e308, "at most"), (float("nan"), "greater")])
def test_bad_hours(hours, words):
    assert words in half_hours_error(hours, 200)


def _errors(**changes):
    base = dict(year=2023, category="public", hours=3.0, completed_on=date(2023, 5, 1), course_title="专题",
                region_earned=None, today=date(2024, 1, 10), max_hours=200)
    return {e.field: e.message for e in record_errors(**{**base, **changes})}


def test_good_record_has_no_errors():
    assert _errors() == {}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"year": 2025}, "year"),
        ({"completed_on": date(2022, 12, 31)}, "completed_on"),
        ({"year": 2024, "completed_on": date(2024, 2, 1)}, "completed_on"),
        ({"course_title": "  "}, "course_title"),
        ({"course_title": "长" * 201}, "course_title"),
        ({"category": "fun"}, "category"),
        ({"region_earned": "999999"}, "region_earned"),
        ({"hours": 0.2}, "hours"),
    ],
)
def test_each_bad_field_is_named(changes, field):
    assert field in _errors(**changes)
