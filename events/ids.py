"""Time-ordered uuids (RFC 9562 version 7) as text, for rows written in bulk: consecutive ids land at the end of a
unique index instead of on random pages, which is most of what a random uuid costs a bulk insert."""

from __future__ import annotations

import os
import time

_VARIANT = "89ab"  # the variant bits, 10xx, in the 17th hex digit


def uuid7_text(milliseconds: int | None = None) -> str:
    """A version-7 uuid: 48 bits of Unix milliseconds, then 74 random bits."""
    stamp = f"{(time.time_ns() // 1_000_000 if milliseconds is None else milliseconds):012x}"
    r = os.urandom(10).hex()
    return f"{stamp[:8]}-{stamp[8:]}-7{r[:3]}-{_VARIANT[int(r[3], 16) & 3]}{r[4:7]}-{r[7:19]}"
