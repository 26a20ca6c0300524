"""The native API's permissions: `contacts:write` for contacts, `settings:write` for vocabularies, and the migration
that gave them to the keys that already had their power."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from contacts.models import ApiKey, Contact, Tag
from tests.factories import ContactFactory, TagFactory

pytestmark = pytest.mark.django_db


def test_contacts_write_creates_and_changes_contacts_but_not_vocabularies(organization, client_for):
    writer = client_for(organization, ["contacts:write"])
    contact = ContactFactory(organization=organization, name="Ada")

    created = writer.post("/api/v1/contacts", {"name": "Grace"}, format="json")
    changed = writer.patch(f"/api/v1/contacts/{contact.uuid}", {"name": "Ada L."}, format="json")
    tag = writer.post("/api/v1/tags", {"name": "VIP"}, format="json")
    deleted = writer.delete(f"/api/v1/contacts/{contact.uuid}")

    assert (created.status_code, changed.status_code) == (201, 200)
    assert (tag.status_code, tag.json()["detail"]) == (403, "Missing permission settings:write")
    assert (deleted.status_code, deleted.json()["detail"]) == (403, "Missing permission contacts:delete")
    assert sorted(Contact.objects.values_list("name", flat=True)) == ["Ada L.", "Grace"]
    assert Tag.objects.count() == 0


def test_settings_write_changes_vocabularies_but_not_contacts(organization, client_for):
    admin = client_for(organization, ["settings:write"])
    tag = TagFactory(organization=organization, name="Old")

    created = admin.post("/api/v1/tags", {"name": "VIP"}, format="json")
    renamed = admin.patch(f"/api/v1/tags/{tag.pk}", {"name": "Older"}, format="json")
    contact = admin.post("/api/v1/contacts", {"name": "Grace"}, format="json")
    batch = admin.post("/api/v1/contacts/batch", {"items": []}, format="json")
    removed = admin.delete(f"/api/v1/tags/{tag.pk}")

    assert (created.status_code, renamed.status_code, removed.status_code) == (201, 200, 204)
    assert (contact.status_code, contact.json()["detail"]) == (403, "Missing permission contacts:write")
    assert (batch.status_code, batch.json()["detail"]) == (403, "Missing permission contacts:write")
    assert list(Tag.objects.values_list("name", flat=True)) == ["VIP"]
    assert Contact.objects.count() == 0


def test_the_dialects_create_and_update_are_not_the_native_write(organization, client_for):
    legacy = client_for(organization, ["contacts:read", "contacts:create", "contacts:update", "contacts:delete"])

    response = legacy.post("/api/v1/contacts", {"name": "Grace"}, format="json")

    assert (response.status_code, response.json()["detail"]) == (403, "Missing permission contacts:write")
    assert Contact.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_the_migration_grants_the_new_permissions_only_where_a_key_had_their_power():
    executor = MigrationExecutor(connection)
    executor.migrate([("contacts", "0011_contact_org_updated")])
    old = executor.loader.project_state([("contacts", "0011_contact_org_updated")]).apps
    organization = old.get_model("contacts", "Organization").objects.create(name="Old", slug="old")
    key_model = old.get_model("contacts", "ApiKey")
    held = {
        "all four": ["contacts:read", "contacts:create", "contacts:update", "contacts:delete"],
        "create and update": ["contacts:create", "contacts:update"],
        "create only": ["contacts:create"],
        "read only": ["contacts:read"],
    }
    for name, scopes in held.items():
        key_model.objects.create(organization=organization, name=name, prefix=name[:16], digest="0" * 64, scopes=scopes)

    executor = MigrationExecutor(connection)
    executor.migrate([("contacts", "0012_scopes")])

    after = dict(ApiKey.objects.filter(organization__slug="old").values_list("name", "scopes"))
    assert after == {
        "all four": [
            "contacts:read", "contacts:create", "contacts:update", "contacts:delete", "contacts:write", "settings:write",
        ],
        "create and update": ["contacts:create", "contacts:update", "contacts:write"],
        "create only": ["contacts:create"],
        "read only": ["contacts:read"],
    }  # fmt: skip

    executor = MigrationExecutor(connection)
    executor.migrate([("contacts", "0011_contact_org_updated")])
    reverted = dict(key_model.objects.filter(organization__slug="old").values_list("name", "scopes"))
    assert reverted == held
    MigrationExecutor(connection).migrate(executor.loader.graph.leaf_nodes())
