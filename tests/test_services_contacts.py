import pytest

from contacts.errors import Conflict, UnknownReference, ValidationFailed
from contacts.models import Contact, CustomField, CustomFieldType, Tag
from contacts.services.changes import contacts_changed
from contacts.services.contacts import create_contact, delete_contact, update_contact, upsert_contact
from tests.factories import (
    BranchFactory,
    ContactFactory,
    ContactGroupFactory,
    CustomFieldFactory,
    MembershipFactory,
    TagFactory,
    TeamFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def test_create_contact_stores_every_canonical_field(organization):
    branch = BranchFactory(organization=organization)
    team = TeamFactory(organization=organization)
    user = UserFactory(email="agent@acme.test")
    MembershipFactory(user=user, organization=organization)
    group = ContactGroupFactory(organization=organization, name="Leads")
    CustomFieldFactory(organization=organization, key="birthday", field_type=CustomFieldType.DATE)

    contact = create_contact(
        organization=organization,
        name="Juan",
        full_name="Juan Pérez",
        phone="+1 (212) 456-7890",
        email="juan@ejemplo.com",
        country="México",
        alias="juan",
        contact_key="juan@ejemplo.com",
        source="whatsapp",
        branch=branch,
        team=team,
        assigned_user=user,
        groups=[group],
        tags=["VIP", "Lead"],
        custom_fields={"birthday": "1990-02-03"},
        is_favorite=True,
    )

    stored = Contact.objects.get(pk=contact.pk)
    assert stored.phone_e164 == "+12124567890"
    assert stored.phone_valid is True
    assert stored.phone_digits == "12124567890"
    assert (stored.branch, stored.team, stored.assigned_user) == (branch, team, user)
    assert sorted(stored.tags.values_list("name", flat=True)) == ["Lead", "VIP"]
    assert list(stored.groups.all()) == [group]
    assert stored.custom_fields == {"birthday": "1990-02-03"}
    assert stored.is_favorite is True
    assert stored.source == "whatsapp"


def test_create_contact_reuses_tags_case_insensitively(organization):
    TagFactory(organization=organization, name="VIP")
    contact = create_contact(organization=organization, name="A", tags=["vip"])
    assert list(contact.tags.values_list("name", flat=True)) == ["VIP"]
    assert Tag.objects.filter(organization=organization).count() == 1


def test_unknown_tag_is_rejected_when_tags_must_exist(organization):
    with pytest.raises(UnknownReference) as raised:
        create_contact(organization=organization, name="A", tags=["nope"], create_missing_tags=False)
    assert raised.value.field == "tags"
    assert raised.value.message == "Unknown tag: nope"
    assert Contact.objects.count() == 0


def test_references_from_another_organization_are_unknown(organization, other_organization):
    foreign_branch = BranchFactory(organization=other_organization)
    foreign_tag = TagFactory(organization=other_organization, name="theirs")
    with pytest.raises(UnknownReference):
        create_contact(organization=organization, name="A", branch=foreign_branch)
    with pytest.raises(UnknownReference):
        create_contact(organization=organization, name="A", tags=[foreign_tag])
    outsider = UserFactory()
    with pytest.raises(UnknownReference):
        create_contact(organization=organization, name="A", assigned_user=outsider)
    assert Contact.objects.count() == 0


@pytest.mark.parametrize("field", ["phone", "alias", "contact_key"])
def test_duplicate_unique_value_is_a_conflict_naming_the_field(organization, field):
    values = {"phone": "+12124567890", "alias": "john", "contact_key": "key-1"}
    create_contact(organization=organization, name="first", **{field: values[field]})
    with pytest.raises(Conflict) as raised:
        create_contact(organization=organization, name="second", **{field: values[field]})
    assert raised.value.field == field
    assert Contact.objects.count() == 1


def test_same_unique_values_are_allowed_in_another_organization(organization, other_organization):
    fields = {"phone": "+12124567890", "alias": "john", "contact_key": "key-1"}
    create_contact(organization=organization, **fields)
    create_contact(organization=other_organization, **fields)
    assert Contact.objects.count() == 2


def test_custom_fields_defined_on_first_use_and_typed(organization):
    contact = create_contact(
        organization=organization,
        custom_fields={"CITY": "London", "age": "42"},
        custom_field_types={"CITY": "text", "age": "number"},
    )
    assert contact.custom_fields == {"CITY": "London", "age": 42}
    assert contact.custom_field_order == ["CITY", "age"]
    assert dict(CustomField.objects.values_list("key", "field_type")) == {"CITY": "text", "age": "number"}


def test_custom_field_type_mismatch_writes_nothing(organization):
    with pytest.raises(ValidationFailed) as raised:
        create_contact(organization=organization, custom_fields={"age": "old"}, custom_field_types={"age": "number"})
    assert raised.value.field == "custom_fields.age"
    assert Contact.objects.count() == 0
    assert CustomField.objects.count() == 0


def test_update_contact_changes_only_given_fields(organization):
    contact = create_contact(organization=organization, name="A", email="a@example.com", tags=["x"])
    updated = update_contact(contact, name="B", tags=["y"])
    assert (updated.name, updated.email) == ("B", "a@example.com")
    assert list(updated.tags.values_list("name", flat=True)) == ["y"]


def test_update_to_taken_phone_is_conflict(organization):
    ContactFactory(organization=organization, phone="+12124567890")
    other = ContactFactory(organization=organization, phone="+12124567891")
    with pytest.raises(Conflict):
        update_contact(other, phone="+12124567890")
    other.refresh_from_db()
    assert other.phone_e164 == "+12124567891"


def test_upsert_matches_on_normalized_phone(organization):
    first, created = upsert_contact(organization=organization, match_on="phone", phone="+12124567890", name="A")
    second, created_again = upsert_contact(organization=organization, match_on="phone", phone="212-456-7890", name="B")
    assert created and not created_again
    assert first.pk == second.pk
    assert Contact.objects.get().name == "B"


def test_delete_contact_removes_row(organization):
    contact = ContactFactory(organization=organization)
    delete_contact(contact)
    assert not Contact.objects.exists()


def test_update_of_a_contact_deleted_meanwhile_is_not_found(organization):
    from contacts.errors import NotFound

    contact = ContactFactory(organization=organization)
    Contact.objects.filter(pk=contact.pk).delete()
    with pytest.raises(NotFound):
        update_contact(contact, name="ghost")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"tags": ["bad\x00tag"]},
        {"custom_fields": {"CITY": "Lon\x00don"}, "custom_field_types": {"CITY": "text"}},
        {"custom_fields": {"CI\x00TY": "London"}, "custom_field_types": {"CI\x00TY": "text"}},
        {"groups": ["bad\x00group"]},
        {"name": "nul\x00name"},
    ],
)
def test_nul_characters_are_rejected_before_the_database(organization, kwargs):
    with pytest.raises(ValidationFailed):
        create_contact(organization=organization, **kwargs)
    assert Contact.objects.count() == 0
    assert Tag.objects.count() == 0
    assert CustomField.objects.count() == 0


