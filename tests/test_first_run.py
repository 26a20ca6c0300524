"""A first run that works as written: `make run`'s .env, the settings that read it, one-line configuration errors."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from crm.envfile import load_env_file, parse_env_file

ROOT = Path(__file__).resolve().parent.parent
ENV_KEY = "from-dot-env-" + "k" * 40
MISSING_KEY_LINE = (
    "error: SECRET_KEY is not set. Set SECRET_KEY in the environment or in .env, or DEBUG=1 for local development.\n"
)
SHOW_SETTINGS = "from django.conf import settings; print(settings.DEBUG, settings.SECRET_KEY)"


def clean_env(**extra: str) -> dict[str, str]:
    """The caller's environment without anything that configures the project (tests set some of it), nor what a
    surrounding `make test` passes down to a nested make (which would then print its directory)."""
    configured = ("SECRET_KEY", "DEBUG", "DJANGO_SETTINGS_MODULE", "CRM_ENV_FILE", "ALLOWED_HOSTS", "MFLAGS")
    kept = {k: v for k, v in os.environ.items() if k not in configured and not k.startswith("MAKE")}
    return {**kept, **extra}


def run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def project(tmp_path) -> Path:
    """A copy of the project without any .env, as a fresh clone has it."""
    copy = tmp_path / "crm-checkout"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for folder in ("crm", "contacts", "events", "webhooks", "templates"):
        shutil.copytree(ROOT / folder, copy / folder, ignore=ignore)
    for name in ("manage.py", "Makefile", "requirements.txt"):
        shutil.copy2(ROOT / name, copy / name)
    return copy


def test_manage_py_without_secret_key_prints_one_line_and_fails(project):
    result = run([sys.executable, "manage.py", "create_organization", "Acme"], project, clean_env())

    assert result.returncode == 1
    assert result.stderr == MISSING_KEY_LINE
    assert result.stdout == ""
    assert not (project / "db.sqlite3").exists()


def test_wsgi_without_secret_key_still_fails_loudly(project):
    # gunicorn imports crm.wsgi: a server must not start half-configured, and its log keeps the traceback.
    result = run([sys.executable, "-c", "import crm.wsgi"], project, clean_env())

    assert result.returncode == 1
    assert result.stderr.startswith("Traceback (most recent call last):")
    assert result.stderr.endswith(
        "django.core.exceptions.ImproperlyConfigured: SECRET_KEY is not set. Set SECRET_KEY in the environment "
        "or in .env, or DEBUG=1 for local development.\n"
    )


def test_settings_read_dot_env_from_the_project_folder(project):
    (project / ".env").write_text(f"# local\nDEBUG=1\nSECRET_KEY={ENV_KEY}\n")
    elsewhere = project.parent  # the working directory does not matter, the project folder does

    result = run([sys.executable, str(project / "manage.py"), "shell", "-c", SHOW_SETTINGS], elsewhere, clean_env())

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == f"True {ENV_KEY}"


def test_environment_variables_win_over_dot_env(project):
    (project / ".env").write_text(f"DEBUG=1\nSECRET_KEY={ENV_KEY}\n")

    result = run(
        [sys.executable, "manage.py", "shell", "-c", SHOW_SETTINGS],
        project,
        clean_env(DEBUG="0", SECRET_KEY="from-the-environment-" + "e" * 40, ALLOWED_HOSTS="crm.example.com"),
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "False from-the-environment-" + "e" * 40


def test_crm_env_file_names_another_file_or_none(project, tmp_path):
    other = tmp_path / "other.env"
    other.write_text(f"DEBUG=true\nSECRET_KEY={ENV_KEY}\n")
    (project / ".env").write_text("DEBUG=1\nSECRET_KEY=the-default-file\n")

    named = run(
        [sys.executable, "manage.py", "shell", "-c", SHOW_SETTINGS], project, clean_env(CRM_ENV_FILE=str(other))
    )
    none = run([sys.executable, "manage.py", "check"], project, clean_env(CRM_ENV_FILE=""))
    missing = run([sys.executable, "manage.py", "check"], project, clean_env(CRM_ENV_FILE=str(tmp_path / "nope.env")))

    assert named.stdout.splitlines()[-1] == f"True {ENV_KEY}"
    assert (none.returncode, none.stderr) == (1, MISSING_KEY_LINE)
    assert (missing.returncode, missing.stderr) == (
        1,
        f"error: CRM_ENV_FILE names {tmp_path / 'nope.env'}, which does not exist\n",
    )


def test_a_bad_dot_env_line_is_one_line_naming_the_file_and_line(project):
    (project / ".env").write_text("DEBUG=1\nthis is not a setting\n")

    result = run([sys.executable, "manage.py", "check"], project, clean_env())

    assert result.returncode == 1
    assert result.stderr == f"error: {project / '.env'}, line 2: expected KEY=VALUE\n"


def test_make_writes_dot_env_once_with_its_own_secret_key(project):
    if shutil.which("make") is None:
        pytest.skip("make is not installed")

    first = run(["make", ".env"], project, clean_env(PYTHON=sys.executable))
    written = (project / ".env").read_text()
    again = run(["make", ".env"], project, clean_env(PYTHON=sys.executable))

    assert first.returncode == 0, first.stderr
    assert first.stdout == "Wrote .env (DEBUG=1 and a new SECRET_KEY) for local use; see README.md, Configuration.\n"
    lines = written.splitlines()
    assert lines[0].startswith("# ")
    assert lines[1] == "DEBUG=1"
    assert lines[2].startswith("SECRET_KEY=")
    assert len(lines[2]) - len("SECRET_KEY=") >= 50
    assert len(lines) == 3
    # Only its owner may read the key.
    assert stat.S_IMODE((project / ".env").stat().st_mode) == 0o600
    assert (again.returncode, (project / ".env").read_text()) == (0, written)
    # And with it, the README's commands run as written.
    result = run([sys.executable, "manage.py", "check"], project, clean_env())
    assert (result.returncode, result.stderr) == (0, "")


def test_dot_env_files_are_git_ignored():
    assert ".env" in (ROOT / ".gitignore").read_text().splitlines()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A=1\n\n# comment\n  B = two words  \n", {"A": "1", "B": "two words"}),
        ("export A=1\n", {"A": "1"}),
        ("A=\"quoted # not a comment\"\nB='single'\n", {"A": "quoted # not a comment", "B": "single"}),
        ("A=x=y\n", {"A": "x=y"}),
        ("A=\n", {"A": ""}),
        ('A="unbalanced\n', {"A": '"unbalanced'}),
    ],
)
def test_env_file_lines(text, expected):
    assert parse_env_file(text, ".env") == expected


@pytest.mark.parametrize("line", ["no equals sign", "=value", "BAD KEY=1", "1A=1"])
def test_env_file_rejects_lines_that_are_not_settings(line):
    with pytest.raises(ImproperlyConfigured, match=r"^\.env, line 1: expected KEY=VALUE$"):
        parse_env_file(line, ".env")


def test_loading_never_overrides_what_is_already_set(tmp_path):
    (tmp_path / ".env").write_text("DEBUG=1\nSECRET_KEY=from-file\nNEW=added\n")
    environ = {"DEBUG": "0", "SECRET_KEY": ""}

    assert load_env_file(tmp_path, environ) == tmp_path / ".env"
    assert environ == {"DEBUG": "0", "SECRET_KEY": "", "NEW": "added"}


def test_no_dot_env_is_fine(tmp_path):
    environ: dict[str, str] = {}

    assert load_env_file(tmp_path, environ) is None
    assert environ == {}
