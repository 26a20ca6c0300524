"""Webhooks go to public addresses only: refused at creation (native API: a 422 problem naming `url`; admin: the
form's error on URL) and again at each attempt, which connects to the address it checked."""

from __future__ import annotations

import json
import socket

import pytest

from tests.factories import make_api_key
from tests.webhooks.conftest import make_event
from webhooks import runner, ssrf
from webhooks.models import WebhookAttempt, WebhookEndpoint
from webhooks.services.create_endpoint import create_endpoint

pytestmark = pytest.mark.django_db

REFUSED = [
    ("http://127.0.0.1/hook", "127.0.0.1, a loopback address"),
    ("http://127.8.9.10:8080/hook", "127.8.9.10, a loopback address"),
    ("http://[::1]/hook", "::1, a loopback address"),
    ("http://localhost:8000/hook", "a loopback address"),
    ("https://10.1.2.3/hook", "10.1.2.3, a private network address"),
    ("https://172.16.0.5/hook", "172.16.0.5, a private network address"),
    ("https://192.168.1.20/hook", "192.168.1.20, a private network address"),
    ("https://[fd12:3456::1]/hook", "fd12:3456::1, a private network address"),
    ("https://169.254.10.10/hook", "169.254.10.10, a link-local address"),
    ("https://[fe80::1]/hook", "fe80::1, a link-local address"),
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254, a cloud metadata address"),
    ("http://[fd00:ec2::254]/latest/meta-data/", "fd00:ec2::254, a cloud metadata address"),
    ("https://224.0.0.1/hook", "224.0.0.1, a multicast address"),
    ("https://[ff02::1]/hook", "ff02::1, a multicast address"),
    ("https://240.0.0.1/hook", "240.0.0.1, a reserved address"),
    ("https://0.0.0.0/hook", "0.0.0.0, an unspecified address"),
    ("https://100.64.0.1/hook", "100.64.0.1, a non-public address"),
    ("https://[::ffff:127.0.0.1]/hook", "::ffff:7f00:1, a loopback address"),
]


@pytest.fixture(autouse=True)
def _public_only(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = False


@pytest.mark.parametrize(("url", "said"), REFUSED)
def test_each_non_public_address_class_is_refused(url, said):
    with pytest.raises(ssrf.UnsafeWebhookUrl) as refused:
        ssrf.check_url(url)
    assert said in refused.value.message
    assert refused.value.message.endswith("webhooks are only sent to public addresses")
    assert (refused.value.field, refused.value.code) == ("url", "forbidden_address")


def test_a_public_address_is_accepted():
    assert ssrf.check_url(" https://93.184.216.34/hooks?x=1 ") == "https://93.184.216.34/hooks?x=1"


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("ftp://93.184.216.34/x", "invalid_url"),
        ("https://user:pw@93.184.216.34/x", "invalid_url"),
        ("https:///nohost", "invalid_url"),
        ("https://no-such-host.invalid/x", "unresolvable_host"),
    ],
)
def test_malformed_and_unresolvable_urls_are_refused(url, code):
    with pytest.raises(ssrf.UnsafeWebhookUrl) as refused:
        ssrf.check_url(url)
    assert refused.value.code == code


def test_a_host_with_one_public_and_one_private_address_is_refused(monkeypatch):
    def answers(host, port, *args, **kwargs):
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", port)),
        ]

    monkeypatch.setattr(socket, "getaddrinfo", answers)
    with pytest.raises(ssrf.UnsafeWebhookUrl, match=r"10\.0\.0\.7, a private network address"):
        ssrf.check_url("https://hooks.example.com/x")


def test_the_native_api_answers_a_422_problem_naming_url(organization, client_for):
    api = client_for(organization)
    response = api.post("/api/v1/webhooks", {"url": "http://169.254.169.254/latest/"}, format="json")
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert response.json() == {
        "type": "urn:crm:problem:invalid-request",
        "title": "The request is invalid",
        "status": 422,
        "detail": "url resolves to 169.254.169.254, a cloud metadata address; webhooks are only sent to public "
        "addresses",
        "errors": [
            {
                "field": "url",
                "code": "forbidden_address",
                "message": "url resolves to 169.254.169.254, a cloud metadata address; webhooks are only sent to "
                "public addresses",
            }
        ],
    }
    assert WebhookEndpoint.objects.count() == 0


def test_a_patch_to_a_private_url_is_a_422_and_changes_nothing(organization, client_for):
    endpoint, _ = create_endpoint(organization=organization, url="https://93.184.216.34/hooks")
    api = client_for(organization)
    response = api.patch(f"/api/v1/webhooks/{endpoint.uuid}", {"url": "http://10.0.0.1/"}, format="json")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "url"
    endpoint.refresh_from_db()
    assert endpoint.url == "https://93.184.216.34/hooks"


def test_the_admin_form_shows_the_error_on_url(staff_client, organization):
    response = staff_client.post(
        "/admin/webhooks/webhookendpoint/add/", {"url": "http://192.168.0.10/hook", "enabled": "on"}
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "url": ["url resolves to 192.168.0.10, a private network address; webhooks are only sent to public addresses"]
    }
    assert WebhookEndpoint.objects.count() == 0


def answering(address):
    return lambda host, port, *a, **k: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]


def test_an_attempt_checks_again_and_refuses_a_host_that_now_resolves_privately(organization, monkeypatch):
    """DNS rebinding: public when saved, private when sent."""
    monkeypatch.setattr(socket, "getaddrinfo", answering("93.184.216.34"))
    create_endpoint(organization=organization, url="https://hooks.example.test/x")
    make_event(organization)
    monkeypatch.setattr(socket, "getaddrinfo", answering("10.9.9.9"))
    runner.run_pending()
    (logged,) = WebhookAttempt.objects.all()
    assert logged.status_code is None
    assert logged.error == (
        "Refused before sending: url resolves to 10.9.9.9, a private network address; webhooks are only sent to "
        "public addresses"
    )


def test_the_connection_goes_to_the_checked_address_with_the_urls_host_name(
    organization, receiver, monkeypatch, settings
):
    """The host is resolved once per attempt and the request sent to that IP; Host keeps the URL's name."""
    settings.WEBHOOK_ALLOW_PRIVATE_NETWORKS = True
    port = receiver.server.server_address[1]
    lookups = []

    def resolve(host, port_, *args, **kwargs):
        lookups.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port_))]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    create_endpoint(organization=organization, url=f"http://receiver.example.test:{port}/in")
    lookups.clear()
    make_event(organization)
    runner.run_pending()

    (request,) = receiver.requests
    assert request.headers["host"] == f"receiver.example.test:{port}"
    assert request.path == "/in"
    # The only name looked up is the URL's (the connection itself is to the IP literal).
    assert [host for host in lookups if host != "127.0.0.1"] == ["receiver.example.test"]
    assert json.loads(request.body)["type"] == "contact.updated"


def test_an_api_key_without_settings_write_cannot_create(organization):
    from rest_framework.test import APIClient

    _, secret = make_api_key(organization, scopes=["contacts:read", "contacts:write"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    response = client.post("/api/v1/webhooks", {"url": "https://93.184.216.34/"}, format="json")
    assert response.status_code == 403
    assert client.get("/api/v1/webhooks").status_code == 200
