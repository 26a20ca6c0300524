"""A contact's addresses on channels that are not a phone or an email (push devices, LINE ids...)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction

from contacts.errors import Conflict
from contacts.models import ChannelIdentity, Contact


@dataclass(frozen=True)
class Identity:
    """One address: `external_id` on `channel`, with what the channel says about it."""

    channel: str
    external_id: str
    details: dict[str, Any] = field(default_factory=dict)


IdentitiesByChannel = Mapping[str, Sequence[Identity]]
"""{channel: identities}: the contact's whole set of addresses on each channel named."""


def write_channel_identities(
    contact: Contact, identities: IdentitiesByChannel, *, replace: bool = True
) -> tuple[list[str], list[str]] | None:
    """Make `identities` the contact's addresses on the channels they name (`replace=False`: a contact created in
    this transaction, which has none to remove). The caller holds the contact's row lock (the lock order: contact
    row, then link rows) and reports the change. An address that belongs to another contact of the organization
    is a `Conflict`, decided by the unique constraint so that concurrent requests cannot both win; nothing of the
    write stays then. Returns the addresses on those channels before and after (`channel:external_id`, sorted) for
    the change history; None when no channel was given."""
    if not identities:
        return None
    unique = {(identity.channel, identity.external_id): identity for group in identities.values() for identity in group}
    before: list[str] = []
    try:
        with transaction.atomic():
            if replace:
                current = ChannelIdentity.objects.filter(contact=contact, channel__in=list(identities))
                pairs = current.values_list("channel", "external_id")
                before = sorted(f"{channel}:{external_id}" for channel, external_id in pairs)
                current.delete()
            ChannelIdentity.objects.bulk_create(
                [
                    ChannelIdentity(
                        organization_id=contact.organization_id,
                        contact=contact,
                        channel=identity.channel,
                        external_id=identity.external_id,
                        details=identity.details,
                    )
                    for identity in unique.values()
                ]
            )
    except IntegrityError:
        raise Conflict("channel_identities", "A channel address given already belongs to another contact") from None
    return before, sorted(f"{channel}:{external_id}" for channel, external_id in unique)
