"""Telling a CSV file from the files people pick by mistake: an image, a PDF, an Excel workbook.

The CSV reader would report such a file as "not valid utf-8 (byte b'\\x89')", which sends the user looking for an
encoding when the file is of another kind altogether. Checked before the file is read as text.
"""

from __future__ import annotations

from typing import IO

from contacts.errors import ValidationFailed

# (leading bytes, what the file is). Zip covers .xlsx, .ods and .numbers; OLE2 covers .xls.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a zip archive (an Excel .xlsx or OpenDocument .ods spreadsheet is one)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an Office document (an Excel .xls workbook, say)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"\x7fELF", "a program"),
)
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_SNIFF_BYTES = 4096
# Control characters no text file has (tab, line breaks, form feed and the DOS end-of-file mark aside).
_CONTROL = frozenset(range(0x20)) - {0x09, 0x0A, 0x0C, 0x0D, 0x1A}
# A share of control bytes that text never reaches; a stray one in a real CSV file stays far below it.
_BINARY_SHARE = 0.05


def describe_binary(start: bytes) -> str | None:
    """What kind of non-text file `start` (the first bytes of a file) begins, or None if it may be text."""
    for signature, kind in _SIGNATURES:
        if start.startswith(signature):
            return kind
    if start[8:12] == b"WEBP" and start.startswith(b"RIFF"):
        return "a WebP image"
    if start[4:8] == b"ftyp":
        return "an image or video (HEIC, MP4)"
    if not start or start.startswith(_UTF16_BOMS) or 0 in start:
        # UTF-16 is full of NUL bytes; a NUL without a byte-order mark has its own message in the CSV reader.
        return None
    controls = sum(1 for byte in start if byte in _CONTROL)
    return "binary data" if controls / len(start) > _BINARY_SHARE else None


def refuse_non_csv(binary: IO[bytes]) -> None:
    """Raise `ValidationFailed` on `file` when `binary` is plainly not a text file; leaves it at its start."""
    binary.seek(0)
    start = binary.read(_SNIFF_BYTES)
    binary.seek(0)
    kind = describe_binary(start)
    if kind is not None:
        raise ValidationFailed(
            "file",
            f"This is not a CSV file: it is {kind}. Save the sheet as CSV (comma-separated values) and import that.",
            code="not_csv",
        )
