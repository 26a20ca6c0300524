"""`manage.py recover_import_jobs`: mark failed the import jobs whose process died. Run it when the service starts.

A job runs in a thread of the web process without a broker, or on a Celery worker with one; if that process is
killed or the machine restarts, the job would stay "running" for ever. The admin's import job pages make the same
check when they are opened.
"""

from __future__ import annotations

from typing import Any

from contacts.management.commands._base import CrmCommand
from contacts.services.import_runs import recover_dead_jobs


class Command(CrmCommand):
    help = (
        "Mark failed the pending and running import jobs whose process is gone (ended, or the machine restarted; "
        "on another host: no heartbeat for 10 minutes), with the counts they had reached. Run it at start."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        recovered = recover_dead_jobs()
        for job in recovered:
            self.stdout.write(f"Import {job.pk}: {job.message}")
        count = len(recovered)
        self.stdout.write(f"{count} import job{'' if count == 1 else 's'} marked failed.")
