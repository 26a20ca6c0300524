"""Avatar images: verified by content, bounded in bytes, pixels and decoding memory, shrunk to at most 1024 px and
re-encoded without metadata.

Memory is bounded before any pixel is decoded: the header gives the size, the colour mode and (for JPEG) whether
the decoder must hold every DCT coefficient of the image at once (progressive and other multi-scan files). JPEGs
are decoded at a reduced scale (libjpeg's DCT scaling, `draft`), PNGs in full and then reduced in strips, so the
only large allocation is the decoded image itself, kept under DECODE_BUDGET_BYTES. The numbers behind the limits
are in bench/RESULTS.md ("Avatar memory").
"""

from __future__ import annotations

import io
import math
import uuid
from typing import IO, Any

from django.core.files.base import ContentFile
from PIL import Image, ImageOps, UnidentifiedImageError

from contacts.errors import ContactsError, ValidationFailed

MAX_AVATAR_BYTES = 5 * 1024 * 1024
MAX_AVATAR_PIXELS = 25_000_000
MAX_AVATAR_SIDE = 10_000
# Avatars are shown at a few hundred pixels at most; 1024 leaves room for high-density screens.
AVATAR_OUTPUT_SIDE = 1024
# The decoded image (plus, for multi-scan JPEGs, the coefficient buffer) may use at most this much; the rest of
# the processing adds about 5 MiB, the upload itself up to 5 MB (bench/avatar_memory.py). 40 MiB still fits a
# 12-megapixel progressive photo and a 4K screenshot as PNG, and keeps a worker of about 90 MiB under 150.
DECODE_BUDGET_BYTES = 40 * 1024 * 1024
# Strips of about this many pixels are converted and reduced one at a time.
_STRIP_PIXELS = 250_000
_OPENED = ["JPEG", "PNG"]
# Pillow opens a JPEG with further frames after the first (some phones and cameras) as MPO; the first is kept.
_FORMATS = {"JPEG": ("jpg", "JPEG"), "MPO": ("jpg", "JPEG"), "PNG": ("png", "PNG")}
_TOO_MANY_PIXELS = "The avatar image is larger than 25 megapixels"
_TOO_LONG = f"The avatar image is wider or taller than {MAX_AVATAR_SIDE:,} pixels"


class AvatarTooLarge(ContactsError):
    """The file is over the byte limit (HTTP 413 where the surface has such a status)."""

    default_message = "The avatar file is larger than 5 MB"


def process_avatar(upload: Any, *, field: str = "file") -> ContentFile:
    """Return a clean re-encoded copy of `upload` (a file-like object) under a server-generated name.

    Raises `AvatarTooLarge` above 5 MB and `ValidationFailed` for anything that is not a decodable JPEG or PNG of
    at most 25 megapixels and 10,000 pixels a side that decodes within DECODE_BUDGET_BYTES. Images over
    AVATAR_OUTPUT_SIDE pixels on their longest side are shrunk to fit it. Nothing is written to storage here.
    """
    stream = _bounded_stream(upload, field)
    try:
        with Image.open(stream, formats=_OPENED) as image:
            extension, output_format = _FORMATS[image.format]
            # The header gives the size before any pixel is decoded: refuse bombs here.
            width, height = image.size
            if width * height > MAX_AVATAR_PIXELS:
                raise ValidationFailed(field, _TOO_MANY_PIXELS, code="invalid_image")
            if max(width, height) > MAX_AVATAR_SIDE:
                raise ValidationFailed(field, _TOO_LONG, code="invalid_image")
            target = fitted_size(image.size)
            coefficients = _jpeg_coefficient_bytes(image, stream) if output_format == "JPEG" else 0
            if output_format == "JPEG" and target != image.size:
                image.draft(None, _draft_request(image, target, coefficients))
                target = fitted_size(image.size)  # never enlarge what libjpeg decoded under the target
            _check_decode_budget(image, coefficients, width * height, field)
            image.load()
            if image.size == target:
                cleaned = ImageOps.exif_transpose(image)
            else:
                cleaned = _shrunk(image, target, output_format)
                ImageOps.exif_transpose(cleaned, in_place=True)
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
        raise ValidationFailed(field, _TOO_MANY_PIXELS, code="invalid_image") from None
    except UnidentifiedImageError:
        raise ValidationFailed(field, "The avatar must be a JPG or PNG image", code="invalid_image") from None
    except Exception:
        # Damaged files make Pillow raise many types (OSError, SyntaxError, struct.error, IndexError...).
        raise ValidationFailed(field, "The avatar image is damaged or truncated", code="invalid_image") from None
    return ContentFile(out.getvalue(), name=f"{uuid.uuid4().hex}.{extension}")


