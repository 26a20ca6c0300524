"""The code stays in small modules, one job each, and the services stay free of Celery: the tasks import the
services, never the other way round."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONTACTS = ROOT / "contacts"
SERVICES = CONTACTS / "services"
MAX_LINES = 400

# Modules still over MAX_LINES while they are split, each with the line count it may not exceed. The list only
# shrinks: an entry goes as soon as its module is at most MAX_LINES long (the test below says so), and no module
# is added to it.
OVER_THE_LIMIT: dict[str, int] = {}

# Celery and the modules that need it: contacts/tasks.py imports the services, so the services importing them
# back would make a cycle, and would tie every caller of a service to the task queue.
FORBIDDEN_IN_SERVICES = ("contacts.tasks", "crm.celery", "celery")


def modules(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*.py") if "migrations" not in path.relative_to(folder).parts)


def line_count(path: Path) -> int:
    """Lines as `wc -l` counts them."""
    return path.read_bytes().count(b"\n")


def relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def test_no_module_outside_the_migrations_is_over_400_lines():
    too_long = {
        relative(path): line_count(path)
        for path in modules(CONTACTS)
        if line_count(path) > MAX_LINES and relative(path) not in OVER_THE_LIMIT
    }

    assert too_long == {}, f"split these modules into modules of at most {MAX_LINES} lines each"


def test_the_modules_allowed_over_400_lines_only_shrink():
    problems = []
    for name, ceiling in OVER_THE_LIMIT.items():
        path = ROOT / name
        if not path.exists():
            problems.append(f"{name} is gone: delete its entry in OVER_THE_LIMIT")
        elif line_count(path) <= MAX_LINES:
            problems.append(f"{name} is {line_count(path)} lines now: delete its entry in OVER_THE_LIMIT")
        elif line_count(path) > ceiling:
            problems.append(f"{name} grew to {line_count(path)} lines; it may have at most {ceiling}")

    assert problems == []


def imported_modules(source: str, package: str) -> set[str]:
    """Every module `source` imports, anywhere in it (imports inside functions too), with relative imports resolved
    against `package` and `import_module("...")` / `__import__("...")` calls with a literal name."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, *([node.module] if node.module else [])])
            found.add(base)
            # `from contacts import tasks` imports the module contacts.tasks.
            found.update(f"{base}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                found.add(node.args[0].value)
    return found


def forbidden_imports(source: str, package: str) -> list[str]:
    return sorted(
        name
        for name in imported_modules(source, package)
        if any(name == forbidden or name.startswith(f"{forbidden}.") for forbidden in FORBIDDEN_IN_SERVICES)
    )


def package_of(path: Path) -> str:
    """The package a module's relative imports start from: its folder (an __init__.py's too)."""
    return ".".join(path.relative_to(ROOT).parent.parts)


def test_the_services_never_import_celery_or_the_tasks():
    offenders = {
        relative(path): forbidden_imports(path.read_text(encoding="utf-8"), package_of(path))
        for path in modules(SERVICES)
    }

    assert {name: found for name, found in offenders.items() if found} == {}


def test_the_import_check_finds_local_relative_and_dynamic_imports():
    source = (
        "import json\n"
        "from contacts.services import import_runs\n"
        "def start(job):\n"
        "    from contacts.tasks import run_import_job\n"
        "    from ... import tasks\n"
        "    import celery.app\n"
        "    importlib.import_module('crm.celery')\n"
    )

    assert forbidden_imports(source, "contacts.services.imports") == [
        "celery.app",
        "contacts.tasks",
        "contacts.tasks.run_import_job",
        "crm.celery",
    ]
    assert (
        forbidden_imports("from contacts.services.imports import jobs\nimport celeryish\n", "contacts.services") == []
    )
