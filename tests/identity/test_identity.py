"""Tests for ce_service.identity."""

import datetime
import random

import pytest

from ce_service import clock
from ce_service.identity import (
    PROVINCE_CODES,
    credit_code_check_char,
    credit_code_error,
    make_credit_code,
    make_national_id,
    mask_national_id,
    national_id_check_char,
    national_id_error,
    province_of,
    region_error,
    region_in_scope,
    region_prefix_error,
)
from ce_service.identity.credit_code import ALPHABET

TODAY = datetime.date(2024, 6, 15)
ID_CHARS = "0123456789X"


def _generated_ids(count: int = 300, seed: int = 20240615) -> list[str]:
    rng = random.Random(seed)
    provinces = sorted(PROVINCE_CODES)
    ids = []
    for _ in range(count):
        region = rng.choice(provinces) + f"{rng.randrange(10000):04d}"
        span = (TODAY - datetime.date(1900, 1, 1)).days + 1
        birth = datetime.date(1900, 1, 1) + datetime.timedelta(days=rng.randrange(span))
        ids.append(make_national_id(region, birth, rng.randrange(1000)))
    return ids


def _generated_credit_codes(count: int = 300, seed: int = 32100) -> list[str]:
    rng = random.Random(seed)
    codes = []
    for _ in range(count):
        head = rng.choice(ALPHABET) + rng.choice(ALPHABET)
        region = f"{rng.randrange(1000000):06d}"
        org = "".join(rng.choice(ALPHABET) for _ in range(9))
        codes.append(make_credit_code(head + region + org))
    return codes


# ---------------------------------------------------------------- national ID


def test_published_example_valid():
    assert national_id_error("11010519491231002X") is None


def test_published_example_wrong_check():
    assert national_id_error("110105194912310021") == "check character should be X, not 1"


def test_check_char_of_published_example():
    assert national_id_check_char("11010519491231002") == "X"


def test_check_char_table_direct():
    # weights sum for "10000000000000000" is 7 -> index 7 -> "5"
    assert national_id_check_char("10000000000000000") == "5"
    assert national_id_check_char("00000000000000000") == "1"


@pytest.mark.parametrize("check", list(ID_CHARS))
def test_every_check_char_is_produced_and_validates(check):
    for sequence in range(1000):
        value = make_national_id("110105", datetime.date(1980, 1, 1), sequence)
        if value[-1] == check:
            assert national_id_error(value, today=TODAY) is None
            return
    pytest.fail(f"no ID with check character {check}")


def test_generated_ids_validate():
    for value in _generated_ids():
        assert len(value) == 18
        assert national_id_error(value, today=TODAY) is None, value


def test_every_wrong_check_char_rejected():
    for value in _generated_ids():
        right = value[-1]
        for wrong in ID_CHARS:
            if wrong == right:
                continue
            assert national_id_error(value[:-1] + wrong, today=TODAY) == (
                f"check character should be {right}, not {wrong}"
            )


def test_every_single_digit_change_in_body_rejected():
    # The checksum weights are all non-zero mod 11, so any single-digit error is caught.
    for value in _generated_ids(40):
        for i in range(17):
            for digit in "0123456789":
                if digit == value[i]:
                    continue
                changed = value[:i] + digit + value[i + 1 :]
                assert national_id_error(changed, today=TODAY) is not None, changed


def test_lowercase_x_rejected():
    assert national_id_error("11010519491231002x") == "check character must be an uppercase X"


def test_lowercase_x_when_check_is_not_x():
    value = make_national_id("110105", datetime.date(1980, 1, 1), 1)
    assert value[-1] != "X"
    assert national_id_error(value[:-1] + "x", today=TODAY) == f"check character should be {value[-1]}, not x"


@pytest.mark.parametrize("length", [0, 1, 15, 17, 19, 20])
def test_wrong_length(length):
    value = ("11010519491231002X" * 2)[:length]
    assert national_id_error(value) == "must be 18 characters"


