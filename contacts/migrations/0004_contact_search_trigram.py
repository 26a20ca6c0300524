"""Trigram index for the admin's contact search (PostgreSQL with pg_trgm only).

The extension needs a privileged role to create; where it cannot be created the index is skipped and search
falls back to a scan (correct, slower)."""

from django.db import migrations

INDEX = "contact_search_trgm"
# Frozen copy of contacts.selectors.search.search_sql() (a test keeps the two equal): queries must use the
# exact expression the index was built from.
SEARCH_SQL = (
    """UPPER(COALESCE("name", '') || ' ' || COALESCE("full_name", '') || ' ' || COALESCE("email", '') """
    """|| ' ' || COALESCE("alias", '') || ' ' || COALESCE("contact_key", ''))"""
)


def create(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if cursor.fetchone() is None:
            cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
            if cursor.fetchone() is None:
                return
            cursor.execute("SAVEPOINT crm_trgm")
            try:
                cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            except Exception:
                cursor.execute("ROLLBACK TO SAVEPOINT crm_trgm")
                return
            cursor.execute("RELEASE SAVEPOINT crm_trgm")
        cursor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON contacts_contact USING gin (({SEARCH_SQL}) gin_trgm_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("contacts", "0003_importjob")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