# --- every write reports itself once through record_change -------------------------------------------------------


@pytest.fixture
def changes():
    received: list[tuple[str, int, tuple[int, ...], object]] = []

    def receiver(sender, organization_id, contact_ids, actor, **kwargs):
        received.append((str(sender), organization_id, contact_ids, actor))

    contacts_changed.connect(receiver)
    yield received
    contacts_changed.disconnect(receiver)


def test_create_update_and_delete_each_record_one_change(organization, changes):
    contact = create_contact(organization=organization, name="A", tags=["VIP"], actor="creator")
    update_contact(contact, name="B", tags=[], actor="editor")
    contact_id = contact.pk
    delete_contact(contact, actor="remover")

    assert changes == [
        ("created", organization.pk, (contact_id,), "creator"),
        ("updated", organization.pk, (contact_id,), "editor"),
        ("deleted", organization.pk, (contact_id,), "remover"),
    ]


def test_upsert_records_one_change_of_what_it_did(organization, changes):
    first, _ = upsert_contact(organization=organization, match_on="phone", phone="+12124567890", actor="api")
    upsert_contact(organization=organization, match_on="phone", phone="212-456-7890", name="B", actor="api")

    assert changes == [
        ("created", organization.pk, (first.pk,), "api"),
        ("updated", organization.pk, (first.pk,), "api"),
    ]


def test_a_refused_write_records_no_change(organization, changes):
    contact = create_contact(organization=organization, name="A", phone="+12124567890")
    changes.clear()

    with pytest.raises(Conflict):
        create_contact(organization=organization, phone="+12124567890")
    with pytest.raises(ValidationFailed):
        update_contact(contact, email="nope")

    assert changes == []
