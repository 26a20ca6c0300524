"""factory_boy factories for the canonical model."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model

from contacts.models import (
    Branch,
    Contact,
    ContactGroup,
    CustomField,
    CustomFieldType,
    Membership,
    Organization,
    SenderNumber,
    Tag,
    Team,
)
from contacts.models.credentials import ALL_SCOPES
from contacts.services import credentials


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Organization {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")
    default_region = "US"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.PostGenerationMethodCall("set_password", "correct horse battery staple")

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    role = Membership.Role.AGENT


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Team {n}")


class BranchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Branch

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Branch {n}")


class SenderNumberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SenderNumber

    organization = factory.SubFactory(OrganizationFactory)
    phone = factory.Sequence(lambda n: f"+9665{n:08d}")
    external_id = factory.Sequence(lambda n: str(100000 + n))


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"tag-{n}")


class ContactGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContactGroup

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Group {n}")


class CustomFieldFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomField

    organization = factory.SubFactory(OrganizationFactory)
    key = factory.Sequence(lambda n: f"field_{n}")
    label = factory.LazyAttribute(lambda f: f.key)
    field_type = CustomFieldType.TEXT


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Contact {n}")
    phone = factory.Sequence(lambda n: f"+1212555{n % 10000:04d}")
    phone_valid = True
    email = factory.Sequence(lambda n: f"contact{n}@example.com")


def make_api_key(organization: Organization, scopes: list[str] | None = None, **kwargs) -> tuple:
    """An ApiKey and its secret; all scopes unless given."""
    return credentials.create_api_key(
        organization=organization, name=kwargs.pop("name", "test key"), scopes=scopes or ALL_SCOPES, **kwargs
    )
