"""The read selectors (contacts/selectors/): every lookup stays in the organization it is given, a phone is found
whatever format it is typed in, tags match in any case, and the one search answers each surface's semantics."""

from __future__ import annotations

import pytest

from contacts.errors import NotFound, ValidationFailed
from contacts.models import Contact
from contacts.selectors import (
    SHOWN_FULL_NAME,
    PhoneMatch,
    contacts_with_every_tag,
    find_contact,
    search_contacts,
)
from contacts.services.contacts import create_contact

pytestmark = pytest.mark.django_db

UUID = "6f1c2b9e-0d4a-4c55-9d0e-8a1b2c3d4e5f"


@pytest.fixture
def ana(organization):
    contact = create_contact(
        organization=organization, name="Ana", phone="+12125550111", email="Ana@Example.com", tags=["VIP", "Atención"]
    )
    Contact.objects.filter(pk=contact.pk).update(uuid=UUID)
    return Contact.objects.get(pk=contact.pk)


@pytest.fixture
def globex_ana(other_organization):
    """Another organization's contact with the same phone, email and tags."""
    return create_contact(
        organization=other_organization,
        name="Ana elsewhere",
        phone="+12125550111",
        email="ana@example.com",
        tags=["VIP", "Atención"],
    )


# --- by uuid and by id ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [UUID, "6f1c2b9e0d4a4c559d0e8a1b2c3d4e5f", UUID.upper()])
def test_contact_by_uuid_reads_the_uuid_dashed_or_not(organization, ana, text):
    assert find_contact(organization=organization, uuid=text).name == "Ana"


@pytest.mark.parametrize("text", ["not-a-uuid", "", "6f1c2b9e-0d4a-4c55-9d0e", f" {UUID}"])
def test_contact_by_uuid_finds_nothing_for_text_that_is_no_uuid(organization, ana, text):
    assert find_contact(organization=organization, uuid=text) is None


def test_contact_by_uuid_never_finds_another_organizations_contact(other_organization, ana):
    assert find_contact(organization=other_organization, uuid=UUID) is None


def test_contact_by_uuid_raises_the_callers_not_found(other_organization, ana):
    with pytest.raises(NotFound) as raised:
        find_contact(organization=other_organization, uuid=UUID, not_found=NotFound("id", "Contact missing"))
    assert (raised.value.field, raised.value.message) == ("id", "Contact missing")


def test_contact_by_uuid_keeps_the_scoping_of_a_callers_queryset(organization, other_organization, ana):
    # A queryset only adds what a serializer reads; it cannot widen the search to every organization.
    everyone = Contact.objects.select_related("team")
    assert find_contact(organization=other_organization, uuid=UUID, queryset=everyone) is None
    assert find_contact(organization=organization, uuid=UUID, queryset=everyone).name == "Ana"


def test_contact_by_pk_stays_in_the_organization(organization, other_organization, ana):
    assert find_contact(organization=organization, pk=ana.pk).name == "Ana"
    assert find_contact(organization=other_organization, pk=ana.pk) is None
    with pytest.raises(NotFound) as raised:
        find_contact(organization=other_organization, pk=ana.pk, not_found=NotFound("id", f"Contact {ana.pk}"))
    assert raised.value.field == "id"


# --- by phone ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "number",
    ["+12125550111", "12125550111", "2125550111", "(212) 555-0111", "212.555.0111", "+1 212 555 0111", "0012125550111"],
)
def test_contact_by_phone_finds_one_contact_in_every_format(organization, ana, globex_ana, number):
    assert find_contact(organization=organization, phone=number).name == "Ana"


def test_contact_by_phone_reads_national_numbers_in_the_organizations_region(other_organization):
    create_contact(organization=other_organization, name="Gwen", phone="+447911123456")

    for number in ["07911 123456", "07911123456", "+44 7911 123456", "447911123456"]:
        assert find_contact(organization=other_organization, phone=number).name == "Gwen"


def test_contact_by_phone_never_finds_another_organizations_contact(organization, other_organization, ana):
    assert find_contact(organization=other_organization, phone="+12125550111") is None
    with pytest.raises(NotFound) as raised:
        find_contact(
            organization=other_organization, phone="+12125550111", not_found=NotFound("msisdn", "Contact not found")
        )
    assert (raised.value.field, raised.value.message) == ("msisdn", "Contact not found")


def test_an_unreadable_number_is_no_contact_unless_the_caller_refuses_it(organization, ana):
    assert find_contact(organization=organization, phone="call me") is None
    with pytest.raises(ValidationFailed) as raised:
        find_contact(organization=organization, phone="call me", refuse_unreadable_as="number")
    assert raised.value.field == "number"


# --- by email ------------------------------------------------------------------------------------------------------


def test_contact_by_email_ignores_case_and_answers_the_first_created(organization, ana, globex_ana):
    create_contact(organization=organization, name="Second Ana", phone="+12125550122", email="ana@example.com")

    assert find_contact(organization=organization, email=" ANA@example.COM ").name == "Ana"
    assert find_contact(organization=organization, email="nobody@example.com") is None


def test_contact_by_email_never_finds_another_organizations_contact(other_organization, ana):
    create_contact(organization=other_organization, name="Other", phone="+12125550133")
    assert find_contact(organization=other_organization, email="Ana@Example.com") is None


