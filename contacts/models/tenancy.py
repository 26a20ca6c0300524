"""Tenants and the things a tenant owns that are not contacts: members, teams, branches, sender numbers."""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models

from contacts.models.base import Named, unique_per_organization


def new_public_id() -> str:
    return "org_" + secrets.token_hex(8)


class Organization(Named):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True, help_text="Also the Awal workspace (X-Domain).")
    public_id = models.CharField(
        max_length=40,
        unique=True,
        default=new_public_id,
        editable=False,
        help_text="Identifier shown to API clients (Contactship organization_id).",
    )
    default_region = models.CharField(
        max_length=2,
        default="US",
        help_text="ISO 3166-1 region used to read national phone numbers, e.g. US, GB, SA.",
    )


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        ADMIN = "admin", "Admin"
        AGENT = "agent", "Agent"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.AGENT)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organization"], name="membership_unique_user_org"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.organization} ({self.role})"


class Team(Named):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=200)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="crm_teams")

    class Meta(Named.Meta):
        constraints = unique_per_organization("name", "team_unique_org_name")


class Branch(Named):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="branches")
    name = models.CharField(max_length=200)

    class Meta(Named.Meta):
        verbose_name_plural = "branches"
        constraints = unique_per_organization("name", "branch_unique_org_name")


class SenderNumber(models.Model):
    """A number the workspace sends from; `external_id` is what Awal clients pass as `phone_number_id`."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="sender_numbers")
    phone = models.CharField(max_length=16, help_text="E.164, e.g. +966500000000")
    external_id = models.CharField(max_length=64)
    label = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["phone"]
        constraints = unique_per_organization("external_id", "sendernumber_unique_org_extid")

    def __str__(self) -> str:
        return f"{self.label or self.phone} ({self.external_id})"
