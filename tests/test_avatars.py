"""contacts.services.avatars.process_avatar: content-checked, bounded, re-encoded without metadata."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from PIL.PngImagePlugin import PngInfo

from contacts.errors import ValidationFailed
from contacts.services.avatars import MAX_AVATAR_BYTES, AvatarTooLarge, process_avatar
from tests.dialects.base import oriented_jpeg, png_header_only


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def decoded(result) -> Image.Image:
    return Image.open(io.BytesIO(result.read()))


def test_jpeg_orientation_applied_and_all_metadata_dropped():
    result = process_avatar(SimpleUploadedFile("me.jpg", oriented_jpeg()))

    assert re.fullmatch(r"[0-9a-f]{32}\.jpg", result.name)
    image = decoded(result)
    assert image.format == "JPEG"
    assert image.size == (20, 40)
    assert dict(image.getexif()) == {}
    assert not {"exif", "comment", "icc_profile"} & set(image.info)


def test_icc_profile_is_dropped_from_jpeg_and_png():
    profile = b"\0" * 128 + b"acsp" + b"\0" * 400  # content is irrelevant: it must simply not survive
    for fmt in ("JPEG", "PNG"):
        data = encoded(Image.new("RGB", (4, 4)), fmt, icc_profile=profile)
        assert "icc_profile" in Image.open(io.BytesIO(data)).info

        image = decoded(process_avatar(io.BytesIO(data)))

        assert "icc_profile" not in image.info, fmt


def test_png_text_dropped_transparency_kept():
    info = PngInfo()
    info.add_text("Author", "someone")
    palette = Image.new("P", (4, 4), 1)
    palette.putpalette([0, 0, 0, 255, 0, 0])
    data = encoded(palette, "PNG", pnginfo=info, transparency=1)

    image = decoded(process_avatar(io.BytesIO(data)))

    assert image.format == "PNG"
    assert "Author" not in image.info
    assert image.convert("RGBA").getpixel((0, 0)) == (255, 0, 0, 0)


def test_cmyk_jpeg_is_re_encoded_as_rgb():
    data = encoded(Image.new("CMYK", (4, 4), (0, 255, 255, 0)), "JPEG")

    assert decoded(process_avatar(io.BytesIO(data))).mode == "RGB"


def test_size_limit_uses_declared_size_and_bytes_read():
    upload = SimpleUploadedFile("big.jpg", b"\xff" * 10)
    upload.size = MAX_AVATAR_BYTES + 1
    with pytest.raises(AvatarTooLarge):
        process_avatar(upload)
    with pytest.raises(AvatarTooLarge):
        process_avatar(io.BytesIO(b"\xff" * (MAX_AVATAR_BYTES + 1)))


def test_reads_from_the_start_of_an_already_read_upload():
    upload = SimpleUploadedFile("me.jpg", oriented_jpeg())
    upload.read()

    assert decoded(process_avatar(upload)).size == (20, 40)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The avatar file is empty"),
        (b"GIF89a" + b"\0" * 20, "The avatar must be a JPG or PNG image"),
        (png_header_only(5001, 5000), "The avatar image is larger than 25 megapixels"),
        (png_header_only(30000, 30000), "The avatar image is larger than 25 megapixels"),
        (encoded(Image.new("RGB", (64, 64)), "PNG")[:60], "The avatar image is damaged or truncated"),
    ],
    ids=["empty", "gif", "bomb", "huge-bomb", "truncated-png"],
)
def test_invalid_images_raise_validation_failed(data, message):
    with pytest.raises(ValidationFailed) as caught:
        process_avatar(io.BytesIO(data), field="file")

    assert (caught.value.field, caught.value.message, caught.value.code) == ("file", message, "invalid_image")
