"""Administrative division codes (GB/T 2260), checked only to province level."""

PROVINCE_CODES: dict[str, str] = {
    "11": "北京市",
    "12": "天津市",
    "13": "河北省",
    "14": "山西省",
    "15": "内蒙古自治区",
    "21": "辽宁省",
    "22": "吉林省",
    "23": "黑龙江省",
    "31": "上海市",
    "32": "江苏省",
    "33": "浙江省",
    "34": "安徽省",
    "35": "福建省",
    "36": "江西省",
    "37": "山东省",
    "41": "河南省",
    "42": "湖北省",
    "43": "湖南省",
    "44": "广东省",
    "45": "广西壮族自治区",
    "46": "海南省",
    "50": "重庆市",
    "51": "四川省",
    "52": "贵州省",
    "53": "云南省",
    "54": "西藏自治区",
    "61": "陕西省",
    "62": "甘肃省",
    "63": "青海省",
    "64": "宁夏回族自治区",
    "65": "新疆维吾尔自治区",
    "71": "台湾省",
    "81": "香港特别行政区",
    "82": "澳门特别行政区",
}



def _ascii_digits(value: str) -> bool:
    """Return True if value is non-empty and only ASCII digits."""
    # str.isdigit() alone would also accept full-width and other Unicode digits.
    return bool(value) and value.isascii() and value.isdigit()


def region_error(value: str) -> str | None:
    """Return why value is not a 6-digit division code, or None if it is one."""
    if not isinstance(value, str) or len(value) != 6 or not _ascii_digits(value):
        return "region code must be 6 digits"
    if value[:2] not in PROVINCE_CODES:
        return f"unknown province prefix {value[:2]}"
    return None


def region_prefix_error(value: str) -> str | None:
    """Return why value is not a 2, 4 or 6 digit region scope prefix, or None."""
    if not isinstance(value, str) or len(value) not in (2, 4, 6) or not _ascii_digits(value):
        return "region prefix must be 2, 4 or 6 digits"
    if value[:2] not in PROVINCE_CODES:
        return f"unknown province prefix {value[:2]}"
    return None


def region_in_scope(region: str, prefix: str) -> bool:
    """Return True if region lies within the scope named by prefix."""
    # Fail closed: an invalid prefix (e.g. "" or "1") must never match everything,
    # and an odd-length prefix would cut across division boundaries.
    if region_error(region) is not None or region_prefix_error(prefix) is not None:
        return False
    return region.startswith(prefix)


def province_of(region: str) -> str:
    """Return the province-level code (e.g. "110000") containing region."""
    error = region_prefix_error(region)
    if error is not None:
        raise ValueError(error)
    return region[:2] + "0000"


# Cities and districts the shipped rules and the demo name, below their province (PROVINCE_CODES). Others are
# said by their province alone until a full division table (GB/T 2260) is loaded.
DIVISION_NAMES: dict[str, str] = {
    "5201": "贵阳市", "520102": "南明区", "520103": "云岩区",
    "5226": "黔东南苗族侗族自治州", "522601": "凯里市",
    "4201": "武汉市", "420106": "武昌区",
    "4212": "咸宁市",
    "110101": "东城区",
}


def region_name(code: str) -> str:
    """A division code (or a 2/4/6-digit scope) in words, province first: 522601 → 贵州省黔东南苗族侗族自治州凯里市.

    An unknown city or district is left out, so the name is never wrong, only less precise; an unknown
    province gives the code back."""
    code = code.strip()
    province = PROVINCE_CODES.get(code[:2])
    if province is None or not _ascii_digits(code):
        return code
    parts = [province]
    for cut in (4, 6):
        if len(code) >= cut and code[cut - 2:cut] != "00" and (name := DIVISION_NAMES.get(code[:cut])):
            parts.append(name)
    return "".join(parts)
