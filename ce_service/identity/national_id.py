"""Chinese citizen ID numbers (公民身份号码, GB 11643-1999)."""

import datetime

from ce_service import clock
from ce_service.identity.region import region_error

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_DIGITS = frozenset("0123456789")
_MIN_BIRTH_YEAR = 1900


def _is_digits(value: str, length: int) -> bool:
    """Return True if value is exactly length ASCII digits."""
    # isdigit() alone would admit other scripts' digits; isascii() rules them out.
    return len(value) == length and value.isascii() and value.isdigit()


def national_id_check_char(first17: str) -> str:
    """Return the check character for the first 17 digits of an ID number."""
    if not isinstance(first17, str) or not _is_digits(first17, 17):
        raise ValueError("first17 must be 17 ASCII digits")
    total = sum(map(int.__mul__, map(int, first17), _WEIGHTS))
    return _CHECK_CHARS[total % 11]


def national_id_error(value: str, *, today: datetime.date | None = None) -> str | None:
    """Return why value is not a valid ID number, or None if it is valid."""
    if not isinstance(value, str):
        return "must be a string"
    if len(value) != 18:
        return "must be 18 characters"
    body, last = value[:17], value[17]
    # Lowercase x passes the format check here so it can get its own message below.
    if not _is_digits(body, 17) or not (last in _DIGITS or last in "Xx"):
        return "must be 17 digits followed by a digit or X"

    region = body[:6]
    if region_error(region) is not None:
        # Messages never repeat parts of the number: answers to machine clients show it masked.
        return "the region code (first 6 digits) is not a valid division code"

    birth_text = body[6:14]
    try:
        birth = datetime.date(int(birth_text[:4]), int(birth_text[4:6]), int(birth_text[6:8]))
    except ValueError:
        return "the birth date (digits 7 to 14) is not a real date"
    if birth.year < _MIN_BIRTH_YEAR:
        return f"birth date before {_MIN_BIRTH_YEAR}"
    if birth > (today if today is not None else clock.today()):
        return "birth date is in the future"

    expected = national_id_check_char(body)
    if last == "x" and expected == "X":
        return "check character must be an uppercase X"
    if last != expected:
        return f"check character should be {expected}, not {last}"
    return None


def mask_national_id(value: str) -> str:
    """Return value with all but the first 4 and last 4 characters replaced by *."""
    if len(value) != 18:
        # Unknown shape: we cannot tell which parts are safe to show.
        return "*" * len(value)
    return value[:4] + "*" * 10 + value[-4:]


def make_national_id(region: str, birth: datetime.date, sequence: int) -> str:
    """Build a valid ID number from region, birth date and 0..999 sequence."""
    error = region_error(region)
    if error is not None:
        raise ValueError(error)
    if birth.year < _MIN_BIRTH_YEAR:
        raise ValueError(f"birth date before {_MIN_BIRTH_YEAR}")
    if isinstance(sequence, bool) or not isinstance(sequence, int) or not 0 <= sequence <= 999:
        raise ValueError("sequence must be an integer from 0 to 999")
    first17 = f"{region}{birth.year:04d}{birth.month:02d}{birth.day:02d}{sequence:03d}"
    return first17 + national_id_check_char(first17)
