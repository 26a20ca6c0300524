"""What every dialect's tests share, one class per dialect (Zulip's `WebhookTestCase` is the model): where the
dialect is mounted, how a client authenticates, how a fixture body is loaded and what the dialect's error body is.

    client = Mobivate.client_fixture()          # a pytest fixture: an authenticated test client
    body = Mobivate.fixture("create_contact_request.json")
    Mobivate.assert_error(response, 400, "ValidationError", 400, "Msisdn is invalid")

Error bodies are written out literally here, from the vendors' documentation, never from the server's code.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import io
import json
import struct
import time
import zlib
from pathlib import Path
from typing import Any, ClassVar

import pytest
from django.conf import settings
from django.test import TestCase
from PIL import Image
from rest_framework.test import APIClient

from contacts.models.credentials import ALL_SCOPES
from contacts.services import credentials
from tests.factories import SenderNumberFactory
from tests.matchers import Matches

FIXTURES = Path(__file__).parent / "fixtures"


def pinned(contact, *, uuid: str, created_at: str):
    """`contact` with the uuid and creation time the test chose (both are generated when a contact is made), so
    the bodies it is expected in can be written out literally."""
    type(contact).objects.filter(pk=contact.pk).update(uuid=uuid, created_at=dt.datetime.fromisoformat(created_at))
    contact.refresh_from_db()
    return contact


class CommittingAPIClient(APIClient):
    """Runs what a request deferred to its commit (avatar files written, replaced ones deleted) when the request
    ends, as a real server does; inside a test's transaction the commit itself never comes."""

    def request(self, **kwargs):
        with TestCase.captureOnCommitCallbacks(execute=True):
            return super().request(**kwargs)


class Dialect:
    """One dialect under test. Subclasses set `mount` and `fixture_dir` and write out `error`."""

    mount: ClassVar[str] = ""
    fixture_dir: ClassVar[str] = ""

    @classmethod
    def url(cls, path: str = "") -> str:
        return cls.mount + path

    @classmethod
    def fixture(cls, name: str) -> Any:
        """A JSON fixture of the dialect (its contract's examples), parsed."""
        return json.loads(cls.raw_fixture(name).decode("utf-8"))

    @classmethod
    def raw_fixture(cls, name: str) -> bytes:
        return (FIXTURES / cls.fixture_dir / name).read_bytes()

    @staticmethod
    def error(*args: Any, **kwargs: Any) -> dict:
        """The dialect's error body, literal apart from generated values (`tests.matchers.Matches`)."""
        raise NotImplementedError

    @classmethod
    def assert_error(cls, response, status: int, *args: Any, **kwargs: Any) -> None:
        """`response` is the dialect's `status` answer with the error body `error(*args, **kwargs)`."""
        assert response.status_code == status, response.content
        assert response.json() == cls.error(*args, **kwargs)

    @classmethod
    def authenticate(cls, api_client, secret: str):
        raise NotImplementedError

    @classmethod
    def client_fixture(cls):
        """A pytest fixture: the test client authenticated with the `api_key` fixture's secret."""

        @pytest.fixture
        def client(api_client, api_key):
            return cls.authenticate(api_client, api_key[1])

        return client


class Mobivate(Dialect):
    mount = "/mobivate"
    fixture_dir = "mobivate"

    @staticmethod
    def error(name: str, status: int, message: Any) -> dict:
        return {"success": False, "error": {"name": name, "statusCode": status, "message": message}}

    @classmethod
    def authenticate(cls, api_client, secret: str):
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}", HTTP_ACCEPT="application/json")
        return api_client


class Contactship(Dialect):
    mount = "/contactship"
    fixture_dir = "contactship"

    @staticmethod
    def error(status: int, reason: str, message: str) -> dict:
        return {"statusCode": status, "error": reason, "message": message}

    @classmethod
    def authenticate(cls, api_client, secret: str):
        api_client.credentials(HTTP_X_API_KEY=secret)
        return api_client


class Callbell(Dialect):
    mount = "/callbell"
    fixture_dir = "callbell"

    @staticmethod
    def error(code: str, message: str, details: dict | None = None) -> dict:
        return {"error": {"code": code, "message": message, "details": details or {}}}

    @classmethod
    def authenticate(cls, api_client, secret: str):
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        return api_client


class Sfmc(Dialect):
    mount = "/sfmc"
    fixture_dir = "sfmc"

    @staticmethod
    def error(message: str, errorcode: int) -> dict:
        return {"message": message, "errorcode": errorcode, "documentation": ""}

    @classmethod
    def authenticate(cls, api_client, oauth_client):
        """SFMC's REST endpoints take a bearer token issued to an OAuth client, not an API key."""
        _, raw = credentials.issue_access_token(oauth_client, scopes=list(ALL_SCOPES), scope_text="")
        api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        return api_client

    @classmethod
    def oauth_client_fixture(cls):
        @pytest.fixture
        def oauth_client(organization):
            client, _ = credentials.create_oauth_client(
                organization=organization, name="SFMC", client_id="sfmc", secret="s"
            )
            return client

        return oauth_client

    @classmethod
    def client_fixture(cls):
        @pytest.fixture
        def client(api_client, oauth_client):
            return cls.authenticate(api_client, oauth_client)

        return client


