"""Install (idempotently) a demo organization with a staff login and one credential per auth scheme."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.db import transaction

from contacts import demo
from contacts.management.commands._base import CrmCommand
from contacts.models import (
    ApiKey,
    Branch,
    Contact,
    ContactGroup,
    CustomField,
    HmacClient,
    Membership,
    OAuthClient,
    Organization,
    SenderNumber,
    Tag,
    Team,
)
from contacts.models.credentials import ALL_SCOPES
from contacts.services import credentials
from contacts.services.contacts import create_contact


class Command(CrmCommand):
    help = "Create the demo organization, logins, credentials and sample contacts (safe to run again)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-public-credentials",
            action="store_true",
            help="Install the publicly documented demo credentials even though DEBUG is off.",
        )
        parser.add_argument(
            "--url",
            default="http://127.0.0.1:8000/",
            help="The address the server answers on, printed with the logins (make run passes its HOST and PORT).",
        )

    @transaction.atomic
    def handle(self, *args, allow_public_credentials: bool = False, url: str = "http://127.0.0.1:8000/", **options):
        if not settings.DEBUG and not allow_public_credentials:
            raise CommandError(
                "The demo credentials are public; refusing to install them with DEBUG off. "
                "Pass --allow-public-credentials if this really is a throwaway instance."
            )
        org, _ = Organization.objects.get_or_create(
            slug=demo.DEMO_ORG_SLUG, defaults={"name": demo.DEMO_ORG_NAME, "default_region": "US"}
        )
        admin = self._user(demo.DEMO_ADMIN_USERNAME, demo.DEMO_ADMIN_EMAIL, demo.DEMO_ADMIN_PASSWORD, superuser=True)
        agent = self._user(demo.DEMO_AGENT_USERNAME, demo.DEMO_AGENT_EMAIL, demo.DEMO_AGENT_PASSWORD, superuser=False)
        Membership.objects.get_or_create(user=admin, organization=org, defaults={"role": Membership.Role.OWNER})
        Membership.objects.get_or_create(user=agent, organization=org, defaults={"role": Membership.Role.AGENT})

        for name in demo.DEMO_GROUPS:
            ContactGroup.objects.get_or_create(organization=org, name=name)
        for name in demo.DEMO_TAGS:
            Tag.objects.get_or_create(organization=org, name=name)
        for name in demo.DEMO_BRANCHES:
            Branch.objects.get_or_create(organization=org, name=name)
        for name in demo.DEMO_TEAMS:
            team, _ = Team.objects.get_or_create(organization=org, name=name)
            team.members.add(agent)
        for key, kind, choices in demo.DEMO_CUSTOM_FIELDS:
            CustomField.objects.get_or_create(
                organization=org, key=key, defaults={"label": key, "field_type": kind, "choices": choices}
            )
        SenderNumber.objects.get_or_create(
            organization=org,
            external_id=demo.DEMO_SENDER_NUMBER_ID,
            defaults={"phone": demo.DEMO_SENDER_NUMBER, "label": "Demo WhatsApp number"},
        )

        if not ApiKey.objects.filter(prefix=demo.DEMO_API_KEY[:16]).exists():
            credentials.create_api_key(
                organization=org, name="Demo key (all scopes)", scopes=ALL_SCOPES, secret=demo.DEMO_API_KEY
            )
        for model, name, client_id, secret in (
            (HmacClient, "Demo Awal client", demo.DEMO_HMAC_CLIENT_ID, demo.DEMO_HMAC_SECRET),
            (OAuthClient, "Demo SFMC client", demo.DEMO_OAUTH_CLIENT_ID, demo.DEMO_OAUTH_CLIENT_SECRET),
        ):
            if not model.objects.filter(client_id=client_id).exists():
                credentials.create_client(model, organization=org, name=name, client_id=client_id, secret=secret)

        if not Contact.objects.filter(organization=org).exists():
            for sample in demo.DEMO_CONTACTS:
                create_contact(organization=org, create_missing_groups=True, **sample)

        self._report(org, url)

    def _user(self, username: str, email: str, password: str, *, superuser: bool):
        User = get_user_model()
        user, created = User.objects.get_or_create(
            username=username, defaults={"email": email, "is_staff": True, "is_superuser": superuser}
        )
        if created:
            user.set_password(password)
            user.save()
        return user

    def _report(self, org: Organization, url: str) -> None:
        out = self.stdout.write
        out(self.style.SUCCESS(f"Demo organization '{org.name}' (slug {org.slug}) is ready."))
        out("")
        out(f"  Admin:            {url.rstrip('/')}/admin/")
        out(f"  Superuser login:  {demo.DEMO_ADMIN_USERNAME} / {demo.DEMO_ADMIN_PASSWORD}")
        out(
            f"  Staff login:      {demo.DEMO_AGENT_USERNAME} / {demo.DEMO_AGENT_PASSWORD} (sees only this organization)"
        )
        out("")
        out(f"  API key (Mobivate Bearer, Contactship x-api-key, Callbell Bearer): {demo.DEMO_API_KEY}")
        out(f"  Awal HMAC client: X-Client-ID {demo.DEMO_HMAC_CLIENT_ID}, secret {demo.DEMO_HMAC_SECRET},")
        out(f"                    X-Domain {org.slug}, phone_number_id {demo.DEMO_SENDER_NUMBER_ID}")
        out(
            f"  SFMC OAuth client: client_id {demo.DEMO_OAUTH_CLIENT_ID}, client_secret {demo.DEMO_OAUTH_CLIENT_SECRET}"
        )
        out("")
        out("  These credentials are public: for local use only. See docs/dialects.md for curl examples.")
