"""Cleaning rows in a forked process while this one writes them, for large files where fork exists."""

from __future__ import annotations

import logging
import multiprocessing
import signal
import traceback
from collections.abc import Callable, Iterator
from typing import Any

from contacts.errors import ValidationFailed

# One logger for the whole importer, so its lines keep the name they are filtered on.
logger = logging.getLogger(__package__)

# From this many rows an import cleans its rows in a second process (where fork exists): below it, starting
# the process costs more than it saves.
PARALLEL_ROWS = 5000


def batches_from(produce: Callable[[], Iterator[Any]], *, parallel: bool | None, estimated_rows: int) -> Iterator[Any]:
    """What `produce()` yields, produced in a forked process when `parallel` (None: when the file has
    `PARALLEL_ROWS` rows or more) and one can be started, else in this one. Close it to stop the process early."""
    if parallel is None:
        parallel = estimated_rows >= PARALLEL_ROWS
    if parallel and "fork" in multiprocessing.get_all_start_methods():
        items = _cleaned_in_child(produce)
        if items is not None:
            return items
    return produce()


def _cleaned_in_child(produce: Callable[[], Iterator[Any]]) -> Iterator[Any] | None:
    """Run `produce()` in a forked process and return an iterator over what it yields, a bounded number of items
    ahead; None when no process can be started here (a Celery prefork worker's processes are daemons, which
    multiprocessing does not let have children).

    Cleaning a row (phone parsing above all) and writing it cost about the same, and threads cannot share that
    work: both sides are Python, and each database round trip would wait for the GIL. The child reads the file
    and cleans rows only; it never touches the database connection it inherits, and ends with os._exit, so it
    closes nothing of the parent's.
    """
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    # Bounds how far the child runs ahead (and so the memory of batches in flight).
    slots = context.Semaphore(2)
    child = context.Process(target=_produce_into, args=(produce, sender, slots), name="import-rows", daemon=True)
    try:
        child.start()
    except (AssertionError, OSError) as exc:
        logger.info("import rows cleaned in-process: cannot start a row process (%s)", exc)
        receiver.close()
        sender.close()
        return None
    sender.close()
    return _receive(child, receiver, slots)


def _receive(child: Any, receiver: Any, slots: Any) -> Iterator[Any]:
    try:
        while True:
            try:
                kind, payload = receiver.recv()
            except EOFError:
                raise RuntimeError(f"The import's row process stopped (exit code {child.exitcode}).") from None
            if kind == "item":
                slots.release()
                yield payload
            elif kind == "invalid":
                field_name, message, code = payload
                raise ValidationFailed(field_name, message, code=code)
            elif kind == "error":
                raise RuntimeError(f"The import's row process failed:\n{payload}")
            else:
                return
    finally:
        receiver.close()
        if child.is_alive():
            child.terminate()
        child.join()


def _produce_into(produce: Callable[[], Iterator[Any]], sender: Any, slots: Any) -> None:
    # The parent's handlers (a Celery worker's warm shutdown, say) are not the child's to run.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        for item in produce():
            slots.acquire()
            sender.send(("item", item))
        sender.send(("done", None))
    except ValidationFailed as exc:
        # Sent as values: the exception's constructor does not take back its own args when unpickled.
        sender.send(("invalid", (exc.field, exc.message, exc.code)))
    except BaseException:  # reported to the parent, which raises it
        sender.send(("error", traceback.format_exc()))
    finally:
        sender.close()
