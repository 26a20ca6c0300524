"""Secrets and signatures, per the Standard Webhooks specification, with its reference library."""

from __future__ import annotations

import base64
import datetime as dt
import secrets

from standardwebhooks.webhooks import Webhook

from contacts import crypto

SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret
SECRET_BYTES = 32


def new_secret() -> str:
    """A fresh `whsec_<base64>` secret (32 random bytes)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def encrypt(secret: str) -> str:
    return crypto.encrypt(secret)


def decrypt(encrypted: str) -> str:
    return crypto.decrypt(encrypted)


def headers(message_id: str, timestamp: dt.datetime, body: str, secrets_: list[str]) -> dict[str, str]:
    """The three signature headers; `webhook-signature` has one `v1,<base64>` per secret, space-separated."""
    signatures = " ".join(Webhook(secret).sign(message_id, timestamp, body) for secret in secrets_)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signatures,
    }
