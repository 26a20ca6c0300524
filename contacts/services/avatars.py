"""Avatar images: verified by content, bounded in bytes and pixels, re-encoded without metadata."""

from __future__ import annotations

import io
import uuid

from django.core.files.base import ContentFile
from PIL import Image, ImageOps, UnidentifiedImageError

from contacts.errors import ContactsError, ValidationFailed

MAX_AVATAR_BYTES = 5 * 1024 * 1024
MAX_AVATAR_PIXELS = 25_000_000
_FORMATS = {"JPEG": ("jpg", "JPEG"), "PNG": ("png", "PNG")}


class AvatarTooLarge(ContactsError):
    """The file is over the byte limit (HTTP 413 where the surface has such a status)."""

    default_message = "The avatar file is larger than 5 MB"


def process_avatar(upload: object, *, field: str = "file") -> ContentFile:
    """Return a clean re-encoded copy of `upload` (a file-like object) under a server-generated name.

    Raises `AvatarTooLarge` above 5 MB and `ValidationFailed` for anything that is not a decodable JPEG or
    PNG of at most 25 megapixels. Nothing is written to storage here.
    """
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_AVATAR_BYTES:
        raise AvatarTooLarge(field, code="file_too_large")
    if hasattr(upload, "seek"):
        upload.seek(0)
    data = upload.read(MAX_AVATAR_BYTES + 1)
    if len(data) > MAX_AVATAR_BYTES:
        raise AvatarTooLarge(field, code="file_too_large")
    if not data:
        raise ValidationFailed(field, "The avatar file is empty", code="invalid_image")
    try:
        with Image.open(io.BytesIO(data), formats=list(_FORMATS)) as image:
            # The header gives the size before any pixel is decoded: refuse bombs here.
            width, height = image.size
            if width * height > MAX_AVATAR_PIXELS:
                raise ValidationFailed(field, "The avatar image is larger than 25 megapixels", code="invalid_image")
            extension, output_format = _FORMATS[image.format]
            image.load()
            cleaned = ImageOps.exif_transpose(image)
            if output_format == "JPEG" and cleaned.mode not in ("RGB", "L"):
                cleaned = cleaned.convert("RGB")
            # Pillow's encoders fall back to `info` for some metadata (a JPEG comment, a PNG ICC profile),
            # so it is emptied; only PNG transparency is pixel data rather than metadata.
            kept = {"transparency": cleaned.info["transparency"]} if "transparency" in cleaned.info else {}
            cleaned.info = kept if output_format == "PNG" else {}
            out = io.BytesIO()
            cleaned.save(out, format=output_format, **({"quality": 90} if output_format == "JPEG" else {}))
    except ValidationFailed:
        raise
    except Image.DecompressionBombError:
        raise ValidationFailed(field, "The avatar image is larger than 25 megapixels", code="invalid_image") from None
    except UnidentifiedImageError:
        raise ValidationFailed(field, "The avatar must be a JPG or PNG image", code="invalid_image") from None
    except Exception:
        # Damaged files make Pillow raise many types (OSError, SyntaxError, struct.error, IndexError...).
        raise ValidationFailed(field, "The avatar image is damaged or truncated", code="invalid_image") from None
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.{extension}")
