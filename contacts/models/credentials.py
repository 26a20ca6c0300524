"""API credentials. Secrets are shown once; only digests (or, for HMAC, ciphertext) are stored."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from contacts.models.tenancy import Organization


class Scope(models.TextChoices):
    """Canonical permissions. Mobivate spells them `create:Contacts` etc.; see `Scope.from_label`."""

    CONTACTS_CREATE = "contacts:create", "create:Contacts"
    CONTACTS_READ = "contacts:read", "read:Contacts"
    CONTACTS_UPDATE = "contacts:update", "update:Contacts"
    CONTACTS_DELETE = "contacts:delete", "delete:Contacts"
    # The native API's: one permission to create and change contacts, and one for the vocabularies (tags, groups,
    # custom fields, branches, teams, sender numbers), whose deletes reach every contact.
    CONTACTS_WRITE = "contacts:write", "write:Contacts"
    SETTINGS_WRITE = "settings:write", "write:Settings"

    @classmethod
    def from_label(cls, text: str) -> Scope:
        """Accept either spelling (`contacts:create` or `create:Contacts`)."""
        for scope in cls:
            if text in (scope.value, scope.label):
                return scope
        raise ValueError(f"Unknown scope {text!r}; expected one of {', '.join(s.label for s in cls)}")


ALL_SCOPES = [scope.value for scope in Scope]
# What the dialects ask for (Awal's signed clients and SFMC's OAuth clients reach nothing else).
DIALECT_SCOPES = [Scope.CONTACTS_CREATE.value, Scope.CONTACTS_READ.value, Scope.CONTACTS_UPDATE.value,
                  Scope.CONTACTS_DELETE.value]  # fmt: skip


class CredentialQuerySet(models.QuerySet):
    def active(self) -> CredentialQuerySet:
        now = timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class Credential(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = CredentialQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class ApiKey(Credential):
    """A bearer / x-api-key secret: `crm_<12-char prefix><secret>`; looked up by prefix, checked by SHA-256."""

    prefix = models.CharField(max_length=16, unique=True, editable=False)
    digest = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(default=list, blank=True)

    class Meta(Credential.Meta):
        verbose_name = "API key"


class HmacClient(Credential):
    """An Awal-style signing client. The shared secret must be recoverable to verify signatures."""

    client_id = models.CharField(max_length=64, unique=True)
    secret_encrypted = models.TextField(editable=False)
    scopes = models.JSONField(default=list, blank=True)

    class Meta(Credential.Meta):
        verbose_name = "HMAC client"


class OAuthClient(Credential):
    """A client-credentials OAuth client (SFMC's `/v2/token`)."""

    client_id = models.CharField(max_length=64, unique=True)
    secret_digest = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(default=list, blank=True)

    class Meta(Credential.Meta):
        verbose_name = "OAuth client"


class AccessToken(models.Model):
    client = models.ForeignKey(OAuthClient, on_delete=models.CASCADE, related_name="tokens")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    digest = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list, blank=True)
    scope_text = models.CharField(max_length=1000, blank=True, help_text="The scope string echoed to the client.")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"token for {self.client} until {self.expires_at:%Y-%m-%d %H:%M}"

    @property
    def is_active(self) -> bool:
        return self.expires_at > timezone.now() and self.client.is_active
