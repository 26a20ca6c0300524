"""The local `.env` file: KEY=VALUE lines that fill in environment variables the process does not already have.

`make run` writes one on first run (DEBUG=1 and a generated SECRET_KEY) so that every `manage.py` command in the
README works in a fresh clone. Real environment variables always win, so production never depends on the file.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

# Set to another path to read that file instead (tests do), or to an empty value to read none.
ENV_FILE_VARIABLE = "CRM_ENV_FILE"


def env_file_path(base_dir: Path, environ: MutableMapping[str, str] = os.environ) -> Path | None:
    """The file to read: `$CRM_ENV_FILE` when set (none when it is empty), else `.env` in the project folder."""
    if ENV_FILE_VARIABLE in environ:
        value = environ[ENV_FILE_VARIABLE].strip()
        return Path(value) if value else None
    return base_dir / ".env"


def parse_env_file(text: str, source: str) -> dict[str, str]:
    """Blank lines and `#` comments are skipped; `export ` and one pair of matching quotes are allowed."""
    values: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export "):
            line = line[len("export ") :].lstrip()
        key, separator, value = line.partition("=")
        key, value = key.strip(), value.strip()
        if not separator or not key.isidentifier():
            raise ImproperlyConfigured(f"{source}, line {number}: expected KEY=VALUE")
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[key] = value
    return values


def load_env_file(base_dir: Path, environ: MutableMapping[str, str] = os.environ) -> Path | None:
    """Fill `environ` from the env file without overriding anything already set; returns the file read, if any."""
    path = env_file_path(base_dir, environ)
    if path is None:
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if ENV_FILE_VARIABLE in environ:
            # A file named explicitly must exist; the default one is optional.
            raise ImproperlyConfigured(f"{ENV_FILE_VARIABLE} names {path}, which does not exist") from None
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise ImproperlyConfigured(f"cannot read {path}: {exc}") from None
    for key, value in parse_env_file(text, str(path)).items():
        environ.setdefault(key, value)
    return path
