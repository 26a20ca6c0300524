"""`manage.py export_contacts --org SLUG [filters] [-o FILE]`: stream the organization's contacts as CSV."""

from __future__ import annotations

import datetime as dt
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.dateparse import parse_date, parse_datetime

from contacts.models import Organization
from contacts.services.exports import filter_contacts, write_contacts_csv


class Command(BaseCommand):
    help = "Export an organization's contacts as CSV (custom fields as cf:<key> columns, tags and groups joined)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", required=True, help="Organization slug.")
        parser.add_argument("-o", "--output", help="Write to this file instead of standard output.")
        parser.add_argument("--tag", action="append", default=[], help="Only contacts with this tag; repeatable.")
        parser.add_argument("--group", action="append", default=[], help="Only contacts in this group; repeatable.")
        parser.add_argument("--source", help="Only contacts from this source (api, import, whatsapp, ...).")
        parser.add_argument("--created-since", help="Only contacts created at or after this date or datetime.")
        parser.add_argument("--updated-since", help="Only contacts updated at or after this date or datetime.")
        parser.add_argument("--valid-phones", action="store_true", help="Only contacts whose phone is valid.")

    def handle(self, *args: Any, **options: Any) -> None:
        organization = Organization.objects.filter(slug=options["org"]).first()
        if organization is None:
            raise CommandError(f"No organization with slug {options['org']!r}")
        queryset = filter_contacts(
            organization,
            tags=options["tag"],
            groups=options["group"],
            source=options["source"],
            created_since=_moment(options["created_since"], "--created-since"),
            updated_since=_moment(options["updated_since"], "--updated-since"),
            phone_valid=True if options["valid_phones"] else None,
        )
        if options["output"]:
            with open(options["output"], "w", encoding="utf-8", newline="") as out:
                write_contacts_csv(queryset, out, organization=organization)
        else:
            write_contacts_csv(queryset, self.stdout if self.stdout else sys.stdout, organization=organization)


def _moment(text: str | None, option: str) -> dt.datetime | None:
    if not text:
        return None
    moment = parse_datetime(text)
    if moment is None:
        day = parse_date(text)
        if day is None:
            raise CommandError(f"{option} expects YYYY-MM-DD or an ISO 8601 datetime, got {text!r}")
        moment = dt.datetime.combine(day, dt.time())
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
