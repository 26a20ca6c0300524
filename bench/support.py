"""What the PostgreSQL benchmarks share: a database of their own, named by DATABASE_URL, and Django set up on it."""

from __future__ import annotations

import os
import sys


def postgres_url(purpose: str) -> str:
    """DATABASE_URL, or exit with a message saying why it must be a PostgreSQL database of the bench's own."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit(f"Set DATABASE_URL to a PostgreSQL database of its own ({purpose}).")
    return url


def prepare_database(url: str, *, fresh: bool) -> None:
    """Create the database if it is missing; with `fresh`, drop it first."""
    import psycopg

    name = url.rsplit("/", 1)[1].split("?")[0]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if fresh:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')


def setup_django() -> None:
    """django.setup() and the migrations, on the database DATABASE_URL names."""
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
