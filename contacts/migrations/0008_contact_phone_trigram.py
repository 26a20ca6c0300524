"""Trigram index on the phone for the admin's partial phone search (`212456` finds +12124567890), PostgreSQL with
pg_trgm only.

Without it, `SUBSTRING(phone, 2) LIKE '%212456%'` OR-ed with the indexed text search makes PostgreSQL scan the whole table
(0.5 s at 300,000 contacts); with it the search stays a BitmapOr of index scans (1 ms). Where pg_trgm is missing
(migration 0004 could not create it) the index is skipped and the search scans (correct, slower)."""

from django.db import migrations

INDEX = "contact_phone_trgm"


def create(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if cursor.fetchone() is None:
            return
        # On the number without its "+" (contacts.selectors.search.phone_digits), not on the column: an index on
        # `phone` itself would also serve `phone = ANY(...)`, and PostgreSQL then prefers it to the unique index
        # for the importer's batch lookups, which become thousands of times slower.
        cursor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON contacts_contact USING gin ((SUBSTRING(phone, 2)) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("contacts", "0007_importjob_private_files")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
