"""Private file storage: import sources and error reports, which hold contacts' personal data.

It lives in PRIVATE_FILES_ROOT, outside MEDIA_ROOT, and has no URL: such files reach a browser only through views
that check who is asking (the import admin's downloads), never through a web server or `django.views.static`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core import checks
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.utils.deconstruct import deconstructible
from django.utils.functional import cached_property

PRIVATE_STORAGE_ALIAS = "private"


@deconstructible(path="contacts.storage.PrivateFileStorage")
class PrivateFileStorage(FileSystemStorage):
    """A FileSystemStorage rooted at PRIVATE_FILES_ROOT (read when first used, and again after a settings
    override) that refuses to make URLs. Group-readable only: web processes and workers may run as different
    users of one group, nobody else needs these files."""

    def __init__(
        self,
        location: str | None = None,
        file_permissions_mode: int | None = 0o640,
        directory_permissions_mode: int | None = 0o750,
        **kwargs: Any,
    ) -> None:
        kwargs.pop("base_url", None)
        super().__init__(
            location=location,
            base_url=None,
            file_permissions_mode=file_permissions_mode,
            directory_permissions_mode=directory_permissions_mode,
            **kwargs,
        )

    @cached_property
    def base_location(self) -> str:
        return self._value_or_setting(self._location, settings.PRIVATE_FILES_ROOT)

    @cached_property
    def base_url(self) -> None:
        # FileSystemStorage falls back to MEDIA_URL when base_url is None; a private file has no URL at all.
        return None

    def url(self, name: str | None) -> str:
        raise ValueError("Private files have no URL; they are downloaded through views that check permissions.")

    def _clear_cached_properties(self, setting: str, **kwargs: Any) -> None:
        super()._clear_cached_properties(setting, **kwargs)
        if setting == "PRIVATE_FILES_ROOT":
            self.__dict__.pop("base_location", None)
            self.__dict__.pop("location", None)


def private_storage() -> Storage:
    """The storage of ImportJob's files (a callable, so migrations record the reference, not the instance)."""
    return storages[PRIVATE_STORAGE_ALIAS]


@checks.register(checks.Tags.security)
def check_private_files_root(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """PRIVATE_FILES_ROOT inside a served folder would make import files downloadable by anyone."""
    private = Path(settings.PRIVATE_FILES_ROOT).resolve()
    errors = []
    for name in ("MEDIA_ROOT", "STATIC_ROOT"):
        served = getattr(settings, name, None)
        if not served:
            continue
        served = Path(served).resolve()
        if private == served or served in private.parents or private in served.parents:
            errors.append(
                checks.Error(
                    f"PRIVATE_FILES_ROOT ({private}) overlaps {name} ({served}), which may be served publicly.",
                    hint=f"Point PRIVATE_FILES_ROOT at a folder outside {name}.",
                    id="contacts.E101",
                )
            )
    days = settings.IMPORT_FILE_RETENTION_DAYS
    if not isinstance(days, int) or days < 1:
        errors.append(
            checks.Error(
                f"IMPORT_FILE_RETENTION_DAYS must be a whole number of days, at least 1 (got {days!r}).",
                id="contacts.E102",
            )
        )
    return errors


def walk_files(storage: Storage, folder: str) -> Iterator[str]:
    """Every file under `folder` in `storage`, depth first, in name order; nothing when the folder is missing."""
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        return
    for name in sorted(files):
        yield f"{folder}/{name}"
    for name in sorted(folders):
        yield from walk_files(storage, f"{folder}/{name}")
