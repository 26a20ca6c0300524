"""Create an API key for an organization and print its secret (once)."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from contacts.errors import ContactsError
from contacts.models import Organization, Scope
from contacts.services.credentials import create_api_key

SCOPE_HELP = ", ".join(f"{scope.label} (or {scope.value})" for scope in Scope)


class Command(BaseCommand):
    help = "Create an API key (Mobivate/Callbell Bearer, Contactship x-api-key). The secret is printed once."

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="Organization slug")
        parser.add_argument("--name", required=True, help="What the key is for, e.g. 'Mobivate integration'")
        parser.add_argument(
            "--scopes",
            default=",".join(scope.label for scope in Scope),
            help=f"Comma-separated permissions (default: all). Known: {SCOPE_HELP}",
        )
        parser.add_argument("--expires-in-days", type=int, default=None, help="Expire the key after N days")

    def handle(self, *args, org: str, name: str, scopes: str, expires_in_days: int | None, **options):
        organization = Organization.objects.filter(slug=org).first()
        if organization is None:
            raise CommandError(f"No organization with slug {org!r}")
        if expires_in_days is not None and expires_in_days <= 0:
            raise CommandError("--expires-in-days must be positive")
        expires_at = timezone.now() + dt.timedelta(days=expires_in_days) if expires_in_days else None
        requested = [item for item in scopes.split(",") if item.strip()]
        if not requested:
            raise CommandError("Give at least one scope")
        try:
            key, secret = create_api_key(organization=organization, name=name, scopes=requested, expires_at=expires_at)
        except ContactsError as exc:
            raise CommandError(exc.message) from None
        labels = ", ".join(Scope(value).label for value in key.scopes)
        self.stdout.write(self.style.SUCCESS(f"Created API key '{key.name}' for {organization.slug} ({labels})."))
        self.stdout.write("Secret (shown once, store it now):")
        self.stdout.write(secret)
