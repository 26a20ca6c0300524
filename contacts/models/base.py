"""What the tenant's vocabularies share (tags, groups, teams, branches, custom fields, sender numbers and the
organizations themselves): a creation time, a listing by name, and a value unique within one organization."""

from __future__ import annotations

from django.db import models


class Named(models.Model):
    """A row people pick by its name: listed by name and shown as it."""

    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def unique_per_organization(field: str, name: str) -> list[models.UniqueConstraint]:
    """The constraint of a vocabulary: one `field` value per organization."""
    return [models.UniqueConstraint(fields=["organization", field], name=name)]
