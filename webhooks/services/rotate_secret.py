from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from webhooks import signing
from webhooks.models import WebhookEndpoint, WebhookSecret

DEFAULT_OVERLAP = dt.timedelta(hours=24)


def rotate_secret(endpoint: WebhookEndpoint, *, keep_old_for: dt.timedelta = DEFAULT_OVERLAP, actor: Any = None) -> str:
    """A new secret, returned in clear this once. The current ones stay valid for `keep_old_for` (deliveries
    carry a signature per valid secret meanwhile) so a receiver can switch without losing a delivery."""
    now = timezone.now()
    secret = signing.new_secret()
    with transaction.atomic():
        WebhookSecret.objects.filter(endpoint=endpoint, expires_at__isnull=True).update(expires_at=now + keep_old_for)
        WebhookSecret.objects.filter(endpoint=endpoint, expires_at__gt=now + keep_old_for).update(
            expires_at=now + keep_old_for
        )
        WebhookSecret.objects.create(endpoint=endpoint, encrypted=signing.encrypt(secret), created_at=now)
    return secret


def active_secrets(endpoint: WebhookEndpoint, now: dt.datetime | None = None) -> list[str]:
    """The secrets a delivery is signed with now: the newest first."""
    now = now or timezone.now()
    rows = WebhookSecret.objects.filter(endpoint=endpoint).exclude(expires_at__lte=now)
    return [signing.decrypt(row.encrypted) for row in rows]
