"""Reading the file: a CSV file with a header row, in a known encoding, checked whole before any row is written."""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from contacts.errors import ValidationFailed

_DELIMITERS = (",", ";", "\t", "|")
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_READ_CHUNK = 1 << 20


@dataclass
class CsvSource:
    """A validated, decodable CSV file: its encoding, delimiter, header and an estimate of its row count."""

    binary: IO[bytes]
    encoding: str
    delimiter: str
    header: list[str]
    estimated_rows: int

    def records(self) -> Iterator[tuple[int, list[str]]]:
        """(line number of the record's first line, values) for every record after the header."""
        reader = csv.reader(self._lines(), delimiter=self.delimiter, quotechar='"', doublequote=True)
        try:
            next(reader)
            previous = reader.line_num
            for values in reader:
                yield previous + 1, values
                previous = reader.line_num
        except csv.Error as exc:
            raise ValidationFailed("file", f"Line {reader.line_num}: the file is not valid CSV ({exc})") from None

    def _lines(self) -> Iterator[str]:
        self.binary.seek(0)
        decoder = codecs.getincrementaldecoder(self.encoding)(errors="strict")
        pending = ""
        while chunk := self.binary.read(_READ_CHUNK):
            parts = (pending + decoder.decode(chunk)).split("\n")
            pending = parts.pop()
            for part in parts:
                yield part + "\n"
        pending += decoder.decode(b"", final=True)
        if pending:
            yield pending


def open_csv(binary: IO[bytes], *, encoding: str | None = None, delimiter: str | None = None) -> CsvSource:
    """Check that `binary` is a CSV file with a header row in a known encoding, or raise `ValidationFailed`.

    Without `encoding`, a byte-order mark decides (UTF-8 or UTF-16) and otherwise the file must be UTF-8:
    guessing a legacy code page silently corrupts names, so a file that is not UTF-8 is refused with the
    position of the first bad byte and a hint to name its encoding.
    """
    binary.seek(0)
    start = binary.read(4)
    if not start:
        raise ValidationFailed("file", "The file is empty; a header row is required")
    if encoding:
        try:
            encoding = codecs.lookup(encoding).name
        except LookupError:
            raise ValidationFailed("encoding", f"Unknown encoding {encoding!r}") from None
    else:
        encoding = next((name for bom, name in _BOMS if start.startswith(bom)), "utf-8")
    if encoding == "utf-8" and start.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    newlines = _check_decodable(binary, encoding)

    binary.seek(0)
    # Line breaks minus the header's: exact unless values span lines or the last row has no line break.
    source = CsvSource(binary, encoding, delimiter or ",", [], max(newlines - 1, 1))
    first_line = next(source._lines(), "")
    if delimiter is None:
        source.delimiter = max(_DELIMITERS, key=first_line.count) if any(d in first_line for d in _DELIMITERS) else ","
    elif len(delimiter) != 1:
        raise ValidationFailed("delimiter", "The delimiter must be one character")
    try:
        header = next(csv.reader([first_line], delimiter=source.delimiter), [])
    except csv.Error as exc:
        raise ValidationFailed("file", f"Line 1: the header row is not valid CSV ({exc})") from None
    header = [column.strip() for column in header]
    if not any(header):
        raise ValidationFailed("file", "The first line must be a header row naming the columns")
    if "" in header:
        raise ValidationFailed("file", f"Column {header.index('') + 1} of the header row has no name")
    duplicates = sorted({column for column in header if header.count(column) > 1})
    if duplicates:
        raise ValidationFailed("file", f"The header row names these columns twice: {', '.join(duplicates)}")
    source.header = header
    return source


def _check_decodable(binary: IO[bytes], encoding: str) -> int:
    """Decode the whole file once (cheap next to the import) so a bad byte fails the file before any row
    is written; returns the number of line breaks."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    newlines = 0
    binary.seek(0)
    while True:
        chunk = binary.read(_READ_CHUNK)
        try:
            text = decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as exc:
            line = newlines + chunk[: max(exc.start, 0)].count(b"\n") + 1
            raise ValidationFailed(
                "file",
                f"Line {line}: the file is not valid {encoding} (byte {chunk[exc.start : exc.start + 1]!r}). "
                "Save it as UTF-8, or name its encoding (for example cp1252 or latin-1).",
                code="invalid_encoding",
            ) from None
        if "\x00" in text:
            raise ValidationFailed(
                "file",
                "The file contains NUL characters: it is not a text CSV file (or it is UTF-16 without a byte-order "
                "mark; name its encoding).",
                code="invalid_encoding",
            )
        newlines += text.count("\n")
        if not chunk:
            return newlines
