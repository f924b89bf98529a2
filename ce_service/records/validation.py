"""Checks of a record's content, shared by every way hours arrive: pure, no I/O."""

from __future__ import annotations

from datetime import date

from ce_service.errors import FieldError
from ce_service.hours import half_hours_problem
from ce_service.identity import region_error

CATEGORIES = ("public", "professional")
MAX_TITLE = 200
MIN_YEAR = 1950
# A platform keeps a year's test open into the next year: a pass finished by 31 March still belongs
# to its exam year (the database holds the same limit, records_completed_in_year).
EXAM_YEAR_OPEN_UNTIL = (3, 31)


def record_errors(
    *, year: int, category: str, hours: float, completed_on: date, course_title: str,
    region_earned: str | None, today: date, max_hours: int, may_finish_next_year: bool = False,
) -> list[FieldError]:
    """Every problem with a record's content, each naming its field.

    A platform's test belongs to its exam year even when it was finished early the next year, up to
    EXAM_YEAR_OPEN_UNTIL (`may_finish_next_year`); every other record is completed inside its year.
    """
    errors: list[FieldError] = []
    if year > today.year:
        errors.append(FieldError("year", f"must not be in the future (this year is {today.year})",
                                 code="year_in_future", params={"year": today.year}))
    elif year < MIN_YEAR:
        errors.append(FieldError("year", f"must be {MIN_YEAR} or later", code="before_year", params={"min": MIN_YEAR}))
    if category not in CATEGORIES:
        errors.append(FieldError("category", "must be public or professional", code="one_of",
                                 params={"choices": ", ".join(CATEGORIES)}))
    if problem := half_hours_problem(hours, max_hours):
        errors.append(FieldError("hours", problem[0], code=problem[1], params=dict(problem[2])))
    late = date(year + 1, *EXAM_YEAR_OPEN_UNTIL) if 1 <= year < 9999 else date.min  # a year out of range is refused above
    if completed_on.year != year and not (may_finish_next_year and year < completed_on.year and completed_on <= late):
        if may_finish_next_year:
            errors.append(FieldError("completed_on", f"must be inside the record's year {year} or by {late.isoformat()}",
                                     code="not_in_exam_year", params={"year": year, "until": late.isoformat()}))
        else:
            errors.append(FieldError("completed_on", f"must be inside the record's year {year}", code="not_in_year",
                                     params={"year": year}))
    elif completed_on > today:
        errors.append(FieldError("completed_on", "must not be in the future", code="in_future"))
    if not course_title.strip():
        errors.append(FieldError("course_title", "must not be blank", code="required"))
    elif len(course_title) > MAX_TITLE:
        errors.append(FieldError("course_title", f"must be at most {MAX_TITLE} characters", code="too_long",
                                 params={"max": MAX_TITLE}))
    if region_earned is not None and (message := region_error(region_earned)):
        errors.append(FieldError("region_earned", message, code="bad_region"))
    return errors
