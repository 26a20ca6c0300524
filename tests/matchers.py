"""Stand-ins for generated values (ids, tokens, timestamps) in whole-body assertions."""

from __future__ import annotations

import re


class Matches:
    """Equal to any string that fully matches `pattern`."""

    def __init__(self, pattern: str) -> None:
        self.pattern = re.compile(pattern)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and self.pattern.fullmatch(other) is not None

    def __repr__(self) -> str:
        return f"Matches({self.pattern.pattern!r})"
