"""What every CRM command shares: argument errors are one line, the options that name an organization, and
value parsers whose errors say which argument is wrong and what it accepts.

Django's parser prints its usage block and exits with status 2 when called from a shell, and raises
"Error: ..." from call_command; here both give one `CommandError` line and exit status 1, like every other
mistake a command reports.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import IntegrityError, transaction
from django.utils.dateparse import parse_date, parse_datetime

from contacts.errors import ValidationFailed
from contacts.models import HmacClient, OAuthClient, Organization
from contacts.services import credentials

# How many existing slugs an unknown --org lists: enough to spot a typo, not a dump of every tenant.
_SLUGS_SHOWN = 10


class CrmCommand(BaseCommand):
    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.error = _argument_error  # type: ignore[method-assign]
        return parser

    def run_from_argv(self, argv: list[str]) -> None:
        try:
            super().run_from_argv(argv)
        except CommandError as exc:
            # Only parsing errors get here: the base class reports the ones raised while the command runs.
            if "--traceback" in argv:
                raise
            self.stderr.write(f"CommandError: {exc}")
            sys.exit(exc.returncode)


def _argument_error(message: str) -> NoReturn:
    raise CommandError(one_line(message.removeprefix("argument ")))


def one_line(text: str) -> str:
    return " ".join(text.split())


# -- Organization ------------------------------------------------------------------------------------------


def add_organization_argument(parser: CommandParser, *, required: bool = True) -> None:
    """`--org SLUG`, also spelled `--organization SLUG` (both spellings work on every command)."""
    parser.add_argument(
        "--org", "--organization", dest="org", metavar="SLUG", required=required, help="The organization's slug."
    )


def get_organization(slug: str) -> Organization:
    organization = Organization.objects.filter(slug=slug).first()
    if organization is not None:
        return organization
    slugs = list(Organization.objects.order_by("slug").values_list("slug", flat=True)[: _SLUGS_SHOWN + 1])
    if not slugs:
        raise CommandError(f"No organization with slug {slug!r}: there are none yet (manage.py create_organization)")
    listed = ", ".join(slugs[:_SLUGS_SHOWN]) + (", ..." if len(slugs) > _SLUGS_SHOWN else "")
    raise CommandError(f"No organization with slug {slug!r} (--org); existing: {listed}")


# -- Value parsers for `type=` (argparse reports their message as "--option: message") -----------------------


def whole_number(minimum: int | None, maximum: int | None = None) -> Callable[[str], int]:
    """An integer within the bounds (None: unbounded; the command then checks the range itself)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = None
        too_low = value is not None and minimum is not None and value < minimum
        too_high = value is not None and maximum is not None and value > maximum
        if value is None or too_low or too_high:
            if minimum is None:
                bounds = ""
            elif maximum is None:
                bounds = f" {minimum} or more"
            else:
                bounds = f" from {minimum} to {maximum}"
            raise argparse.ArgumentTypeError(f"expects a whole number{bounds}, got {text!r}")
        return value

    return parse


def one_of(values: Sequence[str], what: str) -> Callable[[str], str]:
    """Case-insensitive choice among `values`, reported as "'x' is not a <what>; use one of: a, b"."""
    by_lower = {value.lower(): value for value in values}

    def parse(text: str) -> str:
        value = by_lower.get(text.strip().lower())
        if value is None:
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}; use one of: {', '.join(values)}")
        return value

    return parse


def text_of_length(maximum: int) -> Callable[[str], str]:
    def parse(text: str) -> str:
        value = text.strip()
        if not value:
            raise argparse.ArgumentTypeError("must not be empty")
        if len(value) > maximum:
            raise argparse.ArgumentTypeError(f"is {len(value)} characters long; at most {maximum} are allowed")
        return value

    return parse


def moment(option: str) -> Callable[[str], dt.datetime]:
    """A date (midnight UTC) or an ISO 8601 datetime (UTC when it names no offset)."""

    def parse(text: str) -> dt.datetime:
        expected = f"{option} expects YYYY-MM-DD or an ISO 8601 datetime, got {text!r}"
        try:
            value = parse_datetime(text)
            if value is None:
                day = parse_date(text)
                if day is None:
                    raise CommandError(expected)
                value = dt.datetime.combine(day, dt.time())
        except ValueError as exc:  # well formed but not a real date or time: month 13, 25 o'clock
            raise CommandError(f"{expected} ({exc})") from None
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)

    return parse


# The characters a client id may use: it travels in headers (Awal's X-Client-ID) and form bodies (SFMC's token
# request), where anything else would need quoting or could not be typed.
_CLIENT_ID_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._~-")
CLIENT_ID_MAX = 64


def client_id(text: str) -> str:
    if not 1 <= len(text) <= CLIENT_ID_MAX or not set(text) <= _CLIENT_ID_CHARS:
        raise argparse.ArgumentTypeError(
            f"expects 1 to {CLIENT_ID_MAX} letters, digits, '.', '_', '~' or '-', got {text!r}"
        )
    return text


def add_client_arguments(
    parser: CommandParser, model: type[HmacClient] | type[OAuthClient], *, name: dict[str, Any], client_id_help: str
) -> None:
    """The options every client-creating command takes: --org, --name (with `name`'s default or `required`, and
    help) and --client-id."""
    add_organization_argument(parser)
    parser.add_argument("--name", type=text_of_length(model._meta.get_field("name").max_length), **name)
    parser.add_argument("--client-id", type=client_id, help=client_id_help)


def create_client(
    model: type[HmacClient] | type[OAuthClient],
    *,
    organization: Organization,
    name: str,
    client_id: str | None,
    scopes: list[str],
    scope_option: str | None = None,
) -> tuple[Any, str]:
    """Create an HMAC or OAuth client through the service, or stop with the line the command's user reads: a
    client id already taken names --client-id; a refused scope names `scope_option` when given."""
    taken = f"An {model._meta.verbose_name} with client_id {client_id!r} already exists (--client-id)"
    if client_id is not None and model.objects.filter(client_id=client_id).exists():
        raise CommandError(taken)
    try:
        with transaction.atomic():
            return credentials.create_client(
                model, organization=organization, name=name, client_id=client_id, scopes=scopes
            )
    except IntegrityError:
        raise CommandError(taken) from None
    except ValidationFailed as error:
        named = scope_option and error.field == "scopes"
        raise CommandError(f"{error.message} ({scope_option})" if named else error.message) from None
