"""Create a client-credentials OAuth client (the SFMC dialect's `/sfmc/v2/token`) and print its secret once."""

from __future__ import annotations

from django.core.management.base import CommandError

from contacts.api.dialects.sfmc.scopes import (
    SFMC_SCOPES,
    UnknownScope,
    canonical_scopes,
    scope_text,
)
from contacts.management.commands._base import CrmCommand, add_client_arguments, create_client, get_organization
from contacts.models import OAuthClient
from contacts.models.credentials import DIALECT_SCOPES


class Command(CrmCommand):
    help = (
        "Create an OAuth client for an organization and print its client_id and client_secret. "
        "The secret is stored only as a digest: this is the one time it is shown."
    )

    def add_arguments(self, parser):
        add_client_arguments(
            parser,
            OAuthClient,
            name={"default": "OAuth client", "help": "A label, e.g. 'SFMC sync'."},
            client_id_help="Choose the client_id (default: a random oc_... id).",
        )
        parser.add_argument(
            "--scope",
            action="append",
            dest="scopes",
            metavar="SCOPE",
            help=(
                "Repeat or space-separate. SFMC names ("
                + ", ".join(SFMC_SCOPES)
                + ") or canonical ones ("
                + ", ".join(DIALECT_SCOPES)
                + "). Default: every permission SFMC's endpoints use."
            ),
        )

    def handle(self, *args, org: str, name: str, client_id: str | None, scopes: list[str] | None, **options):
        organization = get_organization(org)
        names = [part for text in scopes or [] for part in text.split()]
        try:
            canonical = sorted(canonical_scopes(names)) if names else list(DIALECT_SCOPES)
        except UnknownScope as unknown:
            raise CommandError(
                f"Unknown scope {unknown} (--scope); use {', '.join(SFMC_SCOPES)} or {', '.join(DIALECT_SCOPES)}"
            ) from None
        client, secret = create_client(
            OAuthClient, organization=organization, name=name, client_id=client_id, scopes=canonical
        )

        out = self.stdout.write
        out(self.style.SUCCESS(f"OAuth client '{client.name}' created in organization '{organization.name}'."))
        out(f"  client_id:     {client.client_id}")
        out(f"  client_secret: {secret}")
        out(f"  scope:         {scope_text(client.scopes)}")
        out("Store the secret now: only its digest is kept, so it cannot be shown again.")
