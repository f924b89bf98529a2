"""Hours on the wire are JSON numbers in steps of 0.5; inside they are whole half-hours."""

from __future__ import annotations


def half_hours_problem(hours: float, maximum: int) -> tuple[str, str, dict[str, int]] | None:
    """(message, code, params) saying why `hours` is not an acceptable amount for one record, or None."""
    if hours != hours or hours <= 0:  # hours != hours catches NaN
        return "must be greater than 0", "not_above", {"min": 0}
    if hours > maximum:
        return f"must be at most {maximum}", "too_large", {"max": maximum}
    if hours * 2 != int(hours * 2):
        return "must be a multiple of 0.5", "not_half_hour_step", {}
    return None


def half_hours_error(hours: float, maximum: int) -> str | None:
    """Why `hours` is not an acceptable amount for one record, or None."""
    problem = half_hours_problem(hours, maximum)
    return problem[0] if problem else None


def to_half_hours(hours: float) -> int:
    """12.5 -> 25; call only after half_hours_error said None."""
    return int(hours * 2)


def to_hours(half_hours: int) -> float | int:
    """25 -> 12.5, 24 -> 12: a whole number stays an integer on the wire."""
    return half_hours // 2 if half_hours % 2 == 0 else half_hours / 2
