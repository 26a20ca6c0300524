"""upsert_contact: create-or-update by a match key, with the contact's channel identities, in one transaction."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from contacts.errors import Conflict
from contacts.models import ChannelIdentity, Contact
from contacts.services import contacts as contact_services
from contacts.services.changes import contacts_changed
from contacts.services.channel_identities import Identity
from contacts.services.contacts import create_contact, upsert_contact
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.django_db


def _identities(*pairs: tuple[str, str]) -> dict[str, list[Identity]]:
    result: dict[str, list[Identity]] = {}
    for channel, external_id in pairs:
        result.setdefault(channel, []).append(Identity(channel, external_id, {"application": "app"}))
    return result


def _stored_identities(contact: Contact) -> list[tuple[str, str, dict]]:
    return list(
        ChannelIdentity.objects.filter(contact=contact)
        .order_by("channel", "external_id")
        .values_list("channel", "external_id", "details")
    )


@pytest.fixture
def changes():
    received: list[tuple[str, tuple[int, ...], object]] = []

    def receiver(sender, organization_id, contact_ids, actor, **kwargs):
        received.append((str(sender), contact_ids, actor))

    contacts_changed.connect(receiver)
    yield received
    contacts_changed.disconnect(receiver)


def test_upsert_creates_the_contact_with_its_channel_identities(organization, changes):
    contact, created = upsert_contact(
        organization=organization,
        match_on="contact_key",
        contact_key="key-1",
        name="Ana",
        channel_identities=_identities(("push", "device-1"), ("line", "U1")),
        actor="robot",
    )

    assert created is True
    stored = Contact.objects.get(organization=organization)
    assert (stored.pk, stored.contact_key, stored.name) == (contact.pk, "key-1", "Ana")
    assert _stored_identities(stored) == [
        ("line", "U1", {"application": "app"}),
        ("push", "device-1", {"application": "app"}),
    ]
    assert changes == [("created", (contact.pk,), "robot")]


def test_upsert_updates_the_matching_contact_and_replaces_identities_of_the_channels_given(organization, changes):
    existing, _ = upsert_contact(
        organization=organization,
        match_on="contact_key",
        contact_key="key-1",
        name="Ana",
        channel_identities=_identities(("push", "old-device"), ("line", "U1")),
    )
    changes.clear()

    contact, created = upsert_contact(
        organization=organization,
        match_on="contact_key",
        contact_key="key-1",
        name="Ana María",
        channel_identities=_identities(("push", "new-device")),
        actor="robot",
    )

    assert (created, contact.pk) == (False, existing.pk)
    assert Contact.objects.get(pk=existing.pk).name == "Ana María"
    assert _stored_identities(contact) == [
        ("line", "U1", {"application": "app"}),
        ("push", "new-device", {"application": "app"}),
    ]
    assert changes == [("updated", (existing.pk,), "robot")]


def test_an_identity_of_another_contact_is_a_conflict_and_writes_nothing(organization, changes):
    owner = create_contact(organization=organization, name="Owner")
    ChannelIdentity.objects.create(organization=organization, contact=owner, channel="push", external_id="taken")
    changes.clear()

    with pytest.raises(Conflict) as raised:
        upsert_contact(
            organization=organization,
            match_on="contact_key",
            contact_key="newcomer",
            name="Newcomer",
            channel_identities=_identities(("push", "taken")),
        )

    assert (raised.value.field, raised.value.message) == (
        "channel_identities",
        "A channel address given already belongs to another contact",
    )
    assert list(Contact.objects.values_list("name", flat=True)) == ["Owner"]
    assert list(ChannelIdentity.objects.values_list("contact__name", "external_id")) == [("Owner", "taken")]


def test_an_identity_conflict_on_update_leaves_the_contact_as_it_was(organization):
    owner = create_contact(organization=organization, name="Owner")
    ChannelIdentity.objects.create(organization=organization, contact=owner, channel="push", external_id="taken")
    contact = create_contact(organization=organization, name="Before", contact_key="k")
    ChannelIdentity.objects.create(organization=organization, contact=contact, channel="push", external_id="mine")

    with pytest.raises(Conflict):
        upsert_contact(
            organization=organization,
            match_on="contact_key",
            contact_key="k",
            name="After",
            channel_identities=_identities(("push", "taken")),
        )

    assert Contact.objects.get(pk=contact.pk).name == "Before"
    assert _stored_identities(contact) == [("push", "mine", {})]


def test_a_create_that_loses_the_race_for_the_key_updates_the_winner(organization, monkeypatch, changes):
    """The lookup finds nothing, then another request inserts the key before ours: ours becomes its update."""
    real_create = contact_services.create_contact

    def create_after_the_winner(**kwargs):
        monkeypatch.setattr(contact_services, "create_contact", real_create)
        real_create(organization=organization, contact_key="racer", name="Winner")
        return real_create(**kwargs)

    monkeypatch.setattr(contact_services, "create_contact", create_after_the_winner)

    contact, created = upsert_contact(
        organization=organization,
        match_on="contact_key",
        contact_key="racer",
        email="loser@example.com",
        channel_identities=_identities(("push", "device")),
    )

    assert created is False
    stored = Contact.objects.get(organization=organization)
    assert (stored.pk, stored.name, stored.email) == (contact.pk, "Winner", "loser@example.com")
    assert _stored_identities(stored) == [("push", "device", {"application": "app"})]
    assert [kind for kind, _, _ in changes] == ["created", "updated"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_racing_creates_of_one_key_end_as_one_contact_and_one_update():
    organization = OrganizationFactory(slug="upsert-race")
    real_create = contact_services.create_contact
    # Both have looked the key up, and found nothing, before either inserts.
    barrier = threading.Barrier(2)
    outcomes: list[tuple[bool, int] | str] = []
    lock = threading.Lock()

    def create_after_both_looked(**kwargs):
        barrier.wait(timeout=10)
        return real_create(**kwargs)

    def upsert(index: int) -> None:
        try:
            contact, created = upsert_contact(
                organization=organization,
                match_on="contact_key",
                contact_key="racer",
                email=f"r{index}@example.com",
                channel_identities=_identities(("push", f"device-{index}")),
            )
            result: tuple[bool, int] | str = (created, contact.pk)
        except Exception as exc:  # reported by the assertion below
            result = repr(exc)
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    contact_services.create_contact = create_after_both_looked
    try:
        threads = [threading.Thread(target=upsert, args=(index,)) for index in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        contact_services.create_contact = real_create

    stored = Contact.objects.get(organization=organization)
    assert sorted(outcomes) == [(False, stored.pk), (True, stored.pk)]
    assert stored.contact_key == "racer"
    # The update replaced the push device the create wrote.
    assert ChannelIdentity.objects.filter(contact=stored).count() == 1
