"""Issuing and verifying API credentials. Secrets leave this module once, at creation."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import string
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.db import transaction
from django.utils import timezone

from contacts import crypto
from contacts.errors import ValidationFailed
from contacts.models import AccessToken, ApiKey, HmacClient, OAuthClient, Organization, Scope

API_KEY_PREFIX = "crm_"
_PREFIX_CHARS = string.ascii_lowercase + string.digits
ACCESS_TOKEN_LIFETIME = dt.timedelta(minutes=20)
# How stale last_used_at may get before a request writes it again (saves a write per request).
LAST_USED_RESOLUTION = dt.timedelta(seconds=60)

ClientT = TypeVar("ClientT", HmacClient, OAuthClient)


class InvalidCredential(Exception):
    """Unknown, wrong, revoked or expired. Deliberately one type: callers must not tell them apart."""


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def clean_scopes(scopes: Iterable[str]) -> list[str]:
    """Canonical scope values from either spelling; unknown ones are a `ValidationFailed`."""
    result = []
    for text in scopes:
        try:
            result.append(Scope.from_label(text.strip()).value)
        except ValueError as exc:
            raise ValidationFailed("scopes", str(exc)) from None
    return list(dict.fromkeys(result))


def create_api_key(
    *,
    organization: Organization,
    name: str,
    scopes: Iterable[str],
    expires_at: dt.datetime | None = None,
    actor: Any = None,
    secret: str | None = None,
) -> tuple[ApiKey, str]:
    """Create a key and return it with its secret, which is not stored and cannot be shown again.

    `secret` lets the demo command install a documented, well-known key; it must follow the key format.
    """
    if secret is None:
        secret = API_KEY_PREFIX + "".join(secrets.choice(_PREFIX_CHARS) for _ in range(12)) + secrets.token_urlsafe(32)
    elif not secret.startswith(API_KEY_PREFIX) or len(secret) < 32:
        raise ValidationFailed("secret", "An API key starts with crm_ and is at least 32 characters long")
    key = ApiKey.objects.create(
        organization=organization,
        name=name,
        prefix=secret[:16],
        digest=digest(secret),
        scopes=clean_scopes(scopes),
        expires_at=expires_at,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    return key, secret


def authenticate_api_key(secret: str) -> ApiKey:
    if not secret or not secret.startswith(API_KEY_PREFIX) or len(secret) < 32:
        raise InvalidCredential
    key = ApiKey.objects.select_related("organization").filter(prefix=secret[:16]).first()
    if key is None or not hmac.compare_digest(key.digest, digest(secret)) or not key.is_active:
        raise InvalidCredential
    _touch(key)
    return key


def revoke(credential: ApiKey | HmacClient | OAuthClient) -> None:
    if credential.revoked_at is None:
        credential.revoked_at = timezone.now()
        credential.save(update_fields=["revoked_at"])


# How each kind of client is made: the prefix and random bytes of a generated client id, and how its secret is kept
# (HMAC: encrypted, since checking a signature needs it back; OAuth: a digest).
_CLIENT_KINDS: dict[type, tuple[str, int, Callable[[str], dict[str, str]]]] = {
    HmacClient: ("hc_", 8, lambda secret: {"secret_encrypted": crypto.encrypt(secret)}),
    OAuthClient: ("oc_", 12, lambda secret: {"secret_digest": digest(secret)}),
}


def create_client(
    model: type[ClientT],
    *,
    organization: Organization,
    name: str,
    client_id: str | None = None,
    secret: str | None = None,
    scopes: Iterable[str] = (),
    expires_at: dt.datetime | None = None,
    actor: Any = None,
) -> tuple[ClientT, str]:
    """Create an HMAC or OAuth client (`model`) and return it with its secret, shown this once. Without `scopes`
    it has every scope; without `client_id` or `secret`, random ones are made."""
    id_prefix, id_bytes, kept_secret = _CLIENT_KINDS[model]
    secret = secret or secrets.token_urlsafe(32)
    client = model.objects.create(
        organization=organization,
        name=name,
        client_id=client_id or id_prefix + secrets.token_hex(id_bytes),
        scopes=clean_scopes(scopes) if scopes else [scope.value for scope in Scope],
        expires_at=expires_at,
        created_by=actor if getattr(actor, "pk", None) else None,
        **kept_secret(secret),
    )
    return client, secret


def create_hmac_client(**kwargs: Any) -> tuple[HmacClient, str]:
    """An HMAC client for Awal's signed requests; the arguments of `create_client`."""
    return create_client(HmacClient, **kwargs)


def get_hmac_client(client_id: str) -> tuple[HmacClient, str]:
    """The active client and its decrypted secret, for checking a signature."""
    client = HmacClient.objects.select_related("organization").filter(client_id=client_id).first()
    if client is None or not client.is_active:
        raise InvalidCredential
    return client, crypto.decrypt(client.secret_encrypted)


def create_oauth_client(**kwargs: Any) -> tuple[OAuthClient, str]:
    """An OAuth client for SFMC's token endpoint; the arguments of `create_client`."""
    return create_client(OAuthClient, **kwargs)


def authenticate_oauth_client(client_id: str, secret: str) -> OAuthClient:
    client = OAuthClient.objects.select_related("organization").filter(client_id=str(client_id)).first()
    # Compare against a dummy digest when the client is unknown, so timing does not reveal which ids exist.
    expected = client.secret_digest if client else digest("unknown-client")
    if not hmac.compare_digest(expected, digest(str(secret))) or client is None or not client.is_active:
        raise InvalidCredential
    _touch(client)
    return client


@transaction.atomic
def issue_access_token(client: OAuthClient, *, scopes: list[str], scope_text: str) -> tuple[AccessToken, str]:
    raw = secrets.token_urlsafe(40)
    token = AccessToken.objects.create(
        client=client,
        organization_id=client.organization_id,
        digest=digest(raw),
        scopes=scopes,
        scope_text=scope_text,
        expires_at=timezone.now() + ACCESS_TOKEN_LIFETIME,
    )
    return token, raw


def authenticate_access_token(raw: str) -> AccessToken:
    if not raw:
        raise InvalidCredential
    token = (
        AccessToken.objects.select_related("client", "organization")
        .filter(digest=digest(raw), expires_at__gt=timezone.now())
        .first()
    )
    if token is None or not token.client.is_active:
        raise InvalidCredential
    return token


def _touch(credential: ApiKey | OAuthClient | HmacClient) -> None:
    now = timezone.now()
    if credential.last_used_at is None or now - credential.last_used_at > LAST_USED_RESOLUTION:
        # The write happens inside the request's transaction and locks the credential's row until it commits. A
        # second request with the same credential meanwhile skips its write (the first one records the use)
        # rather than queueing behind the whole first request.
        rows = type(credential).objects.filter(pk=credential.pk).order_by()
        type(credential).objects.filter(pk__in=rows.select_for_update(skip_locked=True).values("pk")).update(
            last_used_at=now
        )
        credential.last_used_at = now


def touch(credential: ApiKey | OAuthClient | HmacClient) -> None:
    """Record a use of `credential` (at most one write a minute)."""
    _touch(credential)
