"""PostgreSQL COPY, both ways, on Django's own connection (so inside its transaction): the import writes new rows
with `COPY ... FROM STDIN`, the export reads CSV with `COPY (SELECT ...) TO STDOUT`. Both are several times faster
than row-by-row statements, and both need psycopg's copy object, which Django's cursor wraps."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections

# The server sends a message per row: CSV goes out in pieces of about this many bytes instead, a fraction of the
# per-row cost of decoding and writing each one.
PIECE_BYTES = 1 << 16


def copy_rows_in(
    table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]], *, using: str = DEFAULT_DB_ALIAS
) -> None:
    """Write `rows` (values in the order of `columns`) into `table`."""
    connection = connections[using]
    quoted = ", ".join(connection.ops.quote_name(column) for column in columns)
    sql = f"COPY {connection.ops.quote_name(table)} ({quoted}) FROM STDIN"
    # The raw psycopg cursor does not translate errors; the wrapper turns UniqueViolation into IntegrityError.
    with connection.cursor() as cursor, connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


def copy_text_in(table: str, columns: Sequence[str], lines: Iterable[str], *, using: str = DEFAULT_DB_ALIAS) -> None:
    """Write `lines`, each a row already in COPY's text format (tab-separated, escaped, ending in a newline), into
    `table`, sent in pieces of about PIECE_BYTES."""
    connection = connections[using]
    quoted = ", ".join(connection.ops.quote_name(column) for column in columns)
    sql = f"COPY {connection.ops.quote_name(table)} ({quoted}) FROM STDIN"
    with connection.cursor() as cursor, connection.wrap_database_errors, cursor.cursor.copy(sql) as copy:
        piece: list[str] = []
        size = 0
        for line in lines:
            piece.append(line)
            size += len(line)
            if size >= PIECE_BYTES:
                copy.write("".join(piece))
                piece, size = [], 0
        if piece:
            copy.write("".join(piece))


def copy_csv_out(query: str, params: Sequence[Any], *, using: str = DEFAULT_DB_ALIAS) -> Iterator[str]:
    """The rows of `query` as CSV text (no header), streamed as the server produces them, in whole characters."""
    connection = connections[using]
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY ({query}) TO STDOUT WITH (FORMAT csv)", params) as copy,
    ):
        buffer = bytearray()
        for data in copy:
            buffer += data
            if len(buffer) >= PIECE_BYTES:
                yield buffer.decode("utf-8")
                buffer.clear()
    if buffer:
        yield buffer.decode("utf-8")