def fitted_size(size: tuple[int, int], side: int = AVATAR_OUTPUT_SIDE) -> tuple[int, int]:
    """`size` scaled down, keeping its aspect ratio, so that neither side exceeds `side` (unchanged if it fits)."""
    width, height = size
    if max(width, height) <= side:
        return size
    scale = side / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _bounded_stream(upload: Any, field: str) -> IO[bytes]:
    """`upload` itself, rewound, once it is known to hold 1 byte to 5 MB (a copy in memory if it cannot seek):
    Pillow reads it in small blocks, so the file is not held twice."""
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_AVATAR_BYTES:
        raise AvatarTooLarge(field, code="file_too_large")
    seekable = getattr(upload, "seekable", None)
    if seekable is not None and seekable():
        upload.seek(0, io.SEEK_END)
        size = upload.tell()
        upload.seek(0)
        stream = upload
    else:
        data = upload.read(MAX_AVATAR_BYTES + 1)
        size = len(data)
        stream = io.BytesIO(data)
    if size > MAX_AVATAR_BYTES:
        raise AvatarTooLarge(field, code="file_too_large")
    if not size:
        raise ValidationFailed(field, "The avatar file is empty", code="invalid_image")
    return stream


def _pixel_bytes(mode: str) -> int:
    # Pillow keeps 1-byte modes at 1 byte a pixel, 16-bit greyscale at 2 and every other mode at 4.
    return 1 if mode in ("1", "L", "P") else 2 if mode.startswith("I;16") else 4


def _decoded_bytes(width: int, height: int, mode: str) -> int:
    return height * (width * _pixel_bytes(mode) + 8)  # and one pointer per row


