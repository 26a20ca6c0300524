"""Import jobs record their runner (host, boot id, process) and a heartbeat, so a job whose process died can be
marked failed (`manage.py recover_import_jobs`); a contact's bot status is one of Callbell's two values.

Existing jobs get an empty runner, which recovery leaves alone. The choices
are checked by forms only (no database constraint)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0008_contact_phone_trigram"),
    ]

    operations = [
        migrations.AddField(
            model_name="importjob",
            name="heartbeat_at",
            field=models.DateTimeField(blank=True, help_text="Last sign of life of the job's runner.", null=True),
        ),
        migrations.AddField(
            model_name="importjob",
            name="runner",
            field=models.JSONField(
                blank=True, default=dict, help_text="Host, boot id and process of the job's runner."
            ),
        ),
        migrations.AlterField(
            model_name="contact",
            name="bot_status",
            field=models.CharField(
                blank=True, choices=[("bot_start", "Bot started"), ("bot_end", "Bot ended")], max_length=20
            ),
        ),
    ]