def test_old_15_digit_format_rejected():
    assert national_id_error("110105491231002") == "must be 18 characters"


@pytest.mark.parametrize(
    "value",
    [
        "1101051949123100AX",
        "A1010519491231002X",
        "11010519491231002Y",
        "11010519491231002 ",
        " 1010519491231002X",
        "110105-9491231002X",
        "１10105194912310029",  # full-width digit
        "11010519491231002\u0663",  # Arabic-Indic digit three
        "1101051949123100X2",
    ],
)
def test_non_digits(value):
    assert national_id_error(value) == "must be 17 digits followed by a digit or X"


def test_not_a_string():
    assert national_id_error(None) == "must be a string"  # type: ignore[arg-type]


@pytest.mark.parametrize("region", ["000000", "990101", "100101", "200101", "720101", "910101"])
def test_unknown_province(region):
    first17 = region + "19800101" + "123"
    value = first17 + national_id_check_char(first17)
    assert national_id_error(value, today=TODAY) == "the region code (first 6 digits) is not a valid division code"


def test_every_province_accepted():
    for prefix in PROVINCE_CODES:
        value = make_national_id(prefix + "0101", datetime.date(1990, 5, 17), 42)
        assert national_id_error(value, today=TODAY) is None


def _with_birth(birth_text: str) -> str:
    first17 = "110105" + birth_text + "001"
    return first17 + national_id_check_char(first17)


@pytest.mark.parametrize("birth", ["20000229", "19960229", "20240229", "19040229"])
def test_feb_29_leap_years(birth):
    assert national_id_error(_with_birth(birth), today=TODAY) is None


@pytest.mark.parametrize("birth", ["19000229", "19990229", "20230229", "21000229"])
def test_feb_29_non_leap_years(birth):
    assert national_id_error(_with_birth(birth), today=TODAY) == "the birth date (digits 7 to 14) is not a real date"


@pytest.mark.parametrize("birth", ["19800231", "19800431", "19801301", "19800001", "19800100", "19801232", "00000000"])
def test_impossible_dates(birth):
    assert national_id_error(_with_birth(birth), today=TODAY) == "the birth date (digits 7 to 14) is not a real date"


def test_birth_in_future():
    assert national_id_error(_with_birth("20240616"), today=TODAY) == "birth date is in the future"
    assert national_id_error(_with_birth("20240615"), today=TODAY) is None


def test_birth_in_future_default_today():
    tomorrow = clock.today() + datetime.timedelta(days=1)
    assert national_id_error(_with_birth(f"{tomorrow:%Y%m%d}")) == "birth date is in the future"


def test_birth_before_1900():
    assert national_id_error(_with_birth("18991231"), today=TODAY) == "birth date before 1900"
    assert national_id_error(_with_birth("19000101"), today=TODAY) is None


def test_error_order_region_before_date_before_check():
    assert national_id_error("000000198002311231", today=TODAY) == "the region code (first 6 digits) is not a valid division code"
    assert national_id_error("110105198002311231", today=TODAY) == "the birth date (digits 7 to 14) is not a real date"
    # bad date outranks a lowercase x
    assert national_id_error("11010519800231123x", today=TODAY) == "the birth date (digits 7 to 14) is not a real date"


@pytest.mark.parametrize("bad", ["", "1234567890123456", "123456789012345678", "1101051949123100A"])
def test_check_char_rejects_bad_input(bad):
    with pytest.raises(ValueError):
        national_id_check_char(bad)


def test_mask_national_id():
    assert mask_national_id("522601198001011238") == "5226**********1238"
    assert mask_national_id("11010519491231002X") == "1101**********002X"


@pytest.mark.parametrize("value", ["", "1", "110105491231002", "11010519491231002", "11010519491231002X1"])
def test_mask_never_leaks_odd_lengths(value):
    assert mask_national_id(value) == "*" * len(value)


