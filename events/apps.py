from __future__ import annotations

import functools

from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = "Change history"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        _name_commands_surface()


def _name_commands_surface() -> None:
    """Writes made by a management command are the `command` surface. Commands are many and some are Django's
    own, so the one place every command passes through, `BaseCommand.execute`, names it; an edge that named a
    surface already (a command called from a request or an import job) keeps its own."""
    from django.core.management.base import BaseCommand

    from events.context import event_context, surface_is_set
    from events.models import Surface

    execute = BaseCommand.execute
    if getattr(execute, "_names_surface", False):
        return

    @functools.wraps(execute)
    def execute_as_command(self, *args, **options):
        if surface_is_set():
            return execute(self, *args, **options)
        with event_context(surface=Surface.COMMAND):
            return execute(self, *args, **options)

    execute_as_command._names_surface = True
    BaseCommand.execute = execute_as_command
