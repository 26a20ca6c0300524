"""Awal avatar uploads: only real JPG/PNG files are stored, re-encoded without metadata under a server name;
everything else is a clean 4xx that leaves no file and no row."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.conf import settings
from PIL import Image

from contacts.models import Contact
from tests.dialects.base import (
    Awal,
    AwalTestClient,
    jpeg_bytes,
    media_files,
    oriented_jpeg,
    png_bytes,
    png_header_only,
)
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

error = Awal.error
FIVE_MB = 5 * 1024 * 1024
FIELDS = {"name": "Omar", "phone": "966501234568"}
NOT_JPG_OR_PNG = "The avatar must be a JPG or PNG image"
DAMAGED = "The avatar image is damaged or truncated"
TOO_MANY_PIXELS = "The avatar image is larger than 25 megapixels"


@pytest.fixture
def awal(api_client, organization) -> AwalTestClient:
    return Awal.authenticate(api_client, organization)


def image_bytes(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (1, 2, 3)).save(out, format=fmt)
    return out.getvalue()


def assert_nothing_written() -> None:
    assert media_files() == []
    assert not Contact.objects.exists()


def stored_image(contact: Contact) -> Image.Image:
    path = Path(settings.MEDIA_ROOT) / contact.avatar.name
    return Image.open(path)


# Accepted.


def test_jpeg_is_stored_upright_without_metadata(awal, organization):
    response = awal.create(FIELDS, [("file", "holiday photo.JPG", oriented_jpeg(), "image/jpeg")])

    assert response.status_code == 201, response.content
    contact = Contact.objects.get()
    assert re.fullmatch(rf"avatars/{organization.pk}/[0-9a-f]{{32}}\.jpg", contact.avatar.name)
    assert response.json()["data"]["avatar"] == f"http://testserver/media/{contact.avatar.name}"
    assert media_files() == [Path(settings.MEDIA_ROOT) / contact.avatar.name]
    with stored_image(contact) as stored:
        assert stored.format == "JPEG"
        # Orientation 6 applied: 40 x 20 became 20 x 40 with the red half on top.
        assert stored.size == (20, 40)
        red, _green, blue = stored.convert("RGB").getpixel((10, 5))
        assert red > 200 and blue < 60
        assert dict(stored.getexif()) == {}
        assert "exif" not in stored.info and "comment" not in stored.info and "icc_profile" not in stored.info


def test_png_is_stored_without_text_chunks(awal):
    image = Image.new("RGBA", (12, 10), (10, 120, 200, 128))
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", "secret location")
    out = io.BytesIO()
    image.save(out, format="PNG", pnginfo=info)

    response = awal.create(FIELDS, [("file", "logo.png", out.getvalue(), "image/png")])

    assert response.status_code == 201, response.content
    contact = Contact.objects.get()
    assert contact.avatar.name.endswith(".png")
    with stored_image(contact) as stored:
        assert stored.format == "PNG"
        assert stored.size == (12, 10)
        assert stored.getpixel((0, 0)) == (10, 120, 200, 128)
        assert "Comment" not in stored.info


def test_jpeg_content_with_png_name_is_stored_as_jpeg(awal):
    response = awal.create(FIELDS, [("file", "avatar.png", jpeg_bytes(), "image/png")])

    assert response.status_code == 201
    assert Contact.objects.get().avatar.name.endswith(".jpg")


def test_full_5_mb_upload_is_accepted(awal):
    # A small JPEG padded after its end marker to exactly 5 MB: decoders ignore the tail.
    data = jpeg_bytes()
    data += b"\0" * (FIVE_MB - len(data))

    response = awal.create(FIELDS, [("file", "big.jpg", data, "image/jpeg")])

    assert response.status_code == 201, response.content
    assert len(media_files()) == 1


def test_path_traversal_file_name_is_ignored(awal, organization, tmp_path):
    response = awal.create(FIELDS, [("file", "../../x.png", png_bytes(), "image/png")])

    assert response.status_code == 201
    contact = Contact.objects.get()
    assert re.fullmatch(rf"avatars/{organization.pk}/[0-9a-f]{{32}}\.png", contact.avatar.name)
    assert media_files() == [Path(settings.MEDIA_ROOT) / contact.avatar.name]
    assert not list(tmp_path.rglob("x.png"))


def test_patch_replaces_the_avatar_and_deletes_the_old_file(awal, organization):
    created = awal.create(FIELDS, [("file", "a.jpg", jpeg_bytes(), "image/jpeg")])
    contact = Contact.objects.get(pk=created.json()["data"]["id"])
    old_name = contact.avatar.name

    response = awal.patch(contact.pk, {}, [("file", "b.png", png_bytes(), "image/png")])

    assert response.status_code == 200
    contact.refresh_from_db()
    assert contact.avatar.name != old_name and contact.avatar.name.endswith(".png")
    assert response.json()["data"]["avatar"] == f"http://testserver/media/{contact.avatar.name}"
    assert media_files() == [Path(settings.MEDIA_ROOT) / contact.avatar.name]


def test_failed_patch_leaves_no_new_file(awal, organization):
    ContactFactory(organization=organization, phone="+966501112222")
    contact = ContactFactory(organization=organization, phone="+966501113333")

    response = awal.patch(contact.pk, {"phone": "966501112222"}, [("file", "b.png", png_bytes(), "image/png")])

    assert response.status_code == 409
    assert media_files() == []
    contact.refresh_from_db()
    assert not contact.avatar


# Rejected: each a clean 4xx, no file, no row.

SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>'
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


@pytest.mark.parametrize(
    ("filename", "content", "content_type", "message"),
    [
        ("a.gif", image_bytes("GIF"), "image/gif", NOT_JPG_OR_PNG),
        ("a.webp", image_bytes("WEBP"), "image/webp", NOT_JPG_OR_PNG),
        ("a.svg", SVG, "image/svg+xml", NOT_JPG_OR_PNG),
        ("page.png", HTML, "image/png", NOT_JPG_OR_PNG),
        ("../../x.png", HTML, "image/png", NOT_JPG_OR_PNG),
        ("cut.jpg", jpeg_bytes(size=(200, 200))[:400], "image/jpeg", DAMAGED),
        ("bomb.png", png_header_only(6000, 5000), "image/png", TOO_MANY_PIXELS),
        ("huge-bomb.png", png_header_only(20000, 20000), "image/png", TOO_MANY_PIXELS),
    ],
    ids=["gif", "webp", "svg", "html-renamed-png", "traversal-name", "truncated-jpeg", "bomb", "huge-bomb"],
)
def test_invalid_upload_is_422(awal, filename, content, content_type, message):
    response = awal.create(FIELDS, [("file", filename, content, content_type)])

    assert response.status_code == 422, response.content
    assert response.json() == error("validation_failed", message, {"file": message})
    assert_nothing_written()


def test_file_over_5_mb_is_413(awal):
    data = jpeg_bytes()
    data += b"\0" * (FIVE_MB + 1 - len(data))

    response = awal.create(FIELDS, [("file", "big.jpg", data, "image/jpeg")])

    assert response.status_code == 413
    message = "The avatar file is larger than 5 MB"
    assert response.json() == error("payload_too_large", message, {"file": message})
    assert_nothing_written()


def test_empty_file_is_422(awal):
    response = awal.create(FIELDS, [("file", "empty.jpg", b"", "image/jpeg")])

    assert response.status_code == 422
    message = "The submitted file is empty."
    assert response.json() == error("validation_failed", message, {"file": message})
    assert_nothing_written()


def test_file_sent_as_text_field_is_422(awal):
    response = awal.create({**FIELDS, "file": "not a file"})

    assert response.status_code == 422
    message = "The submitted data was not a file. Check the encoding type on the form."
    assert response.json() == error("validation_failed", message, {"file": message})
    assert_nothing_written()


def test_valid_upload_with_invalid_field_leaves_no_file(awal):
    response = awal.create({**FIELDS, "email": "nope"}, [("file", "a.jpg", jpeg_bytes(), "image/jpeg")])

    assert response.status_code == 422
    assert_nothing_written()


def test_avatar_url_is_stored_and_never_fetched(awal, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("the server must not fetch avatar URLs")

    monkeypatch.setattr("socket.socket.connect", no_network)
    monkeypatch.setattr("urllib.request.urlopen", no_network)

    response = awal.create({**FIELDS, "avatar": "http://169.254.169.254/latest/meta-data/"})

    assert response.status_code == 201
    assert response.json()["data"]["avatar"] == "http://169.254.169.254/latest/meta-data/"
    assert media_files() == []
