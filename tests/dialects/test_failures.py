"""Failures that are nobody's input: an unexpected exception, an error at COMMIT, a database that cannot be reached.
Each answers in the dialect's own error body (never Django's HTML page), an outage as 503 with Retry-After, and the
service recovers by itself when the database comes back."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from dataclasses import dataclass, field
from unittest import mock

import pytest
import requests
from django.db import IntegrityError, OperationalError, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.test import Client

from contacts.api import base
from contacts.errors import ValidationFailed
from contacts.models import Contact
from contacts.models.credentials import ALL_SCOPES
from contacts.services import credentials
from contacts.services.contacts import create_contact
from tests.dialects.base import CLIENT_ID, CLIENT_SECRET, MULTIPART, SENDER_ID, awal_signature, encode_form
from tests.factories import SenderNumberFactory, make_api_key

UNAVAILABLE = "The service is temporarily unavailable; retry later"


@dataclass
class Call:
    method: str
    path: str
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


class Surface:
    """One dialect endpoint: how to call it, and the dialect's 500 and 503 bodies."""

    name = ""
    internal: dict = {}
    unavailable: dict = {}

    def setup(self, organization) -> None:
        pass

    def read(self) -> Call:
        raise NotImplementedError

    def create(self) -> Call:
        raise NotImplementedError

    def body_matches(self, actual: dict, expected: dict) -> bool:
        return actual == expected


class Mobivate(Surface):
    name = "mobivate"
    internal = {
        "success": False,
        "error": {"name": "InternalServerError", "statusCode": 500, "message": "Internal server error"},
    }
    unavailable = {
        "success": False,
        "error": {
            "name": "ServiceUnavailableError",
            "statusCode": 503,
            "message": "Service temporarily unavailable, retry later",
        },
    }

    def setup(self, organization):
        self.headers = {"Authorization": f"Bearer {make_api_key(organization)[1]}", "Content-Type": "application/json"}

    def read(self):
        return Call("GET", "/mobivate/addressbook/contacts", headers=self.headers)

    def create(self):
        return Call(
            "POST", "/mobivate/addressbook/contacts", b'{"alias": "ana", "msisdn": "12125550100"}', self.headers
        )


class Contactship(Surface):
    name = "contactship"
    internal = {"statusCode": 500, "error": "Internal Server Error", "message": "Internal server error"}
    unavailable = {"statusCode": 503, "error": "Service Unavailable", "message": UNAVAILABLE}

    def setup(self, organization):
        self.headers = {"x-api-key": make_api_key(organization)[1], "Content-Type": "application/json"}

    def read(self):
        return Call("GET", "/contactship/v1/contacts", headers=self.headers)

    def create(self):
        body = b'{"phone_number": "+12125550100", "full_name": "Ana"}'
        return Call("POST", "/contactship/v1/contacts", body, self.headers)


class Callbell(Surface):
    name = "callbell"
    internal = {"error": {"code": "internal_error", "message": "Internal server error", "details": {}}}
    unavailable = {"error": {"code": "service_unavailable", "message": UNAVAILABLE, "details": {}}}

    def setup(self, organization):
        self.headers = {"Authorization": f"Bearer {make_api_key(organization)[1]}", "Content-Type": "application/json"}

    def read(self):
        return Call("GET", "/callbell/v1/contacts", headers=self.headers)

    def create(self):
        body = b'{"identifier": "12125550100", "source": "whatsapp", "name": "Ana"}'
        return Call("POST", "/callbell/v1/contacts", body, self.headers)


