"""Avatar files in storage that no contact references: found and removed once they are old enough.

A file is written before the row that names it is committed, and a replaced or deleted avatar is removed only
after its transaction commits; a crash or a rolled-back transaction between the two leaves a file nobody
references. Such files hold personal data, so `purge_orphan_avatars` removes them, but only once they are older
than a grace period: a younger file may belong to an upload whose transaction has not committed yet.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.files.storage import Storage, default_storage
from django.utils import timezone

from contacts.models import Contact
from contacts.storage import walk_files

logger = logging.getLogger(__name__)

AVATAR_FOLDER = "avatars"
DEFAULT_GRACE = timedelta(hours=1)
_BATCH = 1000


@dataclass
class OrphanReport:
    """What one pass found: of the files `scanned`, those a contact names, those too young to judge, those
    `removed` (or, with `dry_run`, that would have been) and those whose deletion `failed`."""

    dry_run: bool = False
    scanned: int = 0
    referenced: int = 0
    young: int = 0
    removed: int = 0
    failed: int = 0


def purge_orphan_avatars(
    *,
    older_than: timedelta = DEFAULT_GRACE,
    dry_run: bool = False,
    storage: Storage | None = None,
    now: datetime | None = None,
) -> OrphanReport:
    """Delete every file under `avatars/` that no contact's `avatar` names and that was last modified more than
    `older_than` ago. With `dry_run`, count them and delete nothing."""
    if older_than < timedelta(0):
        raise ValueError("older_than must not be negative")
    storage = storage or default_storage
    now = now or timezone.now()
    report = OrphanReport(dry_run=dry_run)
    batch: list[str] = []
    for name in walk_files(storage, AVATAR_FOLDER):
        batch.append(name)
        if len(batch) == _BATCH:
            _purge_batch(storage, batch, now - older_than, report)
            batch = []
    if batch:
        _purge_batch(storage, batch, now - older_than, report)
    logger.info(
        "orphan avatars purged",
        extra={"scanned": report.scanned, "removed": report.removed, "failed": report.failed, "dry_run": dry_run},
    )
    return report


def _purge_batch(storage: Storage, names: list[str], cutoff: datetime, report: OrphanReport) -> None:
    report.scanned += len(names)
    # Deliberately not scoped to the organization of the folder: the question is whether anything at all still
    # names the file, and a contact moved to another organization keeps the path it was uploaded under.
    referenced = set(Contact.objects.filter(avatar__in=names).values_list("avatar", flat=True))
    report.referenced += len(referenced)
    for name in names:
        if name in referenced:
            continue
        try:
            modified = storage.get_modified_time(name)
        except FileNotFoundError:  # removed meanwhile, by a commit hook or another purge
            continue
        if modified > cutoff:
            report.young += 1
            continue
        if report.dry_run:
            report.removed += 1
            continue
        try:
            storage.delete(name)
        except OSError:
            report.failed += 1
            logger.warning("could not delete an orphan avatar", extra={"file": name}, exc_info=True)
        else:
            report.removed += 1