def test_make_national_id_layout():
    value = make_national_id("110105", datetime.date(1949, 12, 31), 2)
    assert value == "11010519491231002X"
    assert make_national_id("110105", datetime.date(1980, 1, 1), 0)[14:17] == "000"
    assert make_national_id("110105", datetime.date(1980, 1, 1), 999)[14:17] == "999"


@pytest.mark.parametrize("sequence", [-1, 1000, True])
def test_make_national_id_bad_sequence(sequence):
    with pytest.raises(ValueError):
        make_national_id("110105", datetime.date(1980, 1, 1), sequence)


@pytest.mark.parametrize("region", ["000000", "11010", "1101050", "11010a"])
def test_make_national_id_bad_region(region):
    with pytest.raises(ValueError):
        make_national_id(region, datetime.date(1980, 1, 1), 1)


def test_make_national_id_before_1900():
    with pytest.raises(ValueError):
        make_national_id("110105", datetime.date(1899, 12, 31), 1)


# ---------------------------------------------------------------- credit code


@pytest.mark.parametrize("value", ["91350100M000100Y43", "91110000802100433B"])
def test_credit_code_real_examples(value):
    assert credit_code_error(value) is None
    assert credit_code_check_char(value[:17]) == value[17]
    assert make_credit_code(value[:17]) == value


def test_alphabet():
    assert len(ALPHABET) == 31
    for letter in "IOZSV":
        assert letter not in ALPHABET


def test_every_credit_check_char_is_produced():
    seen = {code[-1] for code in _generated_credit_codes(3000)}
    assert seen == set(ALPHABET)


def test_generated_credit_codes_validate():
    for code in _generated_credit_codes():
        assert credit_code_error(code) is None, code


def test_every_wrong_credit_check_char_rejected():
    for code in _generated_credit_codes() + ["91350100M000100Y43", "91110000802100433B"]:
        right = code[-1]
        for wrong in ALPHABET:
            if wrong == right:
                continue
            assert credit_code_error(code[:-1] + wrong) == f"check character should be {right}, not {wrong}"


def test_every_single_char_change_in_credit_body_rejected():
    for code in _generated_credit_codes(20):
        for i in range(17):
            for char in ALPHABET:
                if char == code[i]:
                    continue
                changed = code[:i] + char + code[i + 1 :]
                assert credit_code_error(changed) is not None, changed


def test_credit_wrong_check_message_example():
    assert credit_code_error("91350100M000100Y4Y") == "check character should be 3, not Y"


@pytest.mark.parametrize("length", [0, 1, 15, 17, 19])
def test_credit_code_wrong_length(length):
    assert credit_code_error(("91350100M000100Y43" * 2)[:length]) == "must be 18 characters"


@pytest.mark.parametrize("letter", list("IOZSV"))
@pytest.mark.parametrize("position", [1, 2, 9, 12, 17, 18])
def test_credit_code_illegal_letters(letter, position):
    value = "91350100M000100Y43"
    bad = value[: position - 1] + letter + value[position:]
    assert credit_code_error(bad) == f"illegal character '{letter}' at position {position}"


def test_credit_code_lowercase():
    assert credit_code_error("91350100m000100Y43") == "illegal character 'm' at position 9 (letters must be uppercase)"


@pytest.mark.parametrize("char", ["-", " ", "*", "Ａ", "中"])
def test_credit_code_other_illegal_chars(char):
    value = "91350100M000100Y43"
    assert credit_code_error(value[:4] + char + value[5:]) == f"illegal character {char!r} at position 5"


def test_credit_code_first_illegal_position_named():
    assert credit_code_error("9I350100M0001O0Y43") == "illegal character 'I' at position 2"


@pytest.mark.parametrize("position", range(3, 9))
def test_credit_code_region_not_digits(position):
    first17 = "91350100M000100Y4"
    first17 = first17[: position - 1] + "A" + first17[position:]
    # valid check char, so only the region complaint remains
    assert credit_code_error(make_credit_code(first17)) == "region code (positions 3-8) must be 6 digits"


