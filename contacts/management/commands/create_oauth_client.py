"""Create a client-credentials OAuth client (the SFMC dialect's `/sfmc/v2/token`) and print its secret once."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError, transaction

from contacts.api.dialects.sfmc.scopes import SFMC_SCOPES, UnknownScope, canonical_scopes, scope_text
from contacts.errors import ValidationFailed
from contacts.models import OAuthClient, Organization, Scope
from contacts.services import credentials


class Command(BaseCommand):
    help = (
        "Create an OAuth client for an organization and print its client_id and client_secret. "
        "The secret is stored only as a digest: this is the one time it is shown."
    )

    def add_arguments(self, parser):
        parser.add_argument("--organization", required=True, help="The organization's slug.")
        parser.add_argument("--name", default="OAuth client", help="A label for the admin, e.g. 'SFMC sync'.")
        parser.add_argument("--client-id", help="Choose the client_id (default: a random oc_... id).")
        parser.add_argument(
            "--scope",
            action="append",
            dest="scopes",
            metavar="SCOPE",
            help=(
                "Repeat or space-separate. SFMC names ("
                + ", ".join(SFMC_SCOPES)
                + ") or canonical ones ("
                + ", ".join(Scope.values)
                + "). Default: every scope."
            ),
        )

    def handle(self, *args, organization: str, name: str, client_id: str | None, scopes: list[str] | None, **options):
        org = Organization.objects.filter(slug=organization).first()
        if org is None:
            raise CommandError(f"No organization with slug {organization!r}")
        names = [part for text in scopes or [] for part in text.split()]
        try:
            canonical = sorted(canonical_scopes(names)) if names else list(Scope.values)
        except UnknownScope as unknown:
            raise CommandError(
                f"Unknown scope {unknown}; use {', '.join(SFMC_SCOPES)} or {', '.join(Scope.values)}"
            ) from None
        if client_id is not None and OAuthClient.objects.filter(client_id=client_id).exists():
            raise CommandError(f"An OAuth client with client_id {client_id!r} already exists")
        try:
            with transaction.atomic():
                client, secret = credentials.create_oauth_client(
                    organization=org, name=name, client_id=client_id, scopes=canonical
                )
        except IntegrityError:
            raise CommandError(f"An OAuth client with client_id {client_id!r} already exists") from None
        except ValidationFailed as error:
            raise CommandError(error.message) from None

        out = self.stdout.write
        out(self.style.SUCCESS(f"OAuth client '{client.name}' created in organization '{org.name}'."))
        out(f"  client_id:     {client.client_id}")
        out(f"  client_secret: {secret}")
        out(f"  scope:         {scope_text(client.scopes)}")
        out("Store the secret now: only its digest is kept, so it cannot be shown again.")
