"""Indexes on the contact-tag and contact-group link tables that start with the tag (the group) and hold the contact.

The list's `tags=`/`groups=` filter of a tag on few contacts reads that tag's links first and then the contacts.
Django's own index on `tag_id` alone points into the link table's heap, so each link not in memory costs a random
page read; this one answers the same lookup from the index alone, its entries side by side. The tables are created
by the many-to-many fields, so the indexes are SQL here rather than `Meta.indexes`; both databases take the same
statement."""

from django.db import migrations

INDEXES = {
    "contact_tags_tag_contact": ("contacts_contact_tags", "tag_id"),
    "contact_groups_group_contact": ("contacts_contact_groups", "contactgroup_id"),
}


class Migration(migrations.Migration):
    dependencies = [("contacts", "0012_scopes")]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({column}, contact_id)",
            f"DROP INDEX IF EXISTS {name}",
            elidable=False,
        )
        for name, (table, column) in INDEXES.items()
    ]
