"""Create an organization (a tenant)."""

from __future__ import annotations

from django.core.management.base import CommandError
from django.utils.text import slugify

from contacts.errors import ContactsError
from contacts.management.commands._base import CrmCommand, text_of_length
from contacts.models import Organization
from contacts.services.organizations import create_organization

NAME_MAX = Organization._meta.get_field("name").max_length
SLUG_MAX = Organization._meta.get_field("slug").max_length
_OPTION_OF = {"name": "NAME", "slug": "--slug", "default_region": "--region"}


class Command(CrmCommand):
    help = "Create an organization. Example: create_organization 'Acme Ltd' --slug acme --region GB"

    def add_arguments(self, parser):
        parser.add_argument("name", type=text_of_length(NAME_MAX), help="The organization's name.")
        parser.add_argument("--slug", help="URL-safe identifier, also the Awal X-Domain (default: from the name)")
        parser.add_argument(
            "--region", default="US", help="Default region for national phone numbers (ISO 3166-1, e.g. GB, US, SA)"
        )

    def handle(self, *args, name: str, slug: str | None, region: str, **options):
        # The service slugifies; a slug longer than the column would fail in the database instead of here.
        length = len(slugify(slug or name))
        if length > SLUG_MAX and slug:
            raise CommandError(f"--slug: a slug is at most {SLUG_MAX} characters, got {length}")
        if length > SLUG_MAX:
            raise CommandError(f"NAME makes a slug of {length} characters, over {SLUG_MAX}: give a shorter --slug")
        try:
            organization = create_organization(name=name, slug=slug, default_region=region)
        except ContactsError as exc:
            raise CommandError(self._explain(exc)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Created organization {organization.name} (slug {organization.slug}, "
                f"id {organization.public_id}, region {organization.default_region})"
            )
        )

    @staticmethod
    def _explain(exc: ContactsError) -> str:
        if exc.field == "default_region":
            return f"{exc.message} (--region); use a two-letter code such as GB, US or SA"
        option = _OPTION_OF.get(exc.field or "")
        return f"{exc.message} ({option})" if option and option not in exc.message else exc.message
