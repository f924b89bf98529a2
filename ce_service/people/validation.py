"""Pure checks of master data beyond what the wire types already enforce."""

from __future__ import annotations

from ce_service.errors import FieldError
from ce_service.identity import credit_code_error, region_error
from ce_service.people.schemas import EXEMPTION_REASONS, ExemptionIn, PersonIn


def person_errors(data: PersonIn, series_known: bool, current_year: int,
                  agencies: dict[str, str] | None = None) -> list[FieldError]:
    """Every problem with a person's data, each naming its field (agencies: known agency codes → affiliation)."""
    errors: list[FieldError] = []
    if not data.name.strip():
        errors.append(FieldError("name", "must not be blank", code="required"))
    if not series_known:
        errors.append(FieldError("series", f"unknown series code {data.series!r}", code="unknown_series"))
    previous = None
    for i, period in enumerate(data.periods):
        at = f"periods[{i}]"
        if period.from_year > current_year:
            errors.append(FieldError(f"{at}.from_year", f"must not be after the current year {current_year}",
                                     code="year_in_future", params={"year": current_year}))
        if previous is not None and period.from_year <= previous:
            word = "repeats" if period.from_year == previous else "comes before"
            errors.append(FieldError(f"{at}.from_year", f"{word} the previous period's year {previous}; periods are sorted by from_year",
                                     code="periods_order", params={"previous": previous}))
        previous = period.from_year
        if message := region_error(period.region):
            errors.append(FieldError(f"{at}.region", message, code="bad_region"))
        if period.unit is not None and period.agency is not None:
            errors.append(FieldError(f"{at}.agency", "give either unit or agency, not both", code="unit_and_agency"))
        elif period.unit is None and period.agency is None:
            errors.append(FieldError(f"{at}.unit", "give the employer unit's credit code, or agency for people "
                                                   "without a unit", code="unit_required"))
        elif period.unit is not None and (message := credit_code_error(period.unit)):
            errors.append(FieldError(f"{at}.unit", message, code="bad_credit_code"))
        elif period.agency is not None:
            if message := credit_code_error(period.agency):
                errors.append(FieldError(f"{at}.agency", message, code="bad_credit_code"))
            elif period.agency not in (agencies or {}):
                errors.append(FieldError(f"{at}.agency", "no personnel agency or industry department with this "
                                                         "credit code (an administrator adds it: units add --kind "
                                                         "agency|industry)", code="unknown_agency"))
    return errors


def exemption_errors(data: ExemptionIn, current_year: int) -> list[FieldError]:
    """Every problem with an exemption."""
    errors: list[FieldError] = []
    if data.to_year < data.from_year:
        errors.append(FieldError("to_year", "must not be before from_year", code="years_reversed"))
    if data.to_year > current_year + 1:
        errors.append(FieldError("to_year", f"must not be after {current_year + 1}", code="after_year",
                                 params={"max": current_year + 1}))
    if data.reason not in EXEMPTION_REASONS:
        errors.append(FieldError("reason", f"must be one of {', '.join(EXEMPTION_REASONS)}", code="one_of",
                                 params={"choices": ", ".join(EXEMPTION_REASONS)}))
    if data.reason == "other" and not data.note.strip():
        errors.append(FieldError("note", "explain an exemption whose reason is 'other'", code="required"))
    return errors