def _draft_request(image: Image.Image, target: tuple[int, int], coefficients: int) -> tuple[int, int]:
    """The size to ask `draft` for: libjpeg decodes at 1/2, 1/4 or 1/8 scale, by default the smallest not below
    `target`. Where the coefficient buffer leaves too little room for that, one scale smaller (the avatar is then
    stored between half the target and the target)."""
    width, height = image.size
    ratio = min(width // target[0], height // target[1])
    scale = next(candidate for candidate in (8, 4, 2, 1) if ratio >= candidate)
    over = coefficients + _decoded_bytes(math.ceil(width / scale), math.ceil(height / scale), image.mode)
    if over > DECODE_BUDGET_BYTES and scale < 8 and min(width, height) // (scale * 2) >= 1:
        scale *= 2
    return width // scale, height // scale


def _check_decode_budget(image: Image.Image, coefficients: int, full_pixels: int, field: str) -> None:
    """Refuse, before decoding, an image whose decoded pixels (at the scale it will be decoded at) and
    coefficient buffer would not fit in DECODE_BUDGET_BYTES."""
    width, height = image.size
    decoded = _decoded_bytes(width, height, image.mode)
    if decoded + coefficients <= DECODE_BUDGET_BYTES:
        return
    if coefficients:
        # The coefficient buffer grows with the full-size image: say how many full-size pixels would fit.
        fits = (DECODE_BUDGET_BYTES - decoded) / (coefficients / full_pixels)
        kind = "a progressive (multi-scan) JPEG with this colour sampling (a baseline JPEG may have 25)"
    else:
        pixel_bytes = _pixel_bytes(image.mode)
        fits = DECODE_BUDGET_BYTES / (pixel_bytes + 8 / width)
        kind = "a 16-bit greyscale PNG" if pixel_bytes == 2 else "a PNG with full colour or an alpha channel"
        kind += " (a palette or 8-bit greyscale PNG may have 25)"
    message = f"The avatar image is larger than {math.floor(fits / 100_000) / 10:.1f} megapixels, the most for {kind}"
    raise ValidationFailed(field, message, code="invalid_image")


def _jpeg_coefficient_bytes(image: Image.Image, stream: IO[bytes]) -> int:
    """Bytes libjpeg allocates for the whole image's DCT coefficients, or 0 when it decodes in one pass.

    libjpeg keeps every coefficient (2 bytes each, 64 per 8x8 block of each component) when the file is
    progressive or its first scan does not carry every component; DCT scaling does not shrink that buffer.
    """
    width, height = image.size
    if not image.info.get("progressive") and _first_scan_components(stream) >= len(image.layer):
        return 0
    h_max = max(h for _, h, _, _ in image.layer)
    v_max = max(v for _, _, v, _ in image.layer)
    blocks = sum(
        math.ceil(math.ceil(width * h / h_max) / 8) * math.ceil(math.ceil(height * v / v_max) / 8)
        for _, h, v, _ in image.layer
    )
    return blocks * 64 * 2


def _first_scan_components(stream: IO[bytes]) -> int:
    """How many components the first scan (SOS segment) of a JPEG carries; 0 if there is none. Walks the
    segments' headers only, and puts the stream back where it was."""
    where = stream.tell()
    try:
        stream.seek(2)  # after SOI
        while len(head := stream.read(2)) == 2 and head[0] == 0xFF:
            marker = head[1]
            if marker == 0xFF:  # fill byte
                stream.seek(-1, io.SEEK_CUR)
            elif 0xD0 <= marker <= 0xD7 or marker == 0x01:  # markers without a length
                continue
            elif marker == 0xDA:
                header = stream.read(3)
                return header[2] if len(header) == 3 else 0
            else:
                length = stream.read(2)
                if len(length) < 2:
                    return 0
                stream.seek(int.from_bytes(length, "big") - 2, io.SEEK_CUR)
        return 0
    finally:
        stream.seek(where)


def _shrunk(image: Image.Image, target: tuple[int, int], output_format: str) -> Image.Image:
    """A new image of `target` size from `image`, with its `info` (EXIF orientation is applied afterwards).

    A whole-factor box reduction runs strip by strip, converting each strip to a mode that can be resampled
    (the result is exactly one `reduce` of the whole image: every strip but the last is a whole number of blocks
    high). `image` is then closed, so its pixels are freed before the Lanczos resize from under twice the target.
    """
    mode = _working_mode(image, output_format)
    width, height = image.size
    factor_x, factor_y = max(1, width // target[0]), max(1, height // target[1])
    if (factor_x, factor_y) == (1, 1):
        reduced = _converted(image, mode)
    else:
        rows = factor_y * max(1, _STRIP_PIXELS // (width * factor_y))
        reduced = Image.new(mode, (math.ceil(width / factor_x), math.ceil(height / factor_y)))
        for top in range(0, height, rows):
            strip = _converted(image.crop((0, top, width, min(height, top + rows))), mode)
            reduced.paste(strip.reduce((factor_x, factor_y)), (0, top // factor_y))
    info = dict(image.info)
    info.pop("transparency", None)  # now an alpha channel, if there was any
    if reduced is not image:
        image.close()
    resized = reduced.resize(target, Image.Resampling.LANCZOS) if reduced.size != target else reduced.copy()
    resized.info = info
    return resized


def _working_mode(image: Image.Image, output_format: str) -> str:
    """The mode a shrunk `image` is resampled and stored in: 8-bit greyscale or RGB, with alpha where the PNG
    has transparency (a palette or a tRNS colour becomes an alpha channel)."""
    grey = image.mode in ("1", "L", "LA", "I", "I;16", "I;16B", "I;16L")
    if output_format == "JPEG":
        return "L" if grey else "RGB"
    alpha = image.mode in ("LA", "RGBA", "PA") or "transparency" in image.info
    if grey:
        return "LA" if alpha and image.mode in ("1", "L", "LA") else "L"
    return "RGBA" if alpha else "RGB"


def _converted(image: Image.Image, mode: str) -> Image.Image:
    if image.mode == mode:
        return image
    if image.mode.startswith("I"):
        # Pillow's conversion of 16-bit greyscale to L clips at 255 instead of scaling: scale first.
        return image.convert("I").point(lambda value: value / 256).convert("L")
    return image.convert(mode)
