"""The canonical contact and the per-organization vocabularies it refers to."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from phonenumber_field.modelfields import PhoneNumberField

from contacts.models.base import Named, unique_per_organization
from contacts.models.tenancy import Branch, Organization, Team


class E164PhoneField(PhoneNumberField):
    """A phone stored in E.164 whose validity policy lives in `contacts.services.phones`.

    libphonenumber rejects numbers the vendor contracts use as their own examples (`+4479000000001`),
    so the field does not run `validate_international_phonenumber`; every write goes through
    `normalize_phone`, which applies the project's policy (docs/architecture.md, "Phones").
    """

    default_validators: list = []


class Tag(Named):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(max_length=100)

    class Meta(Named.Meta):
        constraints = [
            # Case-insensitive: "VIP" and "vip" are one tag (Callbell filters tags case-insensitively).
            models.UniqueConstraint("organization", Lower("name"), name="tag_unique_org_lower_name"),
        ]


class ContactGroup(Named):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="contact_groups")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)

    class Meta(Named.Meta):
        constraints = unique_per_organization("name", "contactgroup_unique_org_name")


class CustomFieldType(models.TextChoices):
    # A member without a label is labelled from its name (TEXT → "Text"), as Django's TextChoices does.

    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    BOOLEAN = "boolean", "Yes/no"
    LOCATION = "location"
    URL = "url", "URL"
    EMAIL = "email"
    CHOICE = "choice", "Choice (one of)"
    MULTICHOICE = "multichoice", "Choices (any of)"


class CustomField(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="custom_fields")
    key = models.CharField(max_length=100, help_text="The name API clients use, e.g. CITY or Billing Address.")
    label = models.CharField(max_length=200, blank=True)
    field_type = models.CharField(max_length=20, choices=CustomFieldType.choices, default=CustomFieldType.TEXT)
    choices = models.JSONField(default=list, blank=True, help_text="Allowed values for choice fields.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["key"]
        constraints = unique_per_organization("key", "customfield_unique_org_key")

    def __str__(self) -> str:
        return self.label or self.key


class ContactSource(models.TextChoices):
    # Unlabelled members: labelled from the name (see CustomFieldType).

    WHATSAPP = "whatsapp", "WhatsApp"
    SMS = "sms", "SMS"
    EMAIL = "email"
    MESSENGER = "facebook", "Facebook Messenger"
    INSTAGRAM = "instagram"
    TELEGRAM = "telegram"
    LINE = "line", "LINE"
    PUSH = "push", "Mobile push"
    API = "api", "API"
    IMPORT = "import"
    MANUAL = "manual"


class BotStatus(models.TextChoices):
    """Callbell's botStatus: whether its chatbot is handling the conversation (empty: never set)."""

    BOT_START = "bot_start", "Bot started"
    BOT_END = "bot_end", "Bot ended"


def avatar_upload_to(instance: Contact, filename: str) -> str:
    # Never trust the client's file name: the extension comes from the verified content.
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "jpg"
    if extension not in {"jpg", "png"}:
        extension = "jpg"
    return f"avatars/{instance.organization_id}/{uuid.uuid4().hex}.{extension}"


