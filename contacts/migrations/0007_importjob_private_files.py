"""Import files move to the private storage (PRIVATE_FILES_ROOT, no URL) under random names.

Files stored before this migration sit in MEDIA_ROOT under guessable names (`imports/<org>/<time>-<name>.csv`,
`imports/<org>/errors/import-<id>-errors.csv`); each is copied to the private storage and its job row updated,
and the originals are deleted once the migration has committed. A migration that fails leaves every row pointing
at its original file (at worst copies no row refers to, which purge_import_files removes a day later).
"""

import functools
import secrets

from django.db import migrations, models, transaction

import contacts.models.imports
import contacts.storage


def move_files_out_of_media(apps, schema_editor):
    from django.core.files.storage import default_storage, storages

    ImportJob = apps.get_model("contacts", "ImportJob")
    private = storages["private"]
    # Read first, then written: SQLite does not like a table updated under an open cursor over it.
    jobs = list(
        ImportJob.objects.exclude(file="", error_report="").values_list("pk", "organization_id", "file", "error_report")
    )
    for pk, organization_id, file_name, report_name in jobs:
        moved = {}
        for field, folder, name in (("file", "", file_name), ("error_report", "errors/", report_name)):
            if not name or private.exists(name) or not default_storage.exists(name):
                continue
            with default_storage.open(name, "rb") as source:
                new_name = f"imports/{organization_id}/{folder}{secrets.token_urlsafe(24)}.csv"
                moved[field] = (name, private.save(new_name, source))
        if moved:
            ImportJob.objects.filter(pk=pk).update(**{field: new for field, (_, new) in moved.items()})
            originals = [old for old, _ in moved.values()]
            transaction.on_commit(functools.partial(_delete, default_storage, originals))


def _delete(storage, names):
    for name in names:
        storage.delete(name)


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0006_contact_partial_indexes"),
    ]

    operations = [
        migrations.AlterField(
            model_name="importjob",
            name="error_report",
            field=models.FileField(
                blank=True,
                max_length=255,
                storage=contacts.storage.private_storage,
                upload_to=contacts.models.imports.error_report_upload_to,
            ),
        ),
        migrations.AlterField(
            model_name="importjob",
            name="file",
            field=models.FileField(
                blank=True,
                max_length=255,
                storage=contacts.storage.private_storage,
                upload_to=contacts.models.imports.import_upload_to,
            ),
        ),
        # Reversing leaves the files where they are: the private storage is where every version reads them from
        # once this migration has run, and moving them back would publish them again.
        migrations.RunPython(move_files_out_of_media, migrations.RunPython.noop),
    ]
