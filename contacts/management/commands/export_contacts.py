"""`manage.py export_contacts --org SLUG [filters] [-o FILE]`: stream the organization's contacts as CSV."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError, CommandParser

from contacts.management.commands._base import CrmCommand, add_organization_argument, get_organization, moment, one_of
from contacts.models import ContactGroup, ContactSource, Tag
from contacts.services.exports import filter_contacts, write_contacts_csv


class Command(CrmCommand):
    help = "Export an organization's contacts as CSV (custom fields as cf:<key> columns, tags and groups joined)."

    def add_arguments(self, parser: CommandParser) -> None:
        add_organization_argument(parser)
        parser.add_argument("-o", "--output", metavar="FILE", help="Write to this file instead of standard output.")
        parser.add_argument(
            "--tag", action="append", default=[], help="Only contacts with this tag (any case); repeatable."
        )
        parser.add_argument("--group", action="append", default=[], help="Only contacts in this group; repeatable.")
        parser.add_argument(
            "--source",
            type=one_of(ContactSource.values, "a contact source"),
            help=f"Only contacts from this source: {', '.join(ContactSource.values)}.",
        )
        parser.add_argument(
            "--created-since",
            type=moment("--created-since"),
            metavar="DATE",
            help="Only contacts created at or after this date (YYYY-MM-DD, midnight UTC) or ISO 8601 datetime.",
        )
        parser.add_argument(
            "--updated-since",
            type=moment("--updated-since"),
            metavar="DATE",
            help="Only contacts updated at or after this date (YYYY-MM-DD, midnight UTC) or ISO 8601 datetime.",
        )
        parser.add_argument("--valid-phones", action="store_true", help="Only contacts whose phone is valid.")

    def handle(self, *args: Any, **options: Any) -> None:
        organization = get_organization(options["org"])
        # A name the organization does not have is a typo far more often than a wish for an empty file.
        tags = set(Tag.objects.filter(organization=organization).values_list("name", flat=True))
        folded = {name.lower() for name in tags}
        for name in options["tag"]:
            if name.lower() not in folded:
                raise CommandError(f"--tag: {organization.slug} has no tag named {name!r}; its tags: {_listed(tags)}")
        groups = set(ContactGroup.objects.filter(organization=organization).values_list("name", flat=True))
        for name in options["group"]:
            if name not in groups:
                raise CommandError(
                    f"--group: {organization.slug} has no group named {name!r} (names are exact); "
                    f"its groups: {_listed(groups)}"
                )
        queryset = filter_contacts(
            organization,
            tags=options["tag"],
            groups=options["group"],
            source=options["source"],
            created_since=options["created_since"],
            updated_since=options["updated_since"],
            phone_valid=True if options["valid_phones"] else None,
        )
        if not options["output"]:
            write_contacts_csv(queryset, self.stdout, organization=organization)
            return
        try:
            out = open(options["output"], "w", encoding="utf-8", newline="")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise CommandError(f"-o/--output: cannot write {options['output']}: {exc.strerror}") from None
        with out:
            write_contacts_csv(queryset, out, organization=organization)


def _listed(names: set[str], limit: int = 20) -> str:
    ordered = sorted(names, key=str.lower)
    if not ordered:
        return "none"
    return ", ".join(ordered[:limit]) + (", ..." if len(ordered) > limit else "")