# --- every tag -----------------------------------------------------------------------------------------------------


@pytest.fixture
def tagged(organization, ana, globex_ana):
    create_contact(organization=organization, name="Bea", phone="+12125550144", tags=["vip"])
    create_contact(organization=organization, name="Cid", phone="+12125550155")


def names(queryset) -> list[str]:
    return sorted(queryset.values_list("name", flat=True))


@pytest.mark.parametrize(
    ("tags", "found"),
    [
        (["VIP", "Atención"], ["Ana"]),
        (["vip", "ATENCIÓN"], ["Ana"]),
        (["atención"], ["Ana"]),
        (["Vip"], ["Ana", "Bea"]),
        (["vip", "VIP"], ["Ana", "Bea"]),
        (["vip", "unknown"], []),
        ([], ["Ana", "Bea", "Cid"]),
    ],
)
def test_contacts_with_every_tag_ignores_case(organization, tagged, tags, found):
    assert names(contacts_with_every_tag(organization=organization, names=tags)) == found


def test_contacts_with_every_tag_stays_in_the_organization(other_organization, tagged):
    assert names(contacts_with_every_tag(organization=other_organization, names=["vip"])) == ["Ana elsewhere"]
    # Even over a queryset of every organization's contacts.
    everyone = Contact.objects.all()
    assert names(contacts_with_every_tag(organization=other_organization, names=[], queryset=everyone)) == [
        "Ana elsewhere"
    ]


# --- the one search, with each surface's semantics -----------------------------------------------------------------


@pytest.fixture
def people(organization):
    create_contact(organization=organization, name="Juan", full_name="Juan Pérez", phone="+12124567890")
    create_contact(organization=organization, name="Juan", alias="el-pérez", phone="+12125550166")
    create_contact(organization=organization, full_name="Lola Pérez", phone="+12125550177")
    create_contact(organization=organization, name="Max", phone="+447911123456")


def found(queryset) -> list[tuple[str, str]]:
    return sorted(queryset.values_list("name", "full_name"))


def test_admin_search_needs_every_word_anywhere(organization, people):
    contacts = Contact.objects.filter(organization=organization)
    assert found(search_contacts(contacts, "juan PÉREZ", regions=["US"])) == [("Juan", ""), ("Juan", "Juan Pérez")]
    assert found(search_contacts(contacts, "pérez", regions=["US"])) == [
        ("", "Lola Pérez"),
        ("Juan", ""),
        ("Juan", "Juan Pérez"),
    ]


def test_whole_term_search_in_named_fields(organization, people):
    # Awal's: the term as a whole, in the name, full name or email; the alias is not searched.
    contacts = Contact.objects.filter(organization=organization)
    kwargs = {"fields": ("name", "full_name", "email"), "every_word": False, "phone": PhoneMatch.DIGITS}
    assert found(search_contacts(contacts, "juan PÉREZ", **kwargs)) == [("Juan", "Juan Pérez")]
    assert found(search_contacts(contacts, "pérez", **kwargs)) == [("", "Lola Pérez"), ("Juan", "Juan Pérez")]


def test_digits_phone_match_takes_the_digits_wherever_they_are(organization, people):
    contacts = Contact.objects.filter(organization=organization)
    kwargs = {"fields": ("name",), "every_word": False, "phone": PhoneMatch.DIGITS}
    assert found(search_contacts(contacts, "tel 7911-12", **kwargs)) == [("Max", "")]
    assert found(search_contacts(contacts, "2124", **kwargs)) == [("Juan", "Juan Pérez")]


def test_as_typed_phone_match_is_part_of_the_e164_number(organization, people):
    contacts = Contact.objects.filter(organization=organization)
    assert found(search_contacts(contacts, "+4479", fields=(), phone=PhoneMatch.AS_TYPED)) == [("Max", "")]
    assert found(search_contacts(contacts, "4479", fields=(), phone=PhoneMatch.AS_TYPED)) == [("Max", "")]
    assert found(search_contacts(contacts, "+79", fields=(), phone=PhoneMatch.AS_TYPED)) == []


def test_shown_full_name_falls_back_to_the_name(organization, people):
    # Contactship's full_name filter matches the full_name it renders: the full name, else the name.
    contacts = Contact.objects.filter(organization=organization)
    kwargs = {"fields": (SHOWN_FULL_NAME,), "every_word": False, "phone": PhoneMatch.NONE}
    assert found(search_contacts(contacts, "JUAN", **kwargs)) == [("Juan", ""), ("Juan", "Juan Pérez")]
    assert found(search_contacts(contacts, "max", **kwargs)) == [("Max", "")]
    assert found(search_contacts(contacts, "lola", **kwargs)) == [("", "Lola Pérez")]


def test_a_blank_term_finds_everything(organization, people):
    contacts = Contact.objects.filter(organization=organization)
    assert search_contacts(contacts, "   ", regions=["US"]).count() == 4


@pytest.mark.parametrize("lookups", [{}, {"pk": 1, "uuid": UUID}, {"phone": "+12125550111", "email": "a@example.com"}])
def test_find_contact_takes_exactly_one_identifier(organization, lookups):
    with pytest.raises(TypeError):
        find_contact(organization=organization, **lookups)
