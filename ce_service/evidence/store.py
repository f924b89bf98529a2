"""Evidence files on disk under their SHA-256: checked by content, written atomically, scaled for display."""

from __future__ import annotations

import hashlib
import io
import os
import re
import warnings
from pathlib import Path

from ce_service.errors import FieldError, Invalid, file_too_large
from ce_service.rendering import off_loop

KINDS = {b"\xff\xd8\xff": ("jpeg", "image/jpeg"), b"\x89PNG\r\n\x1a\n": ("png", "image/png"),
         b"%PDF-": ("pdf", "application/pdf")}
MEDIA_TYPES = {kind: media for kind, media in KINDS.values()}
DISPLAY_EDGE = 1280
# A photo larger than a 50-megapixel camera makes is refused before it is decoded: a small PNG can
# claim 13,000 × 13,000 pixels and cost gigabytes to open.
MAX_PIXELS = 50_000_000
_REF = re.compile(r"^[0-9a-f]{64}$")


def kind_of(content: bytes) -> str | None:
    """jpeg, png or pdf as the magic bytes say; None for anything else (whatever its name says)."""
    for magic, (kind, _) in KINDS.items():
        if content.startswith(magic):
            return kind
    return None


def photo_error(content: bytes) -> str | None:
    """Why a photo cannot be shown (unreadable, or too many pixels), from its header alone; None if it can."""
    problem = photo_problem(content)
    return problem.message if problem else None


def photo_problem(content: bytes, field: str = "evidence") -> FieldError | None:
    """photo_error() as a field error with its code (photo_unreadable, too_many_pixels with max_megapixels)."""
    limit = {"max_megapixels": MAX_PIXELS // 1_000_000}
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)   # we say it ourselves, below
            with Image.open(io.BytesIO(content)) as image:   # reads the header only, decodes nothing
                width, height = image.size
    except Image.DecompressionBombError:
        return FieldError(field, f"has too many pixels; at most {MAX_PIXELS // 1_000_000} million are accepted",
                          code="too_many_pixels", params=limit)
    except (UnidentifiedImageError, OSError, ValueError):
        return FieldError(field, "cannot be read as a photo", code="photo_unreadable")
    if width * height > MAX_PIXELS:
        return FieldError(field, f"has {width} × {height} pixels; at most {MAX_PIXELS // 1_000_000} million are accepted",
                          code="too_many_pixels", params=limit)
    return None


def scaled_jpeg(original: Path) -> bytes:
    """A photo turned upright and scaled to at most DISPLAY_EDGE pixels, as JPEG (CPU work: run it apart)."""
    from PIL import Image, ImageOps

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    with Image.open(original) as image:
        image = ImageOps.exif_transpose(image)
        image.thumbnail((DISPLAY_EDGE, DISPLAY_EDGE))
        out = io.BytesIO()
        image.convert("RGB").save(out, "JPEG", quality=82, optimize=True)
    return out.getvalue()


def is_ref(value: str) -> bool:
    """True for what save() returns: a SHA-256 in lower-case hex."""
    return bool(_REF.match(value or ""))


class EvidenceStore:
    """Files under `root/ab/cd/<sha256>`; the same file uploaded twice is stored once."""

    def __init__(self, root: Path, max_bytes: int) -> None:
        self.root = root
        self.max_bytes = max_bytes

    def path(self, ref: str) -> Path:
        """Where a stored file lives (ref as save() returned it)."""
        if not is_ref(ref):
            raise ValueError("not an evidence reference")
        return self.root / ref[:2] / ref[2:4] / ref

    def exists(self, ref: str) -> bool:
        """True when a file with this reference was stored."""
        return is_ref(ref) and self.path(ref).exists()

    def kind(self, ref: str) -> str | None:
        """jpeg, png or pdf for a stored file; None when there is none."""
        if not self.exists(ref):
            return None
        with open(self.path(ref), "rb") as f:
            return kind_of(f.read(8))

    def save(self, content: bytes) -> str:
        """Check and store a file; returns its reference (the SHA-256 of its content, in hex)."""
        if len(content) > self.max_bytes:
            raise file_too_large("evidence", len(content), self.max_bytes)
        if not content:
            raise Invalid.of([FieldError("evidence", "is empty", code="file_empty")])
        kind = kind_of(content)
        if kind is None:
            raise Invalid.of([FieldError("evidence", "must be a JPEG or PNG photo or a PDF file", code="file_type")])
        if kind != "pdf" and (problem := photo_problem(content)):
            raise Invalid.of([problem])
        ref = hashlib.sha256(content).hexdigest()
        target = self.path(ref)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            temporary = target.with_suffix(f".{os.getpid()}.tmp")
            with open(temporary, "wb") as f:
                f.write(content)
                f.flush()
                os.fsync(f.fileno())
            os.replace(temporary, target)   # durable before we say it is stored
        return ref

    async def display(self, ref: str) -> tuple[bytes, str]:
        """The bytes to show and their media type: photos scaled to at most 1280 px (made once), PDFs as they are."""
        original = self.path(ref)
        with open(original, "rb") as f:
            kind = kind_of(f.read(8))
        if kind == "pdf":
            return original.read_bytes(), MEDIA_TYPES["pdf"]
        scaled = original.with_name(original.name + ".display.jpeg")
        if not scaled.exists():
            content = await off_loop(scaled_jpeg, original, pool="photo")   # never on the event loop
            temporary = scaled.with_suffix(f".{os.getpid()}.tmp")
            temporary.write_bytes(content)
            os.replace(temporary, scaled)
        return scaled.read_bytes(), "image/jpeg"
