"""The error report: every rejected row in the file's own columns, after its line number and before the column at
fault and the reason, so a user can fix the rows and import the report itself again."""

from __future__ import annotations

import csv
from collections.abc import Mapping
from typing import IO

from contacts.services.imports.cleaning import Rejection
from contacts.services.imports.options import CUSTOM_FIELD_PREFIX, IGNORE


class ErrorReport:
    def __init__(self, stream: IO[str], header: list[str], mapping: Mapping[str, str]) -> None:
        self.writer = csv.writer(stream, lineterminator="\n")
        self.header = header
        self.column_of = {target: column for column, target in mapping.items() if target != IGNORE}
        self.pending: list[Rejection] = []
        self.started = False

    def add(self, rejection: Rejection) -> None:
        self.pending.append(rejection)

    def flush(self) -> None:
        """Rows are rejected while reading and while writing their batch; the report lists them by line."""
        if not self.pending:
            return
        if not self.started:
            self.writer.writerow(["line", *self.header, "error_column", "error"])
            self.started = True
        width = len(self.header)
        for line, raw, field_name, message in sorted(self.pending, key=lambda rejection: rejection[0]):
            values = list(raw[:width]) + [""] * (width - len(raw))
            self.writer.writerow([line, *values, self._column_for(field_name), message])
        self.pending = []

    def _column_for(self, field_name: str | None) -> str:
        if not field_name:
            return ""
        if field_name.startswith("custom_fields."):
            field_name = CUSTOM_FIELD_PREFIX + field_name[len("custom_fields.") :]
        return self.column_of.get(field_name, "")
