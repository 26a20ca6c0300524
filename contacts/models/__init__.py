from contacts.models.contacts import (
    ChannelIdentity,
    Contact,
    ContactGroup,
    ContactSource,
    CustomField,
    CustomFieldType,
    Tag,
)
from contacts.models.credentials import AccessToken, ApiKey, HmacClient, OAuthClient, Scope
from contacts.models.idempotency import IdempotencyRecord, IdempotencyState
from contacts.models.imports import ImportJob
from contacts.models.tenancy import Branch, Membership, Organization, SenderNumber, Team

__all__ = [
    "AccessToken",
    "ApiKey",
    "Branch",
    "ChannelIdentity",
    "Contact",
    "ContactGroup",
    "ContactSource",
    "CustomField",
    "CustomFieldType",
    "HmacClient",
    "IdempotencyRecord",
    "IdempotencyState",
    "ImportJob",
    "Membership",
    "OAuthClient",
    "Organization",
    "Scope",
    "SenderNumber",
    "Tag",
    "Team",
]
