"""Avatar size limits: what is refused before decoding, and the size and content of what is stored.

Memory itself is measured by bench/avatar_memory.py, not here; these tests pin the behaviour the limits produce.
"""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image
from rest_framework.test import APIClient

from contacts.errors import ValidationFailed
from contacts.models import Contact
from contacts.services.avatars import process_avatar
from tests.dialects.base import Awal, media_files, png_header_only

error = Awal.error
TOO_LONG = "The avatar image is wider or taller than 10,000 pixels"
TOO_MANY_PIXELS = "The avatar image is larger than 25 megapixels"
COLOUR_PNG = (
    "The avatar image is larger than 10.4 megapixels, the most for a PNG with full colour or an alpha channel "
    "(a palette or 8-bit greyscale PNG may have 25)"
)
GREY16_PNG = (
    "The avatar image is larger than 20.9 megapixels, the most for a 16-bit greyscale PNG "
    "(a palette or 8-bit greyscale PNG may have 25)"
)


def png(width: int, height: int, *, depth: int = 8, color: int = 2, row: bytes | None = None) -> bytes:
    """A PNG whose every row is `row` (filter byte included; default: zeros), compressed row by row so that even
    25,000,000 rows cost no memory to build."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    channels = {0: 1, 2: 3, 4: 2, 6: 4}[color]
    row = row if row is not None else b"\0" * (1 + width * channels * depth // 8)
    compressor = zlib.compressobj(1)
    batch = max(1, 1_000_000 // len(row))
    parts = [compressor.compress(row * min(batch, height - done)) for done in range(0, height, batch)]
    body = b"".join(parts) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, depth, color, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def halves(size: tuple[int, int], left=(255, 0, 0), right=(0, 0, 255), mode: str = "RGB") -> Image.Image:
    """Left half `left`, right half `right`."""
    image = Image.new("RGB", size, right)
    image.paste(left, (0, 0, size[0] // 2, size[1]))
    return image.convert(mode)


def stored(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(process_avatar(io.BytesIO(data)).read()))


def rejection(data: bytes) -> str:
    with pytest.raises(ValidationFailed) as caught:
        process_avatar(io.BytesIO(data), field="file")
    assert (caught.value.field, caught.value.code) == ("file", "invalid_image")
    return caught.value.message


# Refused from the header.


@pytest.mark.parametrize(
    ("width", "height", "message"),
    [
        (1, 25_000_000, TOO_LONG),
        (25_000_000, 1, TOO_LONG),
        (10_001, 1, TOO_LONG),
        (5001, 5000, TOO_MANY_PIXELS),
        (5000, 5000, COLOUR_PNG),
        (3300, 3200, COLOUR_PNG),
    ],
    ids=["1x25M", "25Mx1", "10001x1", "over-25MP", "25MP-colour", "10.6MP-colour"],
)
def test_png_refused_from_its_header(width, height, message):
    # One tiny compressed row for the whole image: decoding it would fail, so the refusal must come first.
    assert rejection(png_header_only(width, height)) == message


def test_16_bit_greyscale_png_over_its_limit_is_refused():
    assert rejection(png(4600, 4600, depth=16, color=0)) == GREY16_PNG


def test_jpeg_wider_than_10000_pixels_is_refused():
    assert rejection(encoded(Image.new("RGB", (10_001, 8)), "JPEG")) == TOO_LONG


def test_progressive_jpeg_over_its_limit_is_refused():
    # 7.2 MP with full-resolution chroma: libjpeg would hold 43 MB of coefficients.
    data = encoded(halves((3000, 2400)), "JPEG", progressive=True, subsampling=0, quality=80)

    assert rejection(data) == (
        "The avatar image is larger than 6.6 megapixels, the most for a progressive (multi-scan) JPEG with this "
        "colour sampling (a baseline JPEG may have 25)"
    )


# Accepted and shrunk.


def test_10000_by_1_png_is_stored_1024_by_1():
    image = stored(png(10_000, 1))

    assert (image.format, image.size, image.mode) == ("PNG", (1024, 1), "RGB")


def test_large_colour_png_is_stored_at_1024_pixels_with_its_content():
    image = stored(encoded(halves((3000, 2000)), "PNG"))

    assert (image.format, image.size, image.mode) == ("PNG", (1024, 683), "RGB")
    assert image.getpixel((100, 300)) == (255, 0, 0)
    assert image.getpixel((900, 300)) == (0, 0, 255)


def test_large_palette_png_keeps_its_transparency_as_alpha():
    palette = Image.new("P", (5000, 5000), 1)
    palette.putpalette([0, 255, 0, 255, 0, 0])
    palette.paste(0, (0, 0, 2500, 5000))  # left half: index 0, transparent
    image = stored(encoded(palette, "PNG", transparency=0))

    assert (image.size, image.mode) == ((1024, 1024), "RGBA")
    assert image.getpixel((100, 500))[3] == 0
    assert image.getpixel((900, 500)) == (255, 0, 0, 255)


def test_large_16_bit_greyscale_png_is_scaled_to_8_bits():
    # Every sample 0x8000: half of the 16-bit range.
    image = stored(png(4000, 4000, depth=16, color=0, row=b"\0" + b"\x80\x00" * 4000))

    assert (image.size, image.mode) == ((1024, 1024), "L")
    assert image.getpixel((500, 500)) == 128


def test_large_jpeg_is_stored_at_1024_pixels_upright():
    exif = Image.Exif()
    exif[0x0112] = 6  # displayed rotated 90° clockwise: the left half ends up on top
    image = stored(encoded(halves((4000, 3000)), "JPEG", exif=exif, quality=90))

    assert (image.format, image.size) == ("JPEG", (768, 1024))
    assert dict(image.getexif()) == {}
    red, _, blue = image.getpixel((384, 100))
    assert red > 200 and blue < 60
    red, _, blue = image.getpixel((384, 900))
    assert red < 60 and blue > 200


def test_cmyk_jpeg_is_shrunk_to_rgb():
    image = stored(encoded(Image.new("CMYK", (3000, 3000), (0, 255, 255, 0)), "JPEG"))

    assert (image.size, image.mode) == ((1024, 1024), "RGB")
    red, green, blue = image.getpixel((500, 500))
    assert red > 200 and green < 60 and blue < 60


def test_progressive_12_megapixel_photo_is_stored_under_1024_pixels():
    # Its coefficient buffer leaves no room to decode at half size, so libjpeg decodes it at a quarter.
    image = stored(encoded(halves((4000, 3000)), "JPEG", progressive=True, quality=80))

    assert (image.format, image.size) == ("JPEG", (1000, 750))


def test_small_images_are_kept_at_their_size():
    assert stored(encoded(halves((1024, 600)), "JPEG")).size == (1024, 600)
    assert stored(encoded(halves((300, 1024), mode="RGBA"), "PNG")).size == (300, 1024)


def test_jpeg_with_extra_frames_is_stored_as_its_first_frame():
    first, second = Image.new("RGB", (64, 48), (255, 0, 0)), Image.new("RGB", (64, 48), (0, 0, 255))
    result = process_avatar(io.BytesIO(encoded(first, "MPO", save_all=True, append_images=[second])))

    assert result.name.endswith(".jpg")
    image = Image.open(io.BytesIO(result.read()))
    assert (image.format, image.size) == ("JPEG", (64, 48))
    red, _, blue = image.getpixel((32, 24))
    assert red > 200 and blue < 60


def test_stream_that_cannot_seek_is_read_once():
    class OneWay(io.RawIOBase):
        def __init__(self, data: bytes):
            self.data = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def seekable(self) -> bool:
            return False

        def readinto(self, buffer) -> int:
            chunk = self.data.read(len(buffer))
            buffer[: len(chunk)] = chunk
            return len(chunk)

    result = process_avatar(OneWay(encoded(halves((2000, 1000)), "PNG")))

    assert Image.open(io.BytesIO(result.read())).size == (1024, 512)


# Through a dialect: the refusal is the usual 422 and nothing is written.


@pytest.mark.django_db
def test_awal_upload_of_a_1_by_25_million_png_is_422(organization):
    awal = Awal.authenticate(APIClient(), organization)

    response = awal.create(
        {"name": "Omar", "phone": "966501234568"}, [("file", "tall.png", png(1, 25_000_000), "image/png")]
    )

    assert response.status_code == 422, response.content
    assert response.json() == error("validation_failed", TOO_LONG, {"file": TOO_LONG})
    assert media_files() == []
    assert not Contact.objects.exists()