class Awal(Surface):
    name = "awal"
    internal = {"error": "internal_error", "message": "Internal server error", "details": {}}
    unavailable = {"error": "service_unavailable", "message": UNAVAILABLE, "details": {}}
    _skew = iter(range(10_000))

    def setup(self, organization):
        credentials.create_hmac_client(
            organization=organization, name="Awal", client_id=CLIENT_ID, secret=CLIENT_SECRET
        )
        SenderNumberFactory(organization=organization, external_id=SENDER_ID)
        self.domain = organization.slug

    def _signed(self, method: str, path: str, query: str, body: bytes) -> Call:
        timestamp = str(int(time.time()) - next(self._skew) % 250)  # every signature unique (replays are refused)
        headers = {
            "Accept": "application/json",
            "X-Awal-Signature-256": awal_signature(CLIENT_SECRET, method, path, query, timestamp, body),
            "X-Timestamp": timestamp,
            "X-Domain": self.domain,
            "X-Client-ID": CLIENT_ID,
        }
        if body:
            headers["Content-Type"] = MULTIPART
        return Call(method, path + (f"?{query}" if query else ""), body, headers)

    def read(self):
        return self._signed("GET", "/awal/contacts", "", b"")

    def create(self):
        body = encode_form({"name": "Ana", "phone": "966501234567"})
        return self._signed("POST", "/awal/contacts", f"phone_number_id={SENDER_ID}", body)

    def body_matches(self, actual, expected):
        request_id = actual.get("request_id", "")
        return request_id.startswith("req_") and {k: v for k, v in actual.items() if k != "request_id"} == expected


class Sfmc(Surface):
    name = "sfmc"
    internal = {"message": "An unexpected error occurred", "errorcode": 50000, "documentation": ""}
    unavailable = {
        "message": "Service temporarily unavailable",
        "errorcode": 50003,
        "documentation": "",
        "retryAfter": 5,
    }

    def setup(self, organization):
        client, _ = credentials.create_oauth_client(organization=organization, name="f", client_id="f", secret="s")
        _, token = credentials.issue_access_token(client, scopes=ALL_SCOPES, scope_text="")
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def read(self):
        return Call("GET", "/sfmc/contacts/v1/attributeSetDefinitions", headers=self.headers)

    def create(self):
        body = (
            b'{"contactKey": "ana", "attributeSets": [{"name": "Email Addresses", "items": [{"values": ['
            b'{"name": "Email Address", "value": "ana@example.com"}, {"name": "HTML Enabled", "value": true}]}]}]}'
        )
        return Call("POST", "/sfmc/contacts/v1/contacts", body, self.headers)


class SfmcToken(Surface):
    name = "sfmc-token"
    internal = {
        "error": "server_error",
        "error_description": "An unexpected error occurred",
        "error_uri": "https://developer.salesforce.com/docs",
    }
    unavailable = {
        "error": "temporarily_unavailable",
        "error_description": UNAVAILABLE,
        "error_uri": "https://developer.salesforce.com/docs",
    }

    def setup(self, organization):
        credentials.create_oauth_client(organization=organization, name="t", client_id="tok", secret="tok-secret")

    def read(self):
        body = b'{"grant_type": "client_credentials", "client_id": "tok", "client_secret": "tok-secret"}'
        return Call("POST", "/sfmc/v2/token", body, {"Content-Type": "application/json"})

    create = read


SURFACES = [Mobivate, Contactship, Callbell, Awal, Sfmc, SfmcToken]


def send(call: Call):
    headers = {name: value for name, value in call.headers.items() if name != "Content-Type"}
    content_type = call.headers.get("Content-Type", "application/octet-stream")
    return Client().generic(call.method, call.path, data=call.body, content_type=content_type, headers=headers)


def assert_dialect_error(surface: Surface, response, status: int, expected: dict) -> None:
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert surface.body_matches(response.json(), expected), response.json()
    assert response["Cache-Control"] == "no-store"


def _raise_after_initial(exc: BaseException):
    real_initial = base.DialectAPIView.initial

    def initial(self, request, *args, **kwargs):
        real_initial(self, request, *args, **kwargs)
        raise exc

    return mock.patch.object(base.DialectAPIView, "initial", initial)


@pytest.mark.django_db
@pytest.mark.parametrize("surface", SURFACES, ids=[s.name for s in SURFACES], indirect=True)
def test_an_unexpected_exception_is_the_dialects_500(surface):
    with _raise_after_initial(RuntimeError("boom")):
        response = send(surface.create())

    assert_dialect_error(surface, response, 500, surface.internal)
    assert not Contact.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("surface", SURFACES, ids=[s.name for s in SURFACES], indirect=True)