class Contact(models.Model):
    id = models.BigAutoField(primary_key=True)
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Not indexed alone: every index below starts with the organization (or with a field that belongs to one).
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="contacts", db_index=False)

    name = models.CharField(max_length=255, blank=True)
    full_name = models.CharField(max_length=255, blank=True)
    phone = E164PhoneField(max_length=16, null=True, blank=True)
    phone_valid = models.BooleanField(
        default=False, help_text="libphonenumber's verdict; informative, never a reason to refuse."
    )
    email = models.EmailField(max_length=254, blank=True)
    country = models.CharField(max_length=100, blank=True)
    description = models.TextField(blank=True)
    address = models.TextField(blank=True)
    is_favorite = models.BooleanField(default=False)
    alias = models.CharField(max_length=255, null=True, blank=True)
    contact_key = models.CharField(max_length=255, null=True, blank=True)
    source = models.CharField(max_length=20, choices=ContactSource.choices, default=ContactSource.API)

    avatar = models.ImageField(upload_to=avatar_upload_to, blank=True, max_length=255)
    avatar_url = models.URLField(max_length=2000, blank=True)

    # Indexed by the partial indexes in Meta, which skip the (many) contacts without one.
    branch = models.ForeignKey(
        Branch, null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts", db_index=False
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts", db_index=False
    )
    assigned_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_contacts",
        db_index=False,
    )
    # Their link tables also have an index on (tag or group, contact), made by migration 0013: Django declares none
    # on an automatic link table, and the list's filter by a tag on few contacts reads it from the tag's side.
    groups = models.ManyToManyField(ContactGroup, blank=True, related_name="contacts")
    tags = models.ManyToManyField(Tag, blank=True, related_name="contacts")

    custom_fields = models.JSONField(default=dict, blank=True)
    # JSON objects lose key order in PostgreSQL's jsonb; this keeps the order clients gave.
    custom_field_order = models.JSONField(default=list, blank=True)
    # Vendor attribute sets kept verbatim (SFMC), {set name: [{attribute: value, ...}, ...]}.
    attributes = models.JSONField(default=dict, blank=True)

    bot_status = models.CharField(max_length=20, blank=True, choices=BotStatus.choices)
    note = models.TextField(blank=True, max_length=1000)

    created_at = models.DateTimeField(auto_now_add=True, db_index=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "phone"],
                condition=models.Q(phone__isnull=False) & ~models.Q(phone=""),
                name="contact_unique_org_phone",
            ),
            models.UniqueConstraint(
                fields=["organization", "alias"],
                condition=models.Q(alias__isnull=False) & ~models.Q(alias=""),
                name="contact_unique_org_alias",
            ),
            models.UniqueConstraint(
                fields=["organization", "contact_key"],
                condition=models.Q(contact_key__isnull=False) & ~models.Q(contact_key=""),
                name="contact_unique_org_contact_key",
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "-created_at", "-id"], name="contact_org_created"),
            # The native API's incremental sync: `updated_since` and keyset pages in updated order.
            models.Index(fields=["organization", "-updated_at", "-id"], name="contact_org_updated"),
            models.Index(fields=["organization", "email"], name="contact_org_email"),
            models.Index(fields=["organization", "name"], name="contact_org_name"),
            # Each admin filter has an index that also yields the list's order, so a page of a selective
            # filter does not walk the whole organization in created order looking for matches.
            models.Index(fields=["organization", "source", "-created_at", "-id"], name="contact_org_source_created"),
            models.Index(
                fields=["organization", "is_favorite", "-created_at", "-id"], name="contact_org_favorite_created"
            ),
            # A branch, team or user belongs to one organization, so these need not start with it. Partial: an
            # import or an API create of a contact without one writes none of them, and the same index serves
            # ON DELETE SET NULL.
            models.Index(
                fields=["branch", "-created_at", "-id"],
                condition=models.Q(branch__isnull=False),
                name="contact_branch_created",
            ),
            models.Index(
                fields=["team", "-created_at", "-id"],
                condition=models.Q(team__isnull=False),
                name="contact_team_created",
            ),
            models.Index(
                fields=["assigned_user", "-created_at", "-id"],
                condition=models.Q(assigned_user__isnull=False),
                name="contact_assignee_created",
            ),
            models.Index(
                fields=["organization", "phone_valid", "-created_at", "-id"], name="contact_org_phonevalid_created"
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.full_name or str(self.phone or "") or self.email or str(self.uuid)

    @property
    def phone_e164(self) -> str:
        return self.phone.as_e164 if self.phone else ""

    @property
    def phone_digits(self) -> str:
        """The phone as the contracts that forbid `+` render it: `4479000000001`."""
        return self.phone_e164.lstrip("+")


class ChannelIdentity(models.Model):
    """An address of the contact on a channel that is not a phone or email (LINE id, push device...)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="channel_identities")
    channel = models.CharField(max_length=30)
    external_id = models.CharField(max_length=255)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "channel identities"
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "channel", "external_id"], name="channelidentity_unique_org_channel_ext"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.external_id}"
