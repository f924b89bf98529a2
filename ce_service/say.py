"""A field error said in Chinese, by its code (CODE_ZH), for pages and import reports rendered by the server."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ce_service.errors import FieldError, schema_code
from ce_service.web.texts import CODE_ZH, FIELD_ZH, MESSAGE_ZH

GENERIC = "填写有误，请核对"
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_CHINESE = re.compile(r"[\u4e00-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")
_PERIOD = re.compile(r"^periods\[(\d+)\]\.")
# The page script's patterns (JavaScript: $1 for a group) for errors stored before codes existed, or made without one.
_MESSAGES = [(re.compile(pattern), re.sub(r"\$(\d)", r"\\\1", text)) for pattern, text in MESSAGE_ZH]


def _parts(error: FieldError | Mapping[str, Any]) -> tuple[str, str, str, Mapping[str, Any]]:
    if isinstance(error, FieldError):
        return error.field, error.message, error.code, error.params
    return (str(error.get("field", "")), str(error.get("message", "")), str(error.get("code") or "invalid"),
            error.get("params") or {})


def _value(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def say(error: FieldError | Mapping[str, Any]) -> str:
    """The Chinese sentence for one field error (a FieldError, or one as a problem document or import row stores it)."""
    _, message, code, params = _parts(error)
    text = CODE_ZH.get(code)
    if text is None:   # no code (or "invalid"): the message, if it is one the page script knows or already Chinese
        for pattern, words in _MESSAGES:
            if pattern.search(message):
                return pattern.sub(words, message)
        code, params = schema_code(message)   # msgspec's words, as errors were stored before they carried codes
        if code != "bad_value":
            return _fill(CODE_ZH[code], params)
        return message if _CHINESE.search(message) and not _LATIN.search(message) else GENERIC
    return _fill(text, params)


def _fill(text: str, params: Mapping[str, Any]) -> str:
    return _PLACEHOLDER.sub(lambda m: _value(params[m[1]]) if m[1] in params else "", text)


def field_label(field: str, labels: Mapping[str, str] | None = None, params: Mapping[str, Any] | None = None) -> str:
    """A field path (e.g. periods[1].region) in words; empty when there are none for it (never the English name)."""
    prefix = ""
    if match := _PERIOD.match(field):
        prefix = f"第 {int(match[1]) + 1} 段任职的"
        field = field[match.end():]
    if field == "body" and params and isinstance(params.get("name"), str):
        field = params["name"]   # a missing or unknown member of the body names itself
    name = field.rsplit(".", 1)[-1]
    label = (labels or {}).get(name) or FIELD_ZH.get(name, "")
    return prefix + label if label else ""


def say_field(error: FieldError | Mapping[str, Any], labels: Mapping[str, str] | None = None) -> str:
    """「学时数：不能大于 24」: the field in words (labels first, then FIELD_ZH), then say(error)."""
    field, _, _, params = _parts(error)
    label = field_label(field, labels, params)
    return f"{label}：{say(error)}" if label else say(error)


def say_all(errors: list[FieldError] | list[Mapping[str, Any]], labels: Mapping[str, str] | None = None) -> str:
    """Several field errors in one sentence, separated by 「；」."""
    return "；".join(say_field(e, labels) for e in errors)