def test_what_a_failed_request_wrote_is_rolled_back(surface, organization):
    real_initial = base.DialectAPIView.initial

    def write_then_fail(self, request, *args, **kwargs):
        real_initial(self, request, *args, **kwargs)
        create_contact(organization=organization, name="Half-written", phone="+12125550111")
        raise ValidationFailed("name", "refused after a write")

    with mock.patch.object(base.DialectAPIView, "initial", write_then_fail):
        response = send(surface.create())

    assert 400 <= response.status_code < 500
    assert not Contact.objects.filter(name="Half-written").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("surface", SURFACES, ids=[s.name for s in SURFACES], indirect=True)
def test_a_database_error_mid_request_is_the_dialects_503_with_retry_after(surface):
    with _raise_after_initial(OperationalError("server closed the connection unexpectedly")):
        response = send(surface.read())

    assert_dialect_error(surface, response, 503, surface.unavailable)
    assert response["Retry-After"] == "5"


@pytest.mark.django_db(transaction=True)  # as in production: no test transaction around the request's own
@pytest.mark.parametrize("surface", SURFACES, ids=[s.name for s in SURFACES], indirect=True)
def test_a_database_that_cannot_be_reached_is_the_dialects_503_then_recovers(surface):
    refused = OperationalError('connection to server at "127.0.0.1", port 5432 failed: Connection refused')
    with mock.patch.object(BaseDatabaseWrapper, "ensure_connection", side_effect=refused):
        response = send(surface.read())

    assert_dialect_error(surface, response, 503, surface.unavailable)
    assert response["Retry-After"] == "5"
    assert send(surface.read()).status_code == 200


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("surface", SURFACES, ids=[s.name for s in SURFACES], indirect=True)
@pytest.mark.parametrize(
    ("error", "status"),
    [
        (IntegrityError('insert violates foreign key constraint "contacts_contact_tag_contact_id_fk"'), 500),
        (OperationalError("server closed the connection unexpectedly"), 503),
    ],
    ids=["constraint", "connection-lost"],
)
def test_an_error_at_commit_is_the_dialects_error_and_writes_nothing(surface, error, status):
    def failing_commit(self):
        self.rollback()  # what a failed COMMIT leaves behind: nothing
        raise error

    with mock.patch.object(BaseDatabaseWrapper, "commit", failing_commit):
        response = send(surface.create())

    assert_dialect_error(surface, response, status, surface.internal if status == 500 else surface.unavailable)
    assert not Contact.objects.exists()


class FlakyProxy:
    """A TCP forwarder to PostgreSQL that can be switched off (every connection cut, new ones refused) and on."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        self.listener: socket.socket | None = None

    def up(self) -> None:
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port))
        self.listener.listen(64)
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def down(self) -> None:
        if self.listener is not None:
            # close() alone leaves a thread blocked in accept() holding the socket open, still accepting.
            with contextlib.suppress(OSError):
                self.listener.shutdown(socket.SHUT_RDWR)
            self.listener.close()
            self.listener = None
        with self.lock:
            for sock in self.sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            self.sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            server = socket.create_connection(self.target)
            with self.lock:
                self.sockets += [client, server]
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("surface", SURFACES, ids=[s.name for s in SURFACES], indirect=True)
def test_a_real_postgresql_outage_is_a_503_and_the_server_recovers(live_server, surface):
    database = connections.settings["default"]
    proxy = FlakyProxy((database["HOST"] or "127.0.0.1", int(database["PORT"] or 5432)))
    proxy.up()
    original = (database["HOST"], database["PORT"])
    # The live server's request threads open their connections from this same settings dict.
    database["HOST"], database["PORT"] = "127.0.0.1", str(proxy.port)
    try:

        def over_http(call: Call) -> requests.Response:
            return requests.request(call.method, live_server.url + call.path, data=call.body, headers=call.headers)

        assert over_http(surface.read()).status_code == 200
        proxy.down()
        outage = over_http(surface.read())
        proxy.up()
        recovered = over_http(surface.read())
    finally:
        proxy.down()
        database["HOST"], database["PORT"] = original
        connections["default"].close()

    assert outage.status_code == 503
    assert outage.headers["Content-Type"] == "application/json"
    assert surface.body_matches(outage.json(), surface.unavailable), outage.json()
    assert outage.headers["Retry-After"] == "5"
    assert recovered.status_code == 200
