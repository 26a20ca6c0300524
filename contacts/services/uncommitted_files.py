"""Files written during a transaction that never commits are deleted when the unit of work ends.

A file is written while its contact row is locked, so concurrent replacements of one avatar write and delete in
the order of their commits. But storage is not transactional: if the transaction then rolls back, the row goes back
to the old name and the new file would stay behind, unreferenced (personal data nobody can see or erase). Django has
on-commit hooks but none for rollbacks, so the unit of work (an API request, an admin save) opens a scope; each
written file is marked kept when its transaction commits, and the scope deletes the unmarked ones when it ends.
Outside a scope nothing is tracked; `purge_orphan_avatars` is the safety net there.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.core.files.storage import Storage
from django.db import transaction


@dataclass(eq=False)
class _Written:
    storage: Storage
    name: str
    committed: bool = False


_pending: ContextVar[list[_Written] | None] = ContextVar("uncommitted_files", default=None)


@contextmanager
def removing_uncommitted_files() -> Iterator[None]:
    """Wrap a unit of work, outside its outermost transaction."""
    pending: list[_Written] = []
    token = _pending.set(pending)
    try:
        yield
    finally:
        _pending.reset(token)
        if transaction.get_connection().in_atomic_block:
            # Opened inside a caller's transaction, whose fate is not known yet: an enclosing scope decides.
            outer = _pending.get()
            if outer is not None:
                outer.extend(pending)
        else:
            for written in pending:
                if not written.committed:
                    written.storage.delete(written.name)


def file_written(storage: Storage, name: str) -> None:
    """Record that `name` was just written inside the current transaction."""
    pending = _pending.get()
    if pending is None:
        return
    written = _Written(storage, name)
    pending.append(written)

    def keep() -> None:
        written.committed = True

    transaction.on_commit(keep)
