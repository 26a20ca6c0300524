#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        settings.INSTALLED_APPS  # noqa: B018 - loads the settings module, which checks the configuration
    except ImproperlyConfigured as exc:
        # A configuration mistake (no SECRET_KEY, a bad .env line) is the user's to fix: say what, not where in
        # Django it was noticed. gunicorn loads the settings without this and still fails loudly.
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
