"""Strict JSON bodies: decoded by msgspec with no type coercion, errors mapped by errors.py."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar.dto import MsgspecDTO
from litestar.typing import FieldDefinition

from ce_service.errors import BadRequest, Invalid

# Reusable constraints for wire types.
Text200 = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Text2000 = Annotated[str, msgspec.Meta(max_length=2000)]
Year = Annotated[int, msgspec.Meta(ge=1950, le=2200)]


class StrictDTO(MsgspecDTO):
    """Decodes a request body with msgspec in strict mode ("12" is not a number here)."""

    _decoders: dict[type, msgspec.json.Decoder] = {}
    # PostgreSQL text cannot hold U+0000; a body that carries one is refused whole, unless the
    # endpoint checks item by item (batches, so that one bad record does not sink the others).
    allow_nul: bool = False

    def decode_bytes(self, value: bytes) -> Any:
        """Decode and validate the body; msgspec errors become 400/422 problem documents."""
        if not self.allow_nul and b"\\u0000" in value:
            raise Invalid.field("body", "text must not contain the NUL character (\\u0000)", code="nul_character")
        decoder = self._decoders.get(self.model_type)
        if decoder is None:
            decoder = self._decoders[self.model_type] = msgspec.json.Decoder(self.model_type, strict=True)
        try:
            return decoder.decode(value)
        except UnicodeDecodeError as exc:
            raise BadRequest(f"The body is not valid UTF-8 (byte {exc.start}).") from None
        except RecursionError:
            # msgspec recurses per nesting level: a body nested thousands deep exhausts the stack.
            raise BadRequest("The body is nested too deeply to be a request of this API.") from None

    @classmethod
    def create_openapi_schema(cls, field_definition: FieldDefinition, handler_id: str, schema_creator: Any) -> Any:
        """Document the model itself, exactly as a handler without a DTO would."""
        return schema_creator.for_field_definition(FieldDefinition.from_annotation(cls.model_type))


def json_body(model: type, *, items_checked_for_nul: bool = False) -> dict[str, Any]:
    """Route-decorator arguments that make `data: model` strict (and keep it in the OpenAPI document)."""
    dto = StrictDTO[model]
    if items_checked_for_nul:
        dto = type(f"{model.__name__}BatchDTO", (dto,), {"allow_nul": True})
    return {"dto": dto, "return_dto": None}
