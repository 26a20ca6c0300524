"""The WSGI entry point keeps what start-up loaded out of the garbage collector's full passes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_loading_the_application_freezes_what_start_up_made():
    code = "import gc, crm.wsgi; print(gc.get_freeze_count() > 10_000, callable(crm.wsgi.application))"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env={"DEBUG": "1", "PATH": ""}
    )
    assert (done.returncode, done.stdout.strip()) == (0, "True True"), done.stderr
