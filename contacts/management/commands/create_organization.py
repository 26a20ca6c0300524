"""Create an organization (a tenant)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from contacts.errors import ContactsError
from contacts.services.organizations import create_organization


class Command(BaseCommand):
    help = "Create an organization. Example: create_organization 'Acme Ltd' --slug acme --region GB"

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--slug", help="URL-safe identifier, also the Awal X-Domain (default: from the name)")
        parser.add_argument("--region", default="US", help="Default region for national phone numbers (ISO 3166-1)")

    def handle(self, *args, name: str, slug: str | None, region: str, **options):
        try:
            organization = create_organization(name=name, slug=slug, default_region=region)
        except ContactsError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Created organization {organization.name} (slug {organization.slug}, "
                f"id {organization.public_id}, region {organization.default_region})"
            )
        )
