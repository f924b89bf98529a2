"""Unified social credit codes (统一社会信用代码, GB 32100-2015)."""

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUES = {c: i for i, c in enumerate(ALPHABET)}
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_DIGITS = frozenset("0123456789")


def credit_code_check_char(first17: str) -> str:
    """Return the check character for the first 17 characters of a credit code."""
    if not isinstance(first17, str) or len(first17) != 17 or any(c not in _VALUES for c in first17):
        raise ValueError("first17 must be 17 characters from the credit code alphabet")
    total = sum(_VALUES[c] * w for c, w in zip(first17, _WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def credit_code_error(value: str) -> str | None:
    """Return why value is not a valid credit code, or None if it is valid."""
    if not isinstance(value, str):
        return "must be a string"
    if len(value) != 18:
        return "must be 18 characters"
    for position, char in enumerate(value, start=1):
        if char not in _VALUES:
            hint = " (letters must be uppercase)" if char.upper() in _VALUES else ""
            return f"illegal character {char!r} at position {position}{hint}"
    if any(c not in _DIGITS for c in value[2:8]):
        return "region code (positions 3-8) must be 6 digits"
    expected = credit_code_check_char(value[:17])
    if value[17] != expected:
        return f"check character should be {expected}, not {value[17]}"
    return None


def make_credit_code(first17: str) -> str:
    """Return first17 followed by its check character."""
    return first17 + credit_code_check_char(first17)