def test_credit_code_not_a_string():
    assert credit_code_error(None) == "must be a string"  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["", "91350100M000100Y", "91350100M000100Y43", "91350100I000100Y4"])
def test_credit_check_char_rejects_bad_input(bad):
    with pytest.raises(ValueError):
        credit_code_check_char(bad)


def test_credit_check_char_formula():
    # all zeros -> sum 0 -> (31 - 0) % 31 = 0
    assert credit_code_check_char("0" * 17) == "0"
    # "1" followed by zeros -> sum 1 -> 30 -> "Y"
    assert credit_code_check_char("1" + "0" * 16) == "Y"


# ---------------------------------------------------------------- region


def test_province_codes():
    assert len(PROVINCE_CODES) == 34
    assert PROVINCE_CODES["11"] == "北京市"
    assert PROVINCE_CODES["65"] == "新疆维吾尔自治区"
    assert PROVINCE_CODES["71"] == "台湾省"
    assert PROVINCE_CODES["81"] == "香港特别行政区"
    assert PROVINCE_CODES["82"] == "澳门特别行政区"
    assert all(len(k) == 2 and k.isdigit() for k in PROVINCE_CODES)


@pytest.mark.parametrize("value", ["110000", "110105", "522601", "650100", "710000", "810000", "820000"])
def test_region_valid(value):
    assert region_error(value) is None


@pytest.mark.parametrize("value", ["", "11", "1101", "11010", "1101050", "11010a", " 11010", "１10105", "11010\u0665"])
def test_region_not_six_digits(value):
    assert region_error(value) == "region code must be 6 digits"


@pytest.mark.parametrize("prefix", ["00", "10", "16", "20", "99", "72", "83", "90"])
def test_region_unknown_province(prefix):
    assert region_error(prefix + "0101") == f"unknown province prefix {prefix}"


def test_region_every_province():
    for prefix in PROVINCE_CODES:
        assert region_error(prefix + "0000") is None


@pytest.mark.parametrize("value", ["11", "1101", "110105", "52", "5226", "522601"])
def test_region_prefix_valid(value):
    assert region_prefix_error(value) is None


@pytest.mark.parametrize("value", ["", "1", "110", "11010", "1101050", "11010a", "1a", "１1"])
def test_region_prefix_bad_shape(value):
    assert region_prefix_error(value) == "region prefix must be 2, 4 or 6 digits"


@pytest.mark.parametrize("value", ["99", "9901", "990101", "00"])
def test_region_prefix_unknown_province(value):
    assert region_prefix_error(value) == "unknown province prefix " + value[:2]


def test_region_prefix_six_digits_matches_region_error():
    for value in ["110105", "990101", "000000", "522601"]:
        assert region_prefix_error(value) == region_error(value)


@pytest.mark.parametrize(
    ("region", "prefix", "expected"),
    [
        ("110105", "11", True),
        ("110105", "1101", True),
        ("110105", "110105", True),
        ("110105", "12", False),
        ("110105", "1102", False),
        ("110105", "110106", False),
        ("522601", "52", True),
        ("522601", "5226", True),
        ("522601", "5227", False),
        # invalid prefixes never match, even when startswith would be true
        ("110105", "", False),
        ("110105", "1", False),
        ("110105", "110", False),
        ("110105", "11010", False),
        ("990101", "99", False),
        # invalid regions never match
        ("11010", "11", False),
        ("1101050", "11", False),
        ("11010a", "11", False),
    ],
)
def test_region_in_scope(region, prefix, expected):
    assert region_in_scope(region, prefix) is expected


@pytest.mark.parametrize(
    ("region", "expected"),
    [("110105", "110000"), ("522601", "520000"), ("820000", "820000"), ("5226", "520000"), ("65", "650000")],
)
def test_province_of(region, expected):
    assert province_of(region) == expected


@pytest.mark.parametrize("region", ["", "1", "990101", "11010a"])
def test_province_of_invalid(region):
    with pytest.raises(ValueError):
        province_of(region)
