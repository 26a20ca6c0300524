"""The native API's two new permissions, `contacts:write` and `settings:write`, for the keys that already had them.

Before them, the native API asked for `contacts:create` to create (a contact or a vocabulary entry) and
`contacts:update` to change. So that no key loses what it could do and none gains more than it was given:
a credential holding both `contacts:create` and `contacts:update` gains `contacts:write`; one holding all four
contact permissions (what a key created with every scope had) also gains `settings:write`. Others are left as they
are. Reversing removes the two.
"""

from django.db import migrations

MODELS = ("ApiKey", "HmacClient", "OAuthClient", "AccessToken")
WRITE_FROM = {"contacts:create", "contacts:update"}
SETTINGS_FROM = {"contacts:read", "contacts:create", "contacts:update", "contacts:delete"}
NEW = ("contacts:write", "settings:write")


def grant(apps, schema_editor):
    for name in MODELS:
        model = apps.get_model("contacts", name)
        for row in model.objects.only("pk", "scopes").iterator():
            held = set(row.scopes or [])
            added = [
                scope
                for scope, needs in (("contacts:write", WRITE_FROM), ("settings:write", SETTINGS_FROM))
                if needs <= held and scope not in held
            ]
            if added:
                model.objects.filter(pk=row.pk).update(scopes=[*row.scopes, *added])


def revoke(apps, schema_editor):
    for name in MODELS:
        model = apps.get_model("contacts", name)
        for row in model.objects.only("pk", "scopes").iterator():
            kept = [scope for scope in row.scopes or [] if scope not in NEW]
            if kept != (row.scopes or []):
                model.objects.filter(pk=row.pk).update(scopes=kept)


class Migration(migrations.Migration):
    dependencies = [("contacts", "0011_contact_org_updated")]

    operations = [migrations.RunPython(grant, revoke)]
