"""Create an HMAC client (the Awal dialect's X-Client-ID and signing secret) and print its secret once."""

from __future__ import annotations

from django.core.management.base import CommandError

from contacts.management.commands._base import CrmCommand, add_client_arguments, create_client, get_organization
from contacts.models import HmacClient, Scope
from contacts.models.credentials import DIALECT_SCOPES

SCOPE_HELP = ", ".join(f"{scope.label} (or {scope.value})" for scope in Scope)


class Command(CrmCommand):
    help = (
        "Create an HMAC client for an organization (Awal: X-Client-ID, signed requests) and print its signing "
        "secret. The secret is shown this once; the admin never shows it again."
    )

    def add_arguments(self, parser):
        add_client_arguments(
            parser,
            HmacClient,
            name={"required": True, "help": "What the client is for, e.g. 'Awal sync'."},
            client_id_help="Choose the X-Client-ID (default: a random hc_... id).",
        )
        parser.add_argument(
            "--scopes",
            default=",".join(Scope(value).label for value in DIALECT_SCOPES),
            help=f"Comma-separated permissions (default: all). Known: {SCOPE_HELP}",
        )

    def handle(self, *args, org: str, name: str, client_id: str | None, scopes: str, **options):
        organization = get_organization(org)
        requested = [item for item in scopes.split(",") if item.strip()]
        if not requested:
            raise CommandError(f"--scopes: give at least one scope; known: {SCOPE_HELP}")
        client, secret = create_client(
            HmacClient,
            organization=organization,
            name=name,
            client_id=client_id,
            scopes=requested,
            scope_option="--scopes",
        )

        labels = ", ".join(Scope(value).label for value in client.scopes)
        out = self.stdout.write
        out(
            self.style.SUCCESS(f"HMAC client '{client.name}' created in organization '{organization.name}' ({labels}).")
        )
        out(f"  X-Client-ID:    {client.client_id}")
        out(f"  X-Domain:       {organization.slug}")
        out(f"  signing secret: {secret}")
        out("Store the secret now: it is shown this once.")
