"""Create an API key for an organization and print its secret (once)."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import CommandError
from django.utils import timezone

from contacts.errors import ContactsError
from contacts.management.commands._base import (
    CrmCommand,
    add_organization_argument,
    get_organization,
    text_of_length,
    whole_number,
)
from contacts.models import ApiKey, Scope
from contacts.services.credentials import create_api_key

SCOPE_HELP = ", ".join(f"{scope.label} (or {scope.value})" for scope in Scope)
NAME_MAX = ApiKey._meta.get_field("name").max_length
# A hundred years: anything longer is a typo, and the date must stay representable.
MAX_DAYS = 36_500


class Command(CrmCommand):
    help = "Create an API key (Mobivate/Callbell Bearer, Contactship x-api-key). The secret is printed once."

    def add_arguments(self, parser):
        add_organization_argument(parser)
        parser.add_argument(
            "--name", required=True, type=text_of_length(NAME_MAX), help="What the key is for, e.g. 'Mobivate sync'"
        )
        parser.add_argument(
            "--scopes",
            default=",".join(scope.label for scope in Scope),
            help=f"Comma-separated permissions (default: all). Known: {SCOPE_HELP}",
        )
        parser.add_argument(
            "--expires-in-days", type=whole_number(None), default=None, metavar="N",
            help="Expire the key after N days",
        )  # fmt: skip

    def handle(self, *args, org: str, name: str, scopes: str, expires_in_days: int | None, **options):
        organization = get_organization(org)
        if expires_in_days is not None and not 0 < expires_in_days <= MAX_DAYS:
            raise CommandError(f"--expires-in-days must be positive, at most {MAX_DAYS}; got {expires_in_days}")
        expires_at = timezone.now() + dt.timedelta(days=expires_in_days) if expires_in_days else None
        requested = [item for item in scopes.split(",") if item.strip()]
        if not requested:
            raise CommandError(f"--scopes: give at least one scope; known: {SCOPE_HELP}")
        try:
            key, secret = create_api_key(organization=organization, name=name, scopes=requested, expires_at=expires_at)
        except ContactsError as exc:
            raise CommandError(f"{exc.message} (--scopes)" if exc.field == "scopes" else exc.message) from None
        labels = ", ".join(Scope(value).label for value in key.scopes)
        self.stdout.write(self.style.SUCCESS(f"Created API key '{key.name}' for {organization.slug} ({labels})."))
        self.stdout.write("Secret (shown once, store it now):")
        self.stdout.write(secret)