# --- Awal: requests signed with an HMAC secret --------------------------------------------------------------------

BOUNDARY = "----AwalTestBoundary7MA4YWxkTrZu0gW"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
CLIENT_ID = "acme-awal-client"
CLIENT_SECRET = "acme-awal-secret-for-tests"
SENDER_ID = "123456"


def encode_form(fields: dict[str, str] | None = None, files: list[tuple[str, str, bytes, str]] = ()) -> bytes:
    """A multipart body, built by hand so tests control file names byte for byte."""
    parts = []
    for name, value in (fields or {}).items():
        parts.append(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, filename, content, content_type in files:
        head = (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: {content_type}\r\n\r\n"
        )
        parts.append(head.encode() + content + b"\r\n")
    parts.append(f"--{BOUNDARY}--\r\n".encode())
    return b"".join(parts)


def awal_signature(secret: str, method: str, path: str, query: str, timestamp: str, body: bytes) -> str:
    """The documented recipe, written out independently of the server's code."""
    message = method.encode() + path.encode() + (b"?" + query.encode() if query else b"") + timestamp.encode() + body
    return "sha256=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


# --- Images for avatar uploads (Awal's multipart, the others' URLs) ----------------------------------------------


def jpeg_bytes(size=(40, 20), color=(200, 30, 30), exif: Image.Exif | None = None, **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="JPEG", **({"exif": exif} if exif is not None else {}), **save)
    return out.getvalue()


def png_bytes(size=(16, 16), color=(10, 120, 200, 255)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, color).save(out, format="PNG")
    return out.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header declares `width` x `height` pixels, with one tiny compressed row: a decompression bomb
    as far as any decoder that trusts the header is concerned."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    )


def oriented_jpeg() -> bytes:
    """40 x 20 pixels, left half red, with EXIF orientation 6 (display rotated 90° clockwise), a camera make and
    a GPS block, and a JPEG comment."""
    image = Image.new("RGB", (40, 20), (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, 20, 20))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation
    exif[0x010F] = "Camera Maker"  # Make
    exif[0x8825] = {1: "N", 2: (24.0, 42.0, 0.0)}  # GPSInfo
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif, comment=b"taken at home", quality=95)
    return out.getvalue()


def media_files() -> list[Path]:
    """Every file under MEDIA_ROOT (a per-test folder, see tests/conftest.py)."""
    root = Path(settings.MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


class AwalTestClient:
    """Sends signed Awal requests through Django's test client; every part of the signing can be overridden."""

    def __init__(self, api_client, client_id: str, secret: str, domain: str) -> None:
        self.api_client = api_client
        self.client_id = client_id
        self.secret = secret
        self.domain = domain

    def request(
        self,
        method: str,
        path: str,
        *,
        query: str = "",
        body: bytes = b"",
        content_type: str = MULTIPART,
        timestamp: str | None = None,
        headers: dict[str, str | None] | None = None,
        signed_body: bytes | None = None,
    ):
        full_path = Awal.mount + path
        timestamp = str(int(time.time())) if timestamp is None else timestamp
        sent = {
            "Accept": "application/json",
            "X-Awal-Signature-256": awal_signature(
                self.secret, method, full_path, query, timestamp, body if signed_body is None else signed_body
            ),
            "X-Timestamp": timestamp,
            "X-Domain": self.domain,
            "X-Client-ID": self.client_id,
        }
        for name, value in (headers or {}).items():
            if value is None:
                sent.pop(name, None)
            else:
                sent[name] = value
        url = full_path + (f"?{query}" if query else "")
        return self.api_client.generic(method, url, data=body, content_type=content_type, headers=sent)

    def create(self, fields: dict[str, str], files=(), query: str = f"phone_number_id={SENDER_ID}", **kwargs):
        return self.request("POST", "/contacts", query=query, body=encode_form(fields, files), **kwargs)

    def patch(self, contact_id: int, fields: dict[str, str], files=(), **kwargs):
        return self.request("PATCH", f"/contacts/{contact_id}", body=encode_form(fields, files), **kwargs)

    def get(self, path: str, query: str = "", **kwargs):
        return self.request("GET", path, query=query, **kwargs)

    def delete(self, path: str, **kwargs):
        return self.request("DELETE", path, **kwargs)


class Awal(Dialect):
    mount = "/awal"
    fixture_dir = "awal"
    REQUEST_ID = Matches(r"req_[0-9a-f]{32}")

    @staticmethod
    def error(code: str, message: str, details: dict | None = None) -> dict:
        return {"error": code, "message": message, "details": details or {}, "request_id": Awal.REQUEST_ID}

    @classmethod
    def authenticate(cls, api_client, organization) -> AwalTestClient:
        """A signing client for `organization`, which gets an HMAC client and the sender number SENDER_ID."""
        credentials.create_hmac_client(
            organization=organization, name="Acme Awal", client_id=CLIENT_ID, secret=CLIENT_SECRET
        )
        SenderNumberFactory(organization=organization, external_id=SENDER_ID)
        return AwalTestClient(api_client, CLIENT_ID, CLIENT_SECRET, organization.slug)
