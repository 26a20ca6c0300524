"""Symmetric encryption for secrets that must be recoverable (HMAC shared secrets)."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def _fernet() -> Fernet:
    configured = settings.CREDENTIALS_ENCRYPTION_KEY
    if configured:
        key = configured.encode()
    else:
        # Derive a distinct key from SECRET_KEY so one secret is enough to run.
        digest = hashlib.sha256(b"crm.credentials.v1:" + settings.SECRET_KEY.encode()).digest()
        key = base64.urlsafe_b64encode(digest)
    return Fernet(key)


def encrypt(plaintext: str) -> str:
    return _fernet().encrypt(plaintext.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("Stored secret cannot be decrypted with the configured key") from exc
