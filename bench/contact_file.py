"""The contacts file the import benchmarks read: messy phones in every format the dialects and spreadsheets use,
5 % invalid, 2 % repeating an earlier row's phone, tags and three custom fields. Seeded, so every run reads the
same file."""

from __future__ import annotations

import random
from pathlib import Path

HEADER = ["phone", "name", "email", "tags", "cf:plan", "cf:age", "cf:CITY"]
TAGS = ["VIP", "Lead", "Call back", "Interested", "Churned"]
PLANS = ["free", "pro", "enterprise"]
CITIES = ["Riyadh", "London", "New York", "Indianapolis", "Jeddah"]


def messy_phone(index: int) -> str:
    """A unique phone for `index`, written the way one of the contracts (or a spreadsheet) writes it."""
    us = f"212{(4_560_000 + index) % 10_000_000:07d}"
    gb = f"7911{index % 1_000_000:06d}"
    sa = f"5{index % 100_000_000:08d}"
    styles = [
        lambda: f"+1{us}",  # E.164 (Contactship, Callbell, native)
        lambda: f"1{us}",  # digits, no + (Mobivate msisdn)
        lambda: f"({us[:3]}) {us[3:6]}-{us[6:]}",  # national, organization region US
        lambda: f"{us[:3]}-{us[3:6]}-{us[6:]}",  # SFMC style
        lambda: f"{us[:3]}.{us[3:6]}.{us[6:]}",  # dots
        lambda: f"+1 {us[:3]} {us[3:6]} {us[6:]}",  # spaces
        lambda: f"0044{gb}",  # 00 international prefix
        lambda: f"+44 {gb[:4]} {gb[4:]}",
        lambda: f"966{sa}",  # Awal, digits only
        lambda: f"+966-{sa[:2]}-{sa[2:5]}-{sa[5:]}",
    ]
    return styles[index % len(styles)]()


def write_file(path: Path, rows: int, seed: int = 9) -> None:
    """`rows` contacts: 5% invalid phones, 2% duplicates of an earlier row's phone, custom fields, tags."""
    import csv

    rng = random.Random(seed)
    phones: list[str] = []
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(HEADER)
        for index in range(rows):
            roll = rng.random()
            if roll < 0.05:
                phone = rng.choice(["abc-defg", "12", "+999 123 456", "not a phone", "555"])
            elif roll < 0.07 and phones:
                phone = rng.choice(phones)
            else:
                phone = messy_phone(index)
                phones.append(phone)
            tags = "|".join(rng.sample(TAGS, rng.randint(0, 2)))
            writer.writerow(
                [
                    phone,
                    f"Contact {index}",
                    f"contact{index}@example.com" if rng.random() < 0.8 else "",
                    tags,
                    rng.choice(PLANS),
                    str(rng.randint(18, 90)),
                    rng.choice(CITIES),
                ]
            )
