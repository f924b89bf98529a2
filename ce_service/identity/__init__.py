"""Validation, masking and generation of Chinese ID numbers, credit codes and region codes."""

from ce_service.identity.credit_code import credit_code_check_char, credit_code_error, make_credit_code
from ce_service.identity.national_id import (
    make_national_id,
    mask_national_id,
    national_id_check_char,
    national_id_error,
)
from ce_service.identity.region import (
    PROVINCE_CODES,
    province_of,
    region_error,
    region_in_scope,
    region_prefix_error,
)

__all__ = [
    "PROVINCE_CODES",
    "credit_code_check_char",
    "credit_code_error",
    "make_credit_code",
    "make_national_id",
    "mask_national_id",
    "national_id_check_char",
    "national_id_error",
    "province_of",
    "region_error",
    "region_in_scope",
    "region_prefix_error",
]
