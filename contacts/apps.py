from django.apps import AppConfig


class ContactsConfig(AppConfig):
    name = "contacts"
    verbose_name = "Contacts CRM"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from contacts import db, signals  # noqa: F401 - connects the receivers

        db.install()
